import { Option, type Command } from 'commander';
import { runAsOperator } from '../../auth/operator.js';
import { InvalidError } from '../../core/errors.js';
import type { JobRecord } from '../../jobs/job-queue.js';
import { positiveInt, print } from './users.js';

const STATUSES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;

/** `ariadne jobs list|retry`: the background job queue as the operator sees it (dead jobs, audited retries). */
export function registerJobsCommand(program: Command): void {
  const jobs = program.command('jobs').description('the background job queue: dead (failed) jobs and retries');

  jobs
    .command('list')
    .description('jobs, newest first')
    .addOption(new Option('--status <status>', 'only jobs in this state (failed: dead jobs)').choices([...STATUSES]))
    .option('--kind <kind>', 'only jobs of this kind (ingest.file, …)')
    .option('--limit <n>', 'at most this many (default 100, at most 10000)', positiveInt, 100)
    .option('--json', 'print JSON')
    .action(async (o: { status?: JobRecord['status']; kind?: string; limit: number; json?: boolean }) => {
      if (o.limit > 10_000) throw new InvalidError('--limit: at most 10000');
      const list = await runAsOperator((ctx, c) => c.jobAdmin.list(ctx, { status: o.status, kind: o.kind, limit: o.limit }));
      if (o.json) return print(list);
      for (const j of list) process.stdout.write(`${describeJob(j)}\n`);
      if (list.length === 0) process.stdout.write('no jobs\n');
    });

  jobs
    .command('retry')
    .description('queue a failed or cancelled job again with fresh attempts (audited as job.retry)')
    .argument('<id>', 'job id', jobId)
    .option('--json', 'print JSON')
    .action(async (id: number, o: { json?: boolean }) => {
      const job = await runAsOperator((ctx, c) => c.jobAdmin.retry(ctx, id));
      if (o.json) return print(job);
      process.stdout.write(`job ${job.id} (${job.kind}) queued again with ${job.maxAttempts} attempts\n`);
    });
}

function jobId(value: string): number {
  if (!/^[1-9]\d{0,15}$/.test(value)) throw new InvalidError(`"${value}" is not a job id`);
  return Number(value);
}

function describeJob(j: JobRecord): string {
  const when = new Date(j.finishedAt ?? j.runAt).toISOString();
  const error = j.lastError ? `\t${j.lastError.split('\n')[0]}` : '';
  return `${j.id}\t${j.kind}\t${j.status}\t${j.attempts}/${j.maxAttempts}\t${when}${error}`;
}
