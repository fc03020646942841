import { Command } from 'commander';
import { VERSION } from '../version.js';
import { registerAdminCommand } from './commands/admin.js';
import { registerAuditCommand } from './commands/audit.js';
import { registerConfigCommand } from './commands/config.js';
import { registerExportCommand } from './commands/export.js';
import { registerHashCommand } from './commands/hash.js';
import { registerImportCommand } from './commands/import.js';
import { registerIngestCommand } from './commands/ingest.js';
import { registerJobsCommand } from './commands/jobs.js';
import { registerScanCommand } from './commands/scan.js';
import { registerMatchCommand } from './commands/match.js';
import { registerServeCommand } from './commands/serve.js';
import { registerTokensCommand } from './commands/tokens.js';
import { registerUsersCommand } from './commands/users.js';
import { registerNoticesCommand } from './commands/notices.js';
import { registerOperationsCommand } from './commands/operations.js';
import { registerStatsCommand } from './commands/stats.js';

/** The `ariadne` command tree. Each sub-command lives in commands/ and registers itself here. */
export function buildProgram(): Command {
  const program = new Command('ariadne')
    .description('Ariadne: shared hash-matching and investigation database for victim identification')
    .version(VERSION, '-v, --version')
    .showHelpAfterError()
    .enablePositionalOptions();
  registerServeCommand(program);
  registerConfigCommand(program);
  registerAdminCommand(program);
  registerUsersCommand(program);
  registerTokensCommand(program);
  registerAuditCommand(program);
  registerJobsCommand(program);
  registerHashCommand(program);
  registerMatchCommand(program);
  registerImportCommand(program);
  registerExportCommand(program);
  registerIngestCommand(program);
  registerScanCommand(program);
  registerNoticesCommand(program);
  registerOperationsCommand(program);
  registerStatsCommand(program);
  return program;
}
