import { EventEmitter } from 'node:events';
import { sql, type ExpressionBuilder, type Generated } from 'kysely';
import { ConflictError, InvalidError, NotFoundError } from '../core/errors.js';
import { QueryTemplate } from '../db/query-template.js';
import type { Db, Dialect, Executor, JobsTable, Schema } from '../db/schema.js';
import type { ClaimedJob, EnqueueOptions, JobOutcome, JobQueue, JobRecord, ListJobsOptions, QueueStats } from './job-queue.js';

export interface DbJobQueueOptions {
  readonly db: Db;
  readonly dialect: Dialect;
  readonly defaultMaxAttempts: number;
  readonly now?: () => number;
  /** Delay before retry n (1-based); default doubles from 1 s up to 5 min. */
  readonly backoffMs?: (attempt: number) => number;
}

type Row = { [K in keyof JobsTable]: JobsTable[K] extends Generated<infer T> ? T : JobsTable[K] };

const MAX_ERROR_LENGTH = 4000;

/** A new job's row (enqueue). */
type NewJob = { kind: string; payload: string; priority: number; max_attempts: number; run_at: number; dedupe_key: string | null; created_at: number; updated_at: number };
/**
 * Enqueueing is on every ingested file's path: its statement is compiled once (QueryTemplate). Nothing is inserted
 * when a job with the same dedupe key exists; a job without one (null) never collides.
 */
const INSERT_JOB = new QueryTemplate((db, v: NewJob) =>
  db
    .insertInto('jobs')
    .values({
      kind: v.kind,
      payload: v.payload,
      status: 'queued',
      priority: v.priority,
      attempts: 0,
      max_attempts: v.max_attempts,
      run_at: v.run_at,
      dedupe_key: v.dedupe_key,
      created_at: v.created_at,
      updated_at: v.updated_at,
    })
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .returning('id'),
);

/** The job queue on the database (SQLite or PostgreSQL), so a single-node install needs nothing more. */
export class DbJobQueue implements JobQueue {
  private readonly db: Db;
  private readonly dialect: Dialect;
  private readonly defaultMaxAttempts: number;
  private readonly now: () => number;
  private readonly backoffMs: (attempt: number) => number;
  private readonly signals = new EventEmitter();

  constructor(options: DbJobQueueOptions) {
    this.db = options.db;
    this.dialect = options.dialect;
    this.defaultMaxAttempts = options.defaultMaxAttempts;
    this.now = options.now ?? Date.now;
    this.backoffMs = options.backoffMs ?? ((n) => Math.min(300_000, 1000 * 2 ** (n - 1)));
    this.signals.setMaxListeners(0);
  }

  async enqueue(kind: string, payload: unknown, options: EnqueueOptions = {}, executor: Executor = this.db) {
    if (!/^[a-z][a-z0-9_.-]{0,63}$/.test(kind)) throw new InvalidError(`invalid job kind "${kind}"`);
    const maxAttempts = options.maxAttempts ?? this.defaultMaxAttempts;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new InvalidError('maxAttempts must be a positive integer');
    const now = this.now();
    const values: NewJob = {
      kind,
      payload: JSON.stringify(payload ?? null),
      priority: options.priority ?? 0,
      max_attempts: maxAttempts,
      run_at: options.runAt ?? now,
      dedupe_key: options.dedupeKey ?? null,
      created_at: now,
      updated_at: now,
    };
    const inserted = await INSERT_JOB.executeTakeFirst(executor, values);
    if (inserted === undefined) {
      if (options.dedupeKey === undefined) throw new Error('the job was not inserted');
      const existing = await executor.selectFrom('jobs').select('id').where('dedupe_key', '=', options.dedupeKey).executeTakeFirstOrThrow();
      return { id: Number(existing.id), created: false };
    }
    this.signals.emit('work', kind);
    return { id: Number(inserted.id), created: true };
  }

