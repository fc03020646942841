import { createReadStream } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { sql } from 'kysely';
import { contextFor, type RequestContext } from '../../auth/actor.js';
import { operatorActor } from '../../auth/operator.js';
import { loadConfig } from '../../config.js';
import { createContainer, type Container } from '../../container.js';
import { walkPaths } from '../../ingest/folder-walk.js';
import { INGEST_FILE_JOB } from '../../ingest/submission-service.js';
import { createLogger } from '../../logger.js';
import { Progress } from '../progress.js';

interface IngestOptions {
  reference?: string;
  device?: string;
  country?: string;
  resume?: number;
  json?: boolean;
}

/**
 * `ariadne ingest PATH...`: adds files, folders and archives to the configured database as one submission, runs the
 * pipeline in this process (with any running server's workers helping), and prints the triage report. Interrupted,
 * it resumes with `--resume ID` and the same paths: files already taken in are not read again.
 */
export function registerIngestCommand(program: Command): void {
  program
    .command('ingest')
    .description('add files, folders and archives as one submission and report what is known and what is new')
    .argument('<paths...>', 'files or folders (archives are expanded)')
    .option('--reference <text>', 'seizure reference or case number')
    .option('--device <text>', 'the device the material comes from')
    .option('--country <CC>', 'country the material comes from (ISO 3166-1 alpha-2)')
    .option('--resume <id>', 'continue an interrupted submission', (v) => Number.parseInt(v, 10))
    .option('--json', 'print the full report as JSON')
    .action(async (paths: string[], o: IngestOptions) => {
      const config = loadConfig({ cpuCount: availableParallelism() });
      const container = await createContainer(config, { role: 'worker', logger: createLogger('error') });
      let interrupted = false;
      const onSignal = () => {
        interrupted = true;
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        await (await container.catalog()).catchUp();
        container.start();
        const ctx = contextFor(operatorActor());
        const submission = o.resume !== undefined ? await container.submissions.get(ctx, o.resume) : await container.submissions.create(ctx, { reference: o.reference, device: o.device, countryCode: o.country });
        process.stderr.write(`submission ${submission.id}${o.resume !== undefined ? ' (resumed)' : ''}\n`);
        const progress = new Progress(`submission ${submission.id}`);
        let seen = 0;
        if (submission.status === 'open') {
          for await (const item of walkPaths(paths)) {
            if (interrupted) break;
            seen++;
            if (!item.ok) {
              await container.submissions.recordRefused(ctx, submission.id, { path: item.path }, item.reason);
            } else if (!(await container.submissions.hasPath(submission.id, item.path))) {
              await container.submissions.addFile(ctx, submission.id, { path: item.path, mtime: Math.round(item.mtime) }, createReadStream(item.absolute));
            }
            if (seen % 10 === 0) await show(container, ctx, submission.id, progress, 'taking in');
          }
          if (!interrupted) await container.submissions.seal(ctx, submission.id);
        }
        const outcome = interrupted ? 'interrupted' : await waitForCompletion(container, ctx, submission.id, progress, () => interrupted);
        if (outcome !== 'complete') {
          progress.finish(`submission ${submission.id} ${outcome}; continue with: ariadne ingest --resume ${submission.id} ${paths.join(' ')}`);
          process.exitCode = outcome === 'interrupted' ? 130 : 75;
          return;
        }
        const report = await container.reports.report(ctx, submission.id);
        const t = report.totals;
        progress.finish(`submission ${submission.id} complete: ${t.files} files, ${t.uniqueItems} unique items, ${t.new} new, ${t.known} known, ${t.duplicates} duplicates, ${t.errors} errors`);
        if (o.json) process.stdout.write(`${JSON.stringify(report)}\n`);
        else for (const f of report.files.filter((x) => x.status === 'error')) process.stdout.write(`error  ${f.path}: ${f.error}\n`);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await container.close();
      }
    });
}

async function show(container: Container, ctx: RequestContext, id: number, progress: Progress, phase: string): Promise<{ pending: number; files: number }> {
  const p = await container.submissions.progress(ctx, id);
  progress.update(p.done + p.errors, p.files, `(${phase}${p.errors ? `, ${p.errors} errors` : ''})`);
  return p;
}

/** Waits until every file is processed; 'stalled' when files are pending but no job is left to process them. */
async function waitForCompletion(container: Container, ctx: RequestContext, id: number, progress: Progress, stop: () => boolean): Promise<'complete' | 'stalled' | 'interrupted'> {
  for (;;) {
    const submission = await container.submissions.get(ctx, id);
    const p = await show(container, ctx, id, progress, 'processing');
    if (submission.status === 'complete') return 'complete';
    if (stop()) return 'interrupted';
    if (p.pending > 0) {
      const live = await container.database.db
        .selectFrom('jobs')
        .select(sql<number>`count(*)`.as('n'))
        .where('kind', '=', INGEST_FILE_JOB)
        .where('status', 'in', ['queued', 'running'])
        .executeTakeFirstOrThrow();
      if (Number(live.n) === 0) return 'stalled';
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
