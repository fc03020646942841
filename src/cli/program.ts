import { Command } from 'commander';
import { VERSION } from '../version.js';
import { registerConfigCommand } from './commands/config.js';
import { registerServeCommand } from './commands/serve.js';

/** The `ariadne` command tree. Each sub-command lives in commands/ and registers itself here. */
export function buildProgram(): Command {
  const program = new Command('ariadne')
    .description('Ariadne: shared hash-matching and investigation database for victim identification')
    .version(VERSION, '-v, --version')
    .showHelpAfterError()
    .enablePositionalOptions();
  registerServeCommand(program);
  registerConfigCommand(program);
  return program;
}