  async claim(workerId: string, kinds: readonly string[], leaseMs: number): Promise<ClaimedJob | null> {
    if (kinds.length === 0) return null;
    for (;;) {
      const now = this.now();
      // A job whose worker's lease ran out (its worker died) first, then the next queued one: each an index walk in
      // claim order (jobs_queue) that stops at the first job of these kinds.
      // An idle worker polls: look before writing, so that finding nothing costs two index reads, not two writes.
      const row =
        ((await this.due(kinds, now, 'running')) ? await this.take(workerId, kinds, leaseMs, now, 'running') : undefined) ??
        ((await this.due(kinds, now, 'queued')) ? await this.take(workerId, kinds, leaseMs, now, 'queued') : undefined);
      if (row === undefined) return null;
      const job = toRecord(row as Row);
      if (job.attempts <= job.maxAttempts) return { ...job, lockedBy: workerId };
      // Its workers died mid-run more often than it may be tried: record it as failed and look again.
      await this.db
        .updateTable('jobs')
        .set({
          status: 'failed',
          locked_by: null,
          locked_until: null,
          attempts: job.maxAttempts,
          last_error: truncate(`abandoned: the worker running it stopped ${job.maxAttempts} times without finishing${job.lastError ? `; last error: ${job.lastError}` : ''}`),
          finished_at: now,
          updated_at: now,
        })
        .where('id', '=', job.id)
        .where('locked_by', '=', workerId)
        .execute();
    }
  }

  /** Whether a job of `kinds` is queued and due, or running with an expired lease (what take would look for). */
  private async due(kinds: readonly string[], now: number, status: 'queued' | 'running'): Promise<boolean> {
    const row = await this.db.selectFrom('jobs').select('id').where(claimable(kinds, now, status)).limit(1).executeTakeFirst();
    return row !== undefined;
  }

  /** Marks the first job of `kinds` in claim order, queued and due or running with an expired lease, as ours. */
  private take(workerId: string, kinds: readonly string[], leaseMs: number, now: number, status: 'queued' | 'running') {
    return this.db
      .updateTable('jobs')
      .set((eb) => ({
        status: 'running',
        locked_by: workerId,
        locked_until: now + leaseMs,
        attempts: eb('attempts', '+', 1),
        updated_at: now,
      }))
      .where('id', '=', (eb) =>
        eb
          .selectFrom('jobs')
          .select('id')
          .where(claimable(kinds, now, status))
          .orderBy('priority', 'desc')
          .orderBy('run_at')
          .orderBy('id')
          .limit(1)
          .$if(this.dialect === 'postgres', (q) => q.forUpdate().skipLocked()),
      )
      .returningAll()
      .executeTakeFirst();
  }

  async hasPending(kinds: readonly string[]): Promise<boolean> {
    if (kinds.length === 0) return false;
    const now = this.now();
    const row = await this.db
      .selectFrom('jobs')
      .select('id')
      .where('status', '=', 'running')
      .where('kind', 'in', kinds)
      .limit(1)
      .executeTakeFirst();
    if (row !== undefined) return true;
    const due = await this.db.selectFrom('jobs').select('id').where(claimable(kinds, now, 'queued')).limit(1).executeTakeFirst();
    return due !== undefined;
  }

  async heartbeat(job: ClaimedJob, leaseMs: number): Promise<boolean> {
    const now = this.now();
    const result = await this.db
      .updateTable('jobs')
      .set({ locked_until: now + leaseMs, updated_at: now })
      .where('id', '=', job.id)
      .where('locked_by', '=', job.lockedBy)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async finish(job: ClaimedJob, outcome: JobOutcome): Promise<boolean> {
    const now = this.now();
    return this.db.transaction().execute(async (tx) => {
      let set: Partial<Row>;
      if (outcome.status === 'done' || outcome.status === 'skipped') {
        const result = outcome.status === 'done' ? (outcome.result ?? null) : { skipped: outcome.reason };
        set = { status: 'done', result: JSON.stringify(result), last_error: null, finished_at: now };
      } else if (outcome.retryable && job.attempts < job.maxAttempts) {
        set = { status: 'queued', run_at: now + this.backoffMs(job.attempts), last_error: truncate(outcome.reason) };
      } else {
        set = { status: 'failed', last_error: truncate(outcome.reason), finished_at: now };
      }
      const updated = await tx
        .updateTable('jobs')
        .set({ ...set, locked_by: null, locked_until: null, updated_at: now })
        .where('id', '=', job.id)
        .where('locked_by', '=', job.lockedBy)
        .where('status', '=', 'running')
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) return false;
      if (outcome.status === 'done' && outcome.commit) await outcome.commit(tx);
      return true;
    });
  }

