import type { Command } from 'commander';
import { runAsOperator } from '../../auth/operator.js';
import { printCredentials } from './users.js';

/** `ariadne admin bootstrap`: the first global admin; refuses once one exists. */
export function registerAdminCommand(program: Command): void {
  const admin = program.command('admin').description('installation administration');
  admin
    .command('bootstrap')
    .description('create the first global admin (with its country and agency); refuses if a global admin exists')
    .requiredOption('--country <CC>', 'ISO 3166-1 alpha-2 country code')
    .requiredOption('--agency <name>', 'agency name')
    .requiredOption('--username <name>', 'user name of the global admin')
    .option('--json', 'print JSON')
    .action(async (o: { country: string; agency: string; username: string; json?: boolean }) => {
      const issued = await runAsOperator((ctx, c) => c.access.users.bootstrap(ctx, { username: o.username, country: o.country, agency: o.agency }));
      printCredentials(issued, o.json, 'global admin created');
    });
}
