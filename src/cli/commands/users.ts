import { Option, type Command } from 'commander';
import { runAsOperator } from '../../auth/operator.js';
import { ROLES, type Role } from '../../auth/roles.js';
import type { IssuedCredentials } from '../../auth/user-admin.js';
import type { UserView } from '../../auth/directory.js';
import { InvalidError } from '../../core/errors.js';

/** `ariadne users add|list|certify|suspend|reinstate|reset`: account administration by the operator. */
export function registerUsersCommand(program: Command): void {
  const users = program.command('users').description('administer user accounts (as the operator; every change is audited)');

  users
    .command('add')
    .description('create a user; prints a one-time password and an authenticator (TOTP) enrolment secret, once')
    .requiredOption('--country <CC>', 'ISO 3166-1 alpha-2 country code (created when missing)')
    .requiredOption('--agency <name>', 'agency in that country (created when missing)')
    .addOption(new Option('--role <role>', 'role').choices([...ROLES]).makeOptionMandatory())
    .requiredOption('--username <name>', 'user name: 3 to 64 lower-case letters, digits, . _ -')
    .option('--certify-days <days>', 'certify to see material for this many days', positiveInt)
    .option('--json', 'print JSON')
    .action(async (o: { country: string; agency: string; role: Role; username: string; certifyDays?: number; json?: boolean }) => {
      const issued = await runAsOperator(async (ctx, c) => {
        const { agency } = await c.access.users.ensureCountryAndAgency(ctx, o.country, o.agency);
        const certifiedUntil = o.certifyDays === undefined ? null : ctx.now + o.certifyDays * 86_400_000;
        return c.access.users.createUser(ctx, { username: o.username, agencyId: agency.id, role: o.role, certifiedUntil });
      });
      printCredentials(issued, o.json, 'created');
    });

  users
    .command('list')
    .description('list users')
    .option('--country <CC>', 'only this country')
    .option('--json', 'print JSON')
    .action(async (o: { country?: string; json?: boolean }) => {
      const list = await runAsOperator((ctx, c) => c.access.users.listUsers(ctx, { country: o.country?.toUpperCase() }));
      if (o.json) return print(list);
      for (const u of list) process.stdout.write(`${describeUser(u)}\n`);
    });

  users
    .command('certify')
    .description('certify a user to see material until a date, or withdraw certification')
    .requiredOption('--username <name>', 'the user')
    .option('--until <YYYY-MM-DD>', 'certified until the end of this day (UTC)')
    .option('--days <days>', 'certified for this many days from now', positiveInt)
    .option('--withdraw', 'withdraw certification now')
    .option('--json', 'print JSON')
    .action(async (o: { username: string; until?: string; days?: number; withdraw?: boolean; json?: boolean }) => {
      const chosen = [o.until !== undefined, o.days !== undefined, o.withdraw === true].filter(Boolean).length;
      if (chosen !== 1) throw new InvalidError('give exactly one of --until, --days or --withdraw');
      const user = await runAsOperator(async (ctx, c) => {
        const target = await c.access.users.findUser(ctx, o.username);
        const until = o.withdraw ? null : o.days !== undefined ? ctx.now + o.days * 86_400_000 : endOfDay(o.until!);
        return c.access.users.certify(ctx, { userId: target.id, until });
      });
      report(user, o.json);
    });

  users
    .command('suspend')
    .description('suspend a user: sessions end at once, tokens stop working')
    .requiredOption('--username <name>', 'the user')
    .option('--json', 'print JSON')
    .action(async (o: { username: string; json?: boolean }) => {
      report(await runAsOperator(async (ctx, c) => c.access.users.suspend(ctx, { userId: (await c.access.users.findUser(ctx, o.username)).id })), o.json);
    });

  users
    .command('reinstate')
    .description('lift a suspension')
    .requiredOption('--username <name>', 'the user')
    .option('--json', 'print JSON')
    .action(async (o: { username: string; json?: boolean }) => {
      report(await runAsOperator(async (ctx, c) => c.access.users.reinstate(ctx, { userId: (await c.access.users.findUser(ctx, o.username)).id })), o.json);
    });

  users
    .command('reset')
    .description('new one-time password and authenticator secret; ends sessions, revokes tokens and recovery codes, lifts a lock')
    .requiredOption('--username <name>', 'the user')
    .option('--json', 'print JSON')
    .action(async (o: { username: string; json?: boolean }) => {
      const issued = await runAsOperator(async (ctx, c) => c.access.users.reset(ctx, { userId: (await c.access.users.findUser(ctx, o.username)).id }));
      printCredentials(issued, o.json, 'reset');
    });
}

export function printCredentials(issued: IssuedCredentials, json: boolean | undefined, verb: string): void {
  if (json) return print(issued);
  process.stdout.write(
    [
      `${verb}: ${describeUser(issued.user)}`,
      `one-time password (shown once; changed at first sign-in): ${issued.oneTimePassword}`,
      `authenticator secret (shown once): ${issued.totpSecret}`,
      `authenticator URI: ${issued.totpUri}`,
      'Hand both to the person over a trusted channel. The first sign-in with a code from the authenticator confirms it.',
      '',
    ].join('\n'),
  );
}

function report(user: UserView, json: boolean | undefined): void {
  if (json) return print(user);
  process.stdout.write(`${describeUser(user)}\n`);
}

export function describeUser(u: UserView): string {
  const certified = u.certifiedUntil === null ? 'not certified' : `certified until ${new Date(u.certifiedUntil).toISOString()}`;
  return `${u.id}\t${u.username}\t${u.role}\t${u.countryCode}/${u.agencyName}\t${u.status}\t${certified}`;
}

export function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function positiveInt(value: string): number {
  if (!/^[1-9]\d{0,5}$/.test(value)) throw new InvalidError(`"${value}" is not a positive whole number`);
  return Number(value);
}

function endOfDay(date: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const t = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 23, 59, 59, 999) : Number.NaN;
  if (!m || Number.isNaN(t) || new Date(t).getUTCDate() !== Number(m[3])) throw new InvalidError(`--until: "${date}" is not a date YYYY-MM-DD`);
  return t;
}