  async release(job: ClaimedJob): Promise<void> {
    const now = this.now();
    await this.db
      .updateTable('jobs')
      .set((eb) => ({ status: 'queued', locked_by: null, locked_until: null, attempts: eb('attempts', '-', 1), run_at: now, updated_at: now }))
      .where('id', '=', job.id)
      .where('locked_by', '=', job.lockedBy)
      .where('status', '=', 'running')
      .execute();
    this.signals.emit('work', job.kind);
  }

  async get(id: number, executor: Executor = this.db): Promise<JobRecord | null> {
    const row = await executor.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row as Row) : null;
  }

  async list(options: ListJobsOptions = {}, executor: Executor = this.db): Promise<JobRecord[]> {
    const limit = options.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new InvalidError('limit must be an integer from 1 to 10000');
    const rows = await executor
      .selectFrom('jobs')
      .selectAll()
      .$if(options.status !== undefined, (q) => q.where('status', '=', options.status!))
      .$if(options.kind !== undefined, (q) => q.where('kind', '=', options.kind!))
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => toRecord(r as Row));
  }

  async retry(id: number, executor: Executor = this.db): Promise<JobRecord> {
    const now = this.now();
    const row = await executor
      .updateTable('jobs')
      .set({ status: 'queued', attempts: 0, run_at: now, locked_by: null, locked_until: null, finished_at: null, updated_at: now })
      .where('id', '=', id)
      .where('status', 'in', ['failed', 'cancelled'])
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) {
      const existing = await executor.selectFrom('jobs').select('status').where('id', '=', id).executeTakeFirst();
      if (existing === undefined) throw new NotFoundError(`job ${id} not found`);
      throw new ConflictError(`job ${id} is ${existing.status}: only failed or cancelled jobs can be retried`);
    }
    this.signals.emit('work', row.kind);
    return toRecord(row as Row);
  }

  async stats(): Promise<QueueStats> {
    const rows = await this.db
      .selectFrom('jobs')
      .select(['status', sql<number>`count(*)`.as('n')])
      .groupBy('status')
      .execute();
    const stats = { queued: 0, running: 0, done: 0, failed: 0, cancelled: 0 };
    for (const r of rows) stats[r.status] = Number(r.n);
    return stats;
  }

  waitForWork(timeoutMs: number, signal?: AbortSignal, kinds?: readonly string[]): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        this.signals.off('work', work);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const work = (kind: string) => {
        if (!kinds || kinds.includes(kind)) done();
      };
      const timer = setTimeout(done, timeoutMs);
      this.signals.on('work', work);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}

function toRecord(row: Row): JobRecord {
  return {
    id: Number(row.id),
    kind: row.kind,
    payload: JSON.parse(row.payload) as unknown,
    status: row.status,
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    runAt: Number(row.run_at),
    lastError: row.last_error,
    result: row.result === null ? null : (JSON.parse(row.result) as unknown),
    createdAt: Number(row.created_at),
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
  };
}

function truncate(text: string): string {
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH)}…` : text;
}

/** Jobs of `kinds` a worker may take now: queued and due, or running with an expired lease. */
function claimable(kinds: readonly string[], now: number, status: 'queued' | 'running') {
  return (eb: ExpressionBuilder<Schema, 'jobs'>) =>
    eb.and([eb('status', '=', status), status === 'queued' ? eb('run_at', '<=', now) : eb('locked_until', '<', now), eb('kind', 'in', kinds)]);
}
