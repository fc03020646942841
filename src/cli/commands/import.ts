import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { contextFor } from '../../auth/actor.js';
import { openForCli, operatorActor } from '../../auth/operator.js';
import { InvalidError, NotFoundError } from '../../core/errors.js';
import type { ExchangeFormat } from '../../exchange/entry.js';
import type { ImportReport } from '../../hashsets/hash-set-service.js';

const FORMATS: ReadonlyArray<{ format: ExchangeFormat; description: string }> = [
  { format: 'vics', description: 'import a Project VIC VICS JSON file (1.3 or 2.0; #Media hash sets and #Cases exports)' },
  { format: 'icse', description: 'import an ICSE-style semicolon-separated hash export (header row naming MD5;SHA1;…;Series name;…;Media Type;Baseline)' },
  { format: 'pdq', description: 'import a PDQ list: one 64-hex hash per line with an optional ",label", or CSV with a hash,quality,label header' },
];

interface Options {
  set: string;
  source?: string;
  terms?: string;
  json?: boolean;
}

/**
 * `ariadne import vics|icse|pdq FILE --set NAME`: imports a hash set (created when missing). The file is checked
 * whole before anything is written; each batch commits with its checkpoint and audit entry, so running the command
 * again after an interruption resumes, and importing a file again adds nothing.
 */
export function registerImportCommand(program: Command): void {
  const imports = program.command('import').description('import hash sets (every batch is audited; interrupted imports resume)');
  for (const { format, description } of FORMATS) {
    imports
      .command(format)
      .description(description)
      .argument('<file>', 'the file; - for standard input')
      .requiredOption('--set <name>', 'the hash set to add to (created when missing)')
      .option('--source <text>', 'who supplied the list (kept with a new set)')
      .option('--terms <text>', 'licence or handling terms (kept with a new set)')
      .option('--json', 'print the report as JSON')
      .action(async (file: string, o: Options) => {
        if (file !== '-') {
          const info = await stat(file).catch(() => null);
          if (!info) throw new NotFoundError(`no such file: ${file}`);
          if (!info.isFile()) throw new InvalidError(`not a regular file: ${file}`);
        }
        const container = await openForCli();
        try {
          const ctx = contextFor(operatorActor());
          const common = { format, name: o.set, source: o.source, terms: o.terms };
          const report = file === '-' ? await container.hashSets.importStream(ctx, { ...common, input: process.stdin }) : await container.hashSets.importFile(ctx, { ...common, path: file });
          print(report, file, o.json === true);
          // Malformed records were skipped and reported; the rest was imported.
          if (report.problems.length > 0) process.exitCode = 65;
        } finally {
          await container.close();
        }
      });
  }
}

function print(report: ImportReport, file: string, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const set = `set "${report.set.name}" (id ${report.set.id}${report.created ? ', new' : ''})`;
  if (report.alreadyImported) {
    process.stdout.write(`${set}: this file was already imported; nothing added, ${report.set.entryCount} in the set\n`);
    return;
  }
  const resumed = report.resumedFrom > 0 ? ` (resumed after record ${report.resumedFrom})` : '';
  process.stdout.write(`${set}: ${report.imported} added, ${report.duplicates} already present${resumed}, ${report.set.entryCount} in the set\n`);
  for (const p of report.problems) process.stderr.write(`${file}:${p.line}: ${p.message}\n`);
}
