import { availableParallelism } from 'node:os';
import { Option, type Command } from 'commander';
import { loadConfig } from '../../config.js';
import type { Role } from '../../container.js';
import { startAriadne } from '../../server.js';

/** `ariadne serve`: runs until SIGINT or SIGTERM, then shuts down gracefully; a second signal exits at once. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('start Ariadne: the HTTP API and the job workers (configuration from ARIADNE_* variables, see `ariadne config`)')
    .addOption(new Option('--role <role>', 'what this process does').choices(['all', 'api', 'worker']).default('all'))
    .action(async (options: { role: Role }) => {
      const config = loadConfig({ cpuCount: availableParallelism() });
      const running = await startAriadne(config, { role: options.role });
      if (running.url) process.stdout.write(`Ariadne is listening on ${running.url} (health: ${running.url}/api/health)\n`);
      let signals = 0;
      const onSignal = (signal: NodeJS.Signals) => {
        signals++;
        if (signals > 1) {
          process.stderr.write(`ariadne: ${signal} again, exiting without waiting\n`);
          process.exit(130);
        }
        running.stop().then(
          () => process.exit(0),
          (error: unknown) => {
            process.stderr.write(`ariadne: shutdown failed: ${(error as Error).message}\n`);
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
}
