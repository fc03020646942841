import type { Command } from 'commander';
import { runAsOperator } from '../../auth/operator.js';
import { InvalidError } from '../../core/errors.js';
import { EXIT_BY_KIND } from '../exit-codes.js';
import { positiveInt, print } from './users.js';

/** `ariadne audit verify|query`. */
export function registerAuditCommand(program: Command): void {
  const audit = program.command('audit').description('the hash-chained audit trail');

  audit
    .command('verify')
    .description('check every link of the chain; exit code 70 and the first broken link when an entry was edited, removed or reordered')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const report = await runAsOperator((ctx, c) => c.access.auditReader.verify(ctx));
      if (o.json) print(report);
      else if (report.ok) process.stdout.write(`audit chain intact: ${report.entries} entries, head ${report.headSeq} ${report.headHash}\n`);
      else process.stderr.write(`ariadne: audit chain BROKEN at entry ${report.firstBroken!.seq} (${report.firstBroken!.reason}): ${report.firstBroken!.message}\n`);
      if (!report.ok) process.exitCode = EXIT_BY_KIND.integrity;
    });

  audit
    .command('query')
    .description('audit entries, newest first')
    .option('--actor <name>', 'actor user name (system:cli:NAME for the operator)')
    .option('--action <action>', 'action, or a family such as auth.*')
    .option('--object-type <type>', 'object type (user, token, agency, country, …)')
    .option('--object-id <id>', 'object id')
    .option('--since <time>', 'ISO 8601 time (inclusive)')
    .option('--until <time>', 'ISO 8601 time (exclusive)')
    .option('--limit <n>', 'at most this many (default 100, at most 1000)', positiveInt, 100)
    .option('--json', 'print JSON')
    .action(async (o: { actor?: string; action?: string; objectType?: string; objectId?: string; since?: string; until?: string; limit: number; json?: boolean }) => {
      const entries = await runAsOperator((ctx, c) =>
        c.access.auditReader.query(ctx, {
          actorName: o.actor,
          action: o.action,
          objectType: o.objectType,
          objectId: o.objectId,
          from: time('--since', o.since),
          to: time('--until', o.until),
          limit: o.limit,
        }),
      );
      if (o.json) return print(entries);
      for (const e of entries) {
        const object = e.objectType ? ` ${e.objectType}:${e.objectId}` : '';
        process.stdout.write(`${e.seq}\t${new Date(e.at).toISOString()}\t${e.actorName}\t${e.action}${object}\t${e.address ?? ''}\t${e.details ? JSON.stringify(e.details) : ''}\n`);
      }
    });
}

function time(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidError(`${option}: "${value}" is not an ISO 8601 time`);
  return t;
}
