import type { Command } from 'commander';
import { runAsOperator } from '../../auth/operator.js';
import { isScope, type Scope } from '../../auth/roles.js';
import { InvalidError } from '../../core/errors.js';
import { positiveInt, print } from './users.js';

/** `ariadne tokens create|list|revoke`: API tokens for tools. */
export function registerTokensCommand(program: Command): void {
  const tokens = program.command('tokens').description('API tokens for tools (shown once, stored hashed, scoped, expiring, revocable)');

  tokens
    .command('create')
    .description('create a token for a user; prints it once')
    .requiredOption('--username <name>', 'the user the tool acts as')
    .requiredOption('--name <name>', 'what the token is for')
    .requiredOption('--scope <scopes>', 'comma-separated: read, upload, admin')
    .option('--days <days>', 'lifetime in days (at most 366)', positiveInt, 90)
    .option('--json', 'print JSON')
    .action(async (o: { username: string; name: string; scope: string; days: number; json?: boolean }) => {
      const scopes = o.scope.split(',').map((s) => s.trim());
      const bad = scopes.filter((s) => !isScope(s));
      if (bad.length > 0) throw new InvalidError(`--scope: unknown scope(s) ${bad.join(', ')}; use read, upload, admin`);
      const issued = await runAsOperator(async (ctx, c) => {
        const user = await c.access.users.findUser(ctx, o.username);
        return c.access.tokens.issue(ctx, { userId: user.id, name: o.name, scopes: scopes as Scope[], expiresAt: ctx.now + o.days * 86_400_000 });
      });
      if (o.json) return print({ ...issued.view, token: issued.token });
      process.stdout.write(
        `token ${issued.view.id} for ${o.username} (${issued.view.scopes.join(', ')}), expires ${new Date(issued.view.expiresAt).toISOString()}\n` +
          `${issued.token}\nShown once: Ariadne keeps only its hash.\n`,
      );
    });

  tokens
    .command('list')
    .description('list a user\'s tokens')
    .requiredOption('--username <name>', 'the user')
    .option('--json', 'print JSON')
    .action(async (o: { username: string; json?: boolean }) => {
      const list = await runAsOperator(async (ctx, c) => c.access.tokens.list(ctx, (await c.access.users.findUser(ctx, o.username)).id));
      if (o.json) return print(list);
      for (const t of list) {
        const state = t.revokedAt !== null ? 'revoked' : t.expiresAt <= Date.now() ? 'expired' : `expires ${new Date(t.expiresAt).toISOString()}`;
        process.stdout.write(`${t.id}\t${t.name}\t${t.scopes.join(',')}\t${state}\n`);
      }
    });

  tokens
    .command('revoke')
    .description('revoke a token by id (it stops working at once)')
    .argument('<id>', 'token id', positiveInt)
    .option('--json', 'print JSON')
    .action(async (id: number, o: { json?: boolean }) => {
      const view = await runAsOperator((ctx, c) => c.access.tokens.revoke(ctx, id));
      if (o.json) return print(view);
      process.stdout.write(`token ${view.id} (${view.name}) revoked\n`);
    });
}
