import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import type { Command } from 'commander';
import { contextFor } from '../../auth/actor.js';
import { openForCli, operatorActor } from '../../auth/operator.js';
import { InvalidError } from '../../core/errors.js';
import { EXCHANGE_FORMATS, type ExchangeFormat } from '../../exchange/entry.js';

interface Options {
  set?: string;
  investigation?: string;
  out: string;
  json?: boolean;
}

/**
 * `ariadne export vics|icse|pdq --set NAME --out FILE`: writes a hash set as VICS 2.0 JSON, an ICSE semicolon
 * export or a PDQ CSV list (hash,quality,label). The file is written under a temporary name and renamed when
 * complete, so a partial export never has the final name. `--out -` writes to standard output. `--investigation ID`
 * is refused: the operator's command line never reads investigations (admins export them through the API).
 */
export function registerExportCommand(program: Command): void {
  const exports = program.command('export').description('export hash sets (audited)');
  for (const format of EXCHANGE_FORMATS) {
    exports
      .command(format)
      .description(`export a hash set as ${format === 'vics' ? 'VICS 2.0 JSON (#Media)' : format === 'icse' ? 'an ICSE semicolon-separated hash export' : 'a PDQ CSV list (hash,quality,label)'}`)
      .option('--set <name>', 'the hash set')
      .option('--investigation <id>', 'an investigation (refused here: the operator never reads investigations; use the API as an admin who can see it)')
      .requiredOption('--out <file>', 'where to write; - for standard output')
      .option('--json', 'print a summary as JSON')
      .action(async (o: Options) => run(format, o));
  }
}

async function run(format: ExchangeFormat, o: Options): Promise<void> {
  if ((o.set === undefined) === (o.investigation === undefined)) throw new InvalidError('name what to export: --set NAME or --investigation ID');
  const container = await openForCli();
  try {
    const ctx = contextFor(operatorActor());
    if (o.investigation !== undefined) {
      if (!/^[1-9][0-9]{0,15}$/.test(o.investigation)) throw new InvalidError('--investigation takes a numeric id');
      // The service refuses the operator (ForbiddenError with the reason) before anything is read or written.
      await container.hashSets.exportInvestigation(ctx, { format, investigationId: Number(o.investigation) }, process.stdout);
      return;
    }
    if (o.set === undefined) return;
    if (o.out === '-') {
      const report = await container.hashSets.exportSet(ctx, { format, set: o.set }, process.stdout);
      if (o.json) process.stderr.write(`${JSON.stringify({ set: report.set.name, format, entries: report.entries })}\n`);
      return;
    }
    const temp = `${o.out}.partial-${process.pid}`;
    const out = createWriteStream(temp, { flags: 'wx', mode: 0o600 });
    try {
      const report = await container.hashSets.exportSet(ctx, { format, set: o.set }, out);
      out.end();
      await finished(out);
      await rename(temp, o.out);
      const summary = { set: report.set.name, format, entries: report.entries, out: o.out };
      process.stdout.write(o.json ? `${JSON.stringify(summary)}\n` : `set "${summary.set}": ${summary.entries} entries written to ${o.out} (${format})\n`);
    } catch (error) {
      out.destroy();
      await rm(temp, { force: true });
      throw error;
    }
  } finally {
    await container.close();
  }
}
