import type { Executor, Tx } from '../db/schema.js';

/** The durable job queue port: jobs survive restarts, a job whose worker died is retried, retries are bounded. */
export interface JobRecord {
  readonly id: number;
  readonly kind: string;
  readonly payload: unknown;
  readonly status: 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly runAt: number;
  readonly lastError: string | null;
  readonly result: unknown;
  readonly createdAt: number;
  readonly finishedAt: number | null;
}

/** A job held by one worker under a lease. */
export interface ClaimedJob extends JobRecord {
  readonly lockedBy: string;
}

export interface EnqueueOptions {
  /** Do not run before this time (epoch ms). */
  readonly runAt?: number;
  /** Higher runs first. */
  readonly priority?: number;
  readonly maxAttempts?: number;
  /** At most one job ever exists with this key: enqueueing it again returns the existing job. */
  readonly dedupeKey?: string;
}

/**
 * What a handler returns. `done` may carry `commit`: database writes that are applied in the same transaction that
 * marks the job done, so they happen exactly once even when the worker dies and the job is retried.
 */
export type JobOutcome =
  | { readonly status: 'done'; readonly result?: unknown; readonly commit?: (tx: Tx) => Promise<void> }
  | { readonly status: 'skipped'; readonly reason: string }
  | { readonly status: 'failed'; readonly reason: string; readonly retryable: boolean };

export interface QueueStats {
  readonly queued: number;
  readonly running: number;
  readonly done: number;
  readonly failed: number;
  readonly cancelled: number;
}

export interface ListJobsOptions {
  readonly status?: JobRecord['status'];
  readonly kind?: string;
  /** Most rows returned, newest first (default 100). */
  readonly limit?: number;
}

export interface JobQueue {
  /** Adds a job; pass a transaction to enqueue atomically with other writes. */
  enqueue(kind: string, payload: unknown, options?: EnqueueOptions, executor?: Executor): Promise<{ id: number; created: boolean }>;
  /** Takes the next due job of the given kinds (or one whose previous worker's lease expired), or null. */
  claim(workerId: string, kinds: readonly string[], leaseMs: number): Promise<ClaimedJob | null>;
  /** Extends the lease; false when the job is no longer held by this worker. */
  heartbeat(job: ClaimedJob, leaseMs: number): Promise<boolean>;
  /** Records the outcome. Returns false when this worker had lost the job (nothing was written). */
  finish(job: ClaimedJob, outcome: JobOutcome): Promise<boolean>;
  /** Gives a held job back without counting the attempt (graceful shutdown). */
  release(job: ClaimedJob): Promise<void>;
  get(id: number, executor?: Executor): Promise<JobRecord | null>;
  /** Jobs, newest first: dead (`failed`) jobs for the administrators, or any other status. */
  list(options?: ListJobsOptions, executor?: Executor): Promise<JobRecord[]>;
  /**
   * Gives a failed or cancelled job a fresh set of attempts and queues it now; pass a transaction to retry
   * atomically with an audit entry. Throws NotFoundError when there is no such job, ConflictError when it is not
   * failed or cancelled.
   */
  retry(id: number, executor?: Executor): Promise<JobRecord>;
  stats(): Promise<QueueStats>;
  /** Whether a job of one of these kinds is due (queued, its time come) or running, in any process. */
  hasPending(kinds: readonly string[]): Promise<boolean>;
  /**
   * Resolves when a job may have become available (enqueued or released in this process; with `kinds`, one of those
   * kinds), or after the timeout.
   */
  waitForWork(timeoutMs: number, signal?: AbortSignal, kinds?: readonly string[]): Promise<void>;
}
