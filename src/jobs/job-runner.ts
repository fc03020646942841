import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { ConflictError } from '../core/errors.js';
import type { ClaimedJob, JobOutcome, JobQueue } from './job-queue.js';

export interface JobContext {
  /** Aborted when the lease is lost or the runner is stopping past its grace period: stop work soon. */
  readonly signal: AbortSignal;
  readonly attempt: number;
}

export type JobHandler = (job: ClaimedJob, ctx: JobContext) => Promise<JobOutcome>;

/** Handlers by job kind; a kind may have one handler only. */
export class JobHandlers {
  private readonly handlers = new Map<string, JobHandler>();

  register(kind: string, handler: JobHandler): this {
    if (this.handlers.has(kind)) throw new ConflictError(`a handler for job kind "${kind}" is already registered`);
    this.handlers.set(kind, handler);
    return this;
  }

  get(kind: string): JobHandler | undefined {
    return this.handlers.get(kind);
  }

  kinds(): string[] {
    return [...this.handlers.keys()];
  }
}

export interface JobRunnerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface JobRunnerOptions {
  readonly queue: JobQueue;
  readonly handlers: JobHandlers;
  readonly concurrency: number;
  readonly leaseMs: number;
  readonly pollMs: number;
  readonly logger: JobRunnerLogger;
  readonly workerId?: string;
  /**
   * Kinds that go first: while a job of one of them is due or running (in any process), this runner starts
   * nothing. For background work (faces, scenes) that must never take the CPU from triage.
   */
  readonly yieldTo?: readonly string[];
  /** Also starts nothing while this says so (this process taking files in, with no job queued for them). */
  readonly yieldWhile?: () => boolean;
}

/**
 * Runs jobs from the queue with bounded concurrency. Each running job's lease is renewed while it runs; a job whose
 * lease is lost is aborted (another worker owns it now). stop() takes no new jobs, waits for running ones, and
 * after the grace period aborts and releases them so that another process resumes them.
 */
export class JobRunner {
  readonly workerId: string;
  private readonly options: JobRunnerOptions;
  private readonly running = new Map<number, { controller: AbortController; done: Promise<void>; job: ClaimedJob }>();
  private stopping = false;
  private readonly stopController = new AbortController();
  private loop: Promise<void> | undefined;
  private lastError: string | undefined;

  constructor(options: JobRunnerOptions) {
    this.options = options;
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  }

  start(): void {
    if (this.loop || this.options.concurrency === 0) return;
    this.loop = this.run();
  }

  get active(): number {
    return this.running.size;
  }

  /** A problem the loop met on its last poll (database unreachable), for the health report. */
  get problem(): string | undefined {
    return this.lastError;
  }

  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.stopController.abort();
    await this.loop;
    const pending = [...this.running.values()];
    const all = Promise.allSettled(pending.map((r) => r.done));
    const grace = delay(graceMs);
    const timedOut = await Promise.race([all.then(() => false), grace.promise.then(() => true)]);
    grace.cancel();
    if (timedOut) {
      for (const r of this.running.values()) r.controller.abort(new Error('shutting down'));
      const settle = delay(Math.min(graceMs, 5000));
      await Promise.race([all, settle.promise]);
      settle.cancel();
      for (const r of this.running.values()) {
        await this.options.queue.release(r.job).catch(() => undefined);
      }
    }
  }

  private async run(): Promise<void> {
    const { queue, handlers, concurrency, leaseMs, pollMs, logger } = this.options;
    const kinds = handlers.kinds();
    while (!this.stopping) {
      if (this.running.size >= concurrency) {
        // Wait for a running job to finish (or the poll interval); the timer and its stop listener go either way.
        const tick = delay(pollMs, this.stopController.signal);
        await Promise.race([...[...this.running.values()].map((r) => r.done), tick.promise]);
        tick.cancel();
        continue;
      }
      let job: ClaimedJob | null = null;
      try {
        if (this.options.yieldWhile?.() || (this.options.yieldTo && (await queue.hasPending(this.options.yieldTo)))) {
          const tick = delay(pollMs, this.stopController.signal);
          await tick.promise;
          tick.cancel();
          continue;
        }
        job = await queue.claim(this.workerId, kinds, leaseMs);
        this.lastError = undefined;
      } catch (error) {
        this.lastError = (error as Error).message;
        logger.error({ err: error }, 'job queue: claiming failed');
      }
      if (job === null) {
        await queue.waitForWork(pollMs, this.stopController.signal, kinds);
        continue;
      }
      this.launch(job);
    }
  }

  private launch(job: ClaimedJob): void {
    const { queue, handlers, leaseMs, logger } = this.options;
    const controller = new AbortController();
    const handler = handlers.get(job.kind);
    const heartbeat = setInterval(() => {
      queue
        .heartbeat(job, leaseMs)
        .then((held) => {
          if (!held) controller.abort(new Error('lease lost'));
        })
        .catch((error: unknown) => logger.warn({ err: error, jobId: job.id }, 'job queue: heartbeat failed'));
    }, Math.max(100, Math.floor(leaseMs / 3)));
    const done = (async () => {
      const started = Date.now();
      let outcome: JobOutcome;
      try {
        outcome = handler
          ? await handler(job, { signal: controller.signal, attempt: job.attempts })
          : { status: 'failed', reason: `no handler for job kind "${job.kind}"`, retryable: false };
      } catch (error) {
        outcome = { status: 'failed', reason: (error as Error).stack ?? String(error), retryable: true };
      }
      clearInterval(heartbeat);
      if (controller.signal.aborted) {
        logger.warn({ jobId: job.id, kind: job.kind }, 'job aborted; it will be resumed');
        return;
      }
      try {
        const recorded = await queue.finish(job, outcome);
        const ms = Date.now() - started;
        if (!recorded) logger.warn({ jobId: job.id, kind: job.kind }, 'job finished after its lease was lost; outcome discarded');
        else if (outcome.status === 'failed') logger.warn({ jobId: job.id, kind: job.kind, attempt: job.attempts, ms, reason: outcome.reason }, 'job failed');
        else logger.info({ jobId: job.id, kind: job.kind, attempt: job.attempts, ms, status: outcome.status }, 'job finished');
      } catch (error) {
        logger.error({ err: error, jobId: job.id }, 'job queue: recording the outcome failed; the job will be retried');
      }
    })().finally(() => {
      clearInterval(heartbeat);
      this.running.delete(job.id);
    });
    this.running.set(job.id, { controller, done, job });
  }
}

/** A timer that also ends when `signal` aborts; `cancel()` ends it early and removes its listener. */
function delay(ms: number, signal?: AbortSignal): { promise: Promise<void>; cancel: () => void } {
  let cancel = () => undefined as void;
  const promise = new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    cancel = done;
  });
  return { promise, cancel };
}
