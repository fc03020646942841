import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { describeConfig, loadConfig, SETTINGS } from '../../config.js';

/** `ariadne config`: prints the effective configuration (secrets hidden), or the list of settings. */
export function registerConfigCommand(program: Command): void {
  program
    .command('config')
    .description('check the configuration and print it as JSON with secrets hidden (exit code 78 when invalid)')
    .option('--settings', 'list every setting with its description instead')
    .action((options: { settings?: boolean }) => {
      if (options.settings) {
        for (const [name, description] of Object.entries(SETTINGS)) process.stdout.write(`${name.padEnd(30)} ${description}\n`);
        return;
      }
      const config = loadConfig({ cpuCount: availableParallelism() });
      process.stdout.write(`${JSON.stringify(describeConfig(config), null, 2)}\n`);
    });
}
