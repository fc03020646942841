import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { contextFor } from '../../auth/actor.js';
import { openForCli, operatorActor } from '../../auth/operator.js';
import { InvalidError, NotFoundError } from '../../core/errors.js';

/** `ariadne import pdq FILE --set NAME`: imports a PDQ hash list into a hash set (created when missing). */
export function registerImportCommand(program: Command): void {
  const imports = program.command('import').description('import hash sets (every batch is audited)');
  imports
    .command('pdq')
    .description('import a PDQ list: one 64-hex hash per line with an optional ",label", or CSV with a hash,quality,label header')
    .argument('<file>', 'the list; - for standard input')
    .requiredOption('--set <name>', 'the hash set to add to (created when missing)')
    .option('--source <text>', 'who supplied the list (kept with a new set)')
    .option('--terms <text>', 'licence or handling terms (kept with a new set)')
    .option('--json', 'print the report as JSON')
    .action(async (file: string, o: { set: string; source?: string; terms?: string; json?: boolean }) => {
      if (file !== '-') {
        const info = await stat(file).catch(() => null);
        if (!info) throw new NotFoundError(`no such file: ${file}`);
        if (!info.isFile()) throw new InvalidError(`not a regular file: ${file}`);
      }
      const container = await openForCli();
      try {
        const report = await container.hashSets.importPdqList(contextFor(operatorActor()), {
          name: o.set,
          source: o.source,
          terms: o.terms,
          input: file === '-' ? process.stdin : createReadStream(file),
        });
        if (o.json) process.stdout.write(`${JSON.stringify(report)}\n`);
        else {
          process.stdout.write(`set "${report.set.name}" (id ${report.set.id}${report.created ? ', new' : ''}): ${report.imported} added, ${report.duplicates} already present, ${report.set.entryCount} in the set\n`);
          for (const p of report.problems) process.stderr.write(`${file}:${p.line}: ${p.message}\n`);
        }
        // Malformed lines were skipped and reported; the rest was imported.
        if (report.problems.length > 0) process.exitCode = 65;
      } finally {
        await container.close();
      }
    });
}
