import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { sql } from 'kysely';
import { contextFor, inTransaction, type RequestContext } from '../../auth/actor.js';
import { operatorActor } from '../../auth/operator.js';
import { loadConfig } from '../../config.js';
import { createContainer, type Container } from '../../container.js';
import { walkPaths } from '../../ingest/folder-walk.js';
import { forEachConcurrent } from '../../core/concurrency.js';
import { AriadneError, InvalidError } from '../../core/errors.js';
import { INGEST_FILE_JOB, localIntakeConcurrency } from '../../ingest/submission-service.js';
import { createLogger } from '../../logger.js';
import { Progress } from '../progress.js';

async function* untilInterrupted<T>(source: AsyncIterable<T>, interrupted: () => boolean): AsyncGenerator<T> {
  for await (const item of source) {
    if (interrupted()) return;
    yield item;
  }
}

interface IngestOptions {
  reference?: string;
  device?: string;
  country?: string;
  resume?: number;
  json?: boolean;
  series?: string;
  agency?: string;
  category?: number;
  baseline?: boolean;
}

/**
 * What the national unit decided for this submission (`--series`, `--category`), checked before anything is read:
 * the operator acts for agency `--agency` of `--country`, which must exist.
 */
function unitDecision(o: IngestOptions): { agency: string; country: string } | null {
  if (o.series === undefined && o.category === undefined) {
    if (o.agency !== undefined || o.baseline) throw new InvalidError('--agency and --baseline go with --series or --category');
    return null;
  }
  if (o.agency === undefined || o.country === undefined) throw new InvalidError('--series and --category need --agency NAME and --country CC: the national unit the operator acts for');
  if (o.category !== undefined && !(Number.isInteger(o.category) && o.category >= 0 && o.category <= 5)) throw new InvalidError('--category is a VICS category from 0 to 5');
  if (o.baseline && o.category === undefined) throw new InvalidError('--baseline goes with --category');
  return { agency: o.agency, country: o.country };
}

/**
 * `ariadne ingest PATH...`: adds files, folders and archives to the configured database as one submission, runs the
 * pipeline in this process (with any running server's workers helping), and prints the triage report. Interrupted,
 * it resumes with `--resume ID` and the same paths: files already taken in are not read again.
 *
 * `--series NAME` and `--category N [--baseline]` record decisions of a national unit (`--agency NAME --country CC`,
 * an existing agency): once the submission completes, in one transaction audited as the operator for that agency,
 * every item of it (done files with a media item) is added to the agency's series of that name (created for the
 * agency when missing) and gets the category as an "assigned by the national unit on import" decision, shown in the
 * item's categorisation history and overridden by investigators' settled votes.
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
    .option('--series <name>', "add every item to this series of the agency (created for it when missing); needs --agency and --country")
    .option('--agency <name>', 'the national unit (an existing agency of --country) the operator acts for with --series and --category')
    .option('--category <n>', 'assign this VICS category (0-5) to every item as the national unit\'s decision; needs --agency and --country', (v) => Number(v))
    .option('--baseline', 'with --category: the baseline flag')
    .option('--json', 'print the full report as JSON')
    .action(async (paths: string[], o: IngestOptions) => {
      const decision = unitDecision(o);
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
        if (decision) {
          const agency = await container.database.db.selectFrom('agencies').select('id').where('country_code', '=', decision.country.toUpperCase()).where('name', '=', decision.agency).executeTakeFirst();
          if (!agency) throw new InvalidError(`no agency "${decision.agency}" in ${decision.country.toUpperCase()} (ariadne users add --country CC --agency NAME creates one)`);
        }
        const submission = o.resume !== undefined ? await container.submissions.get(ctx, o.resume) : await container.submissions.create(ctx, { reference: o.reference, device: o.device, countryCode: o.country });
        process.stderr.write(`submission ${submission.id}${o.resume !== undefined ? ' (resumed)' : ''}\n`);
        const progress = new Progress(`submission ${submission.id}`);
        let seen = 0;
        if (submission.status === 'open') {
          // Several files are read and stored at once: the hash workers stay busy, and intake transactions share commits.
          await forEachConcurrent(untilInterrupted(walkPaths(paths), () => interrupted), localIntakeConcurrency(config.hashThreads), async (item) => {
            seen++;
            if (!item.ok) {
              await container.submissions.recordRefused(ctx, submission.id, { path: item.path }, item.reason);
            } else if (!(await container.submissions.hasPath(submission.id, item.path))) {
              try {
                await container.submissions.addLocalFile(ctx, submission.id, { path: item.path, mtime: Math.round(item.mtime) }, item.absolute);
              } catch (error) {
                // Unreadable now (removed or locked since the folder was listed): recorded with its reason.
                if (!(error instanceof AriadneError && error.kind === 'invalid')) throw error;
                await container.submissions.recordRefused(ctx, submission.id, { path: item.path }, error.message);
              }
            }
            if (seen % 10 === 0) await show(container, ctx, submission.id, progress, 'taking in');
          });
          if (!interrupted) await container.submissions.seal(ctx, submission.id);
        }
        const outcome = interrupted ? 'interrupted' : await waitForCompletion(container, ctx, submission.id, progress, () => interrupted);
        if (outcome !== 'complete') {
          progress.finish(`submission ${submission.id} ${outcome}; continue with: ariadne ingest --resume ${submission.id} ${paths.join(' ')}`);
          process.exitCode = outcome === 'interrupted' ? 130 : 75;
          return;
        }
        if (decision) {
          const done = await container.database.db.selectFrom('submission_files').select('media_id').distinct().where('submission_id', '=', submission.id).where('status', '=', 'done').where('media_id', 'is not', null).orderBy('media_id').execute();
          const mediaIds = done.map((r) => Number(r.media_id));
          const applied = await inTransaction(container.database.db, contextFor(operatorActor()), async (tx) => {
            const parts: string[] = [];
            if (o.series !== undefined) {
              const series = await container.cases.series.ensureForAgencyAsOperator(tx, { name: o.series, agencyName: decision.agency, countryCode: decision.country });
              const added = mediaIds.length ? await container.cases.series.addMediaAsOperator(tx, series.id, mediaIds, { submissionId: submission.id }) : 0;
              parts.push(`series ${series.id}${series.created ? ' (created)' : ''}: ${added} items added`);
            }
            if (o.category !== undefined) {
              const agency = await tx.tx.selectFrom('agencies').select('id').where('country_code', '=', decision.country.toUpperCase()).where('name', '=', decision.agency).executeTakeFirstOrThrow();
              const n = await container.cases.categorisation.assignOnImport(tx, mediaIds, { category: o.category, baseline: o.baseline === true, agencyId: Number(agency.id), submissionId: submission.id });
              parts.push(`category ${o.category}${o.baseline ? ' baseline' : ''} assigned to ${n} items`);
            }
            return parts.join('; ');
          });
          process.stderr.write(`for ${decision.agency} (${decision.country.toUpperCase()}): ${applied}\n`);
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
