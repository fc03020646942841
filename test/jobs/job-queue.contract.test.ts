import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { DbJobQueue } from '../../src/jobs/db-job-queue.js';
import { JobHandlers, JobRunner } from '../../src/jobs/job-runner.js';
import { databaseAdapters, openMigrated } from '../support/databases.js';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** A background runner of 'vision' jobs that yields to 'triage' (and to `yieldWhile`), calling `ran` for each job. */
function visionRunner(queue: DbJobQueue, ran: () => void, options: { yieldWhile?: () => boolean } = {}): JobRunner {
  return new JobRunner({
    queue,
    handlers: new JobHandlers().register('vision', async () => {
      ran();
      return { status: 'done' };
    }),
    concurrency: 1,
    leaseMs: 5000,
    pollMs: 20,
    logger: silent,
    yieldTo: ['triage'],
    ...options,
  });
}

for (const adapter of databaseAdapters()) {
  describe.skipIf(adapter.skip)(`job queue contract: ${adapter.name}`, () => {
    let database: Database;
    let drop: () => Promise<void>;
    let clock: number;
    let queue: DbJobQueue;

    beforeEach(async () => {
      ({ database, drop } = await openMigrated(adapter));
      clock = 1_000_000;
      queue = new DbJobQueue({ db: database.db, dialect: database.dialect, defaultMaxAttempts: 3, now: () => clock, backoffMs: () => 1000 });
    });

    afterEach(async () => {
      await database.close();
      await drop();
    });

    it('runs jobs in priority then time order and records results', async () => {
      const a = await queue.enqueue('work', { n: 1 });
      const b = await queue.enqueue('work', { n: 2 }, { priority: 5 });
      await queue.enqueue('other', { n: 3 });
      const first = await queue.claim('w1', ['work'], 10_000);
      expect(first?.id).toBe(b.id);
      expect(first?.payload).toEqual({ n: 2 });
      expect(first?.attempts).toBe(1);
      const second = await queue.claim('w1', ['work'], 10_000);
      expect(second?.id).toBe(a.id);
      expect(await queue.claim('w1', ['work'], 10_000)).toBeNull();
      expect(await queue.finish(first!, { status: 'done', result: { ok: true } })).toBe(true);
      const stored = await queue.get(b.id);
      expect(stored).toMatchObject({ status: 'done', result: { ok: true }, finishedAt: clock });
      expect(await queue.stats()).toEqual({ queued: 1, running: 1, done: 1, failed: 0, cancelled: 0 });
    });

    it('wakes a worker waiting for work when a job of its kinds is enqueued, and only then', async () => {
      const woken: string[] = [];
      const waiting = queue.waitForWork(60_000, undefined, ['work']).then(() => woken.push('work'));
      const any = queue.waitForWork(60_000).then(() => woken.push('any'));
      await queue.enqueue('other', {});
      await new Promise((r) => setTimeout(r, 20));
      expect(woken).toEqual(['any']);
      await queue.enqueue('work', {});
      await Promise.all([waiting, any]);
      expect(woken).toEqual(['any', 'work']);
      const stopped = new AbortController();
      const timedOut = queue.waitForWork(10, stopped.signal, ['work']);
      await expect(timedOut).resolves.toBeUndefined();
    });

    it('does not run a job before its time', async () => {
      await queue.enqueue('work', {}, { runAt: clock + 5000 });
      expect(await queue.claim('w1', ['work'], 10_000)).toBeNull();
      clock += 5000;
      expect(await queue.claim('w1', ['work'], 10_000)).not.toBeNull();
    });

    it('deduplicates by key', async () => {
      const a = await queue.enqueue('work', { n: 1 }, { dedupeKey: 'k' });
      const b = await queue.enqueue('work', { n: 2 }, { dedupeKey: 'k' });
      expect(a.created).toBe(true);
      expect(b).toEqual({ id: a.id, created: false });
    });

    it('retries a failed job with backoff and records the failure after the last attempt', async () => {
      const { id } = await queue.enqueue('work', {});
      for (let attempt = 1; attempt <= 3; attempt++) {
        const job = await queue.claim('w1', ['work'], 10_000);
        expect(job?.attempts).toBe(attempt);
        await queue.finish(job!, { status: 'failed', reason: `boom ${attempt}`, retryable: true });
        expect(await queue.claim('w1', ['work'], 10_000)).toBeNull();
        clock += 1000;
      }
      expect(await queue.get(id)).toMatchObject({ status: 'failed', lastError: 'boom 3', attempts: 3 });
      expect(await queue.claim('w1', ['work'], 10_000)).toBeNull();
    });

    it('records a non-retryable failure at once', async () => {
      const { id } = await queue.enqueue('work', {});
      const job = await queue.claim('w1', ['work'], 10_000);
      await queue.finish(job!, { status: 'failed', reason: 'bad input', retryable: false });
      expect(await queue.get(id)).toMatchObject({ status: 'failed', lastError: 'bad input', attempts: 1 });
    });

    it('hands a job whose worker died to another worker after the lease, and ignores the dead worker late', async () => {
      const { id } = await queue.enqueue('work', {});
      const lost = await queue.claim('dead', ['work'], 10_000);
      expect(await queue.claim('w2', ['work'], 10_000)).toBeNull();
      clock += 10_001;
      const taken = await queue.claim('w2', ['work'], 10_000);
      expect(taken).toMatchObject({ id, attempts: 2, lockedBy: 'w2' });
      // The first worker wakes up: its heartbeat and its outcome are refused, and its commit never runs.
      expect(await queue.heartbeat(lost!, 10_000)).toBe(false);
      let committed = 0;
      expect(await queue.finish(lost!, { status: 'done', commit: async () => void committed++ })).toBe(false);
      expect(await queue.finish(taken!, { status: 'done', commit: async () => void committed++ })).toBe(true);
      expect(committed).toBe(1);
    });

    it('gives up on a job whose workers keep dying', async () => {
      const { id } = await queue.enqueue('work', {}, { maxAttempts: 2 });
      await queue.claim('a', ['work'], 100);
      clock += 101;
      await queue.claim('b', ['work'], 100);
      clock += 101;
      expect(await queue.claim('c', ['work'], 100)).toBeNull();
      expect(await queue.get(id)).toMatchObject({ status: 'failed', attempts: 2 });
      expect((await queue.get(id))?.lastError).toMatch(/abandoned/);
    });

    it('applies commit writes in the transaction that completes the job, all or nothing', async () => {
      const { id } = await queue.enqueue('work', {});
      const job = await queue.claim('w1', ['work'], 10_000);
      await expect(
        queue.finish(job!, {
          status: 'done',
          commit: async (tx) => {
            await tx.insertInto('jobs').values({ kind: 'side', payload: '{}', status: 'queued', priority: 0, attempts: 0, max_attempts: 1, run_at: 0, created_at: 0, updated_at: 0 }).execute();
            throw new Error('commit failed');
          },
        }),
      ).rejects.toThrow('commit failed');
      expect(await queue.get(id)).toMatchObject({ status: 'running' });
      expect((await queue.stats()).queued).toBe(0);
    });

    it('release gives a job back without spending an attempt', async () => {
      const { id } = await queue.enqueue('work', {});
      const job = await queue.claim('w1', ['work'], 10_000);
      await queue.release(job!);
      expect(await queue.get(id)).toMatchObject({ status: 'queued', attempts: 0 });
    });

    it('never hands one job to two workers claiming at once', async () => {
      for (let i = 0; i < 20; i++) await queue.enqueue('work', { i });
      const claims = await Promise.all(Array.from({ length: 30 }, (_, i) => queue.claim(`w${i}`, ['work'], 10_000)));
      const ids = claims.filter((c) => c !== null).map((c) => c!.id);
      expect(ids.length).toBe(20);
      expect(new Set(ids).size).toBe(20);
    });

    it('a runner runs each job once, with bounded concurrency, and stops gracefully', async () => {
      const realQueue = new DbJobQueue({ db: database.db, dialect: database.dialect, defaultMaxAttempts: 3 });
      const seen: number[] = [];
      let inFlight = 0;
      let maxInFlight = 0;
      const handlers = new JobHandlers().register('work', async (job) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 20));
        inFlight--;
        seen.push((job.payload as { i: number }).i);
        return { status: 'done', result: { i: (job.payload as { i: number }).i } };
      });
      expect(() => handlers.register('work', async () => ({ status: 'skipped', reason: '' }))).toThrow(/already registered/);
      const runner = new JobRunner({ queue: realQueue, handlers, concurrency: 3, leaseMs: 5000, pollMs: 20, logger: silent });
      runner.start();
      for (let i = 0; i < 12; i++) await realQueue.enqueue('work', { i });
      const deadline = Date.now() + 20_000;
      while ((await realQueue.stats()).done < 12 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await runner.stop(5000);
      expect(seen.sort((a, b) => a - b)).toEqual([...Array(12).keys()]);
      expect(maxInFlight).toBeLessThanOrEqual(3);
      expect(maxInFlight).toBeGreaterThan(1);
    });

    it('a background runner starts nothing while it is told the process is busy with triage', async () => {
      const realQueue = new DbJobQueue({ db: database.db, dialect: database.dialect, defaultMaxAttempts: 3 });
      let busy = true;
      let ran = 0;
      const background = visionRunner(realQueue, () => void ran++, { yieldWhile: () => busy });
      await realQueue.enqueue('vision', {});
      background.start();
      await new Promise((r) => setTimeout(r, 200));
      expect(ran).toBe(0);
      busy = false;
      const deadline = Date.now() + 10_000;
      while (ran === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await background.stop(1000);
      expect(ran).toBe(1);
    });

    it('a background runner starts nothing while a job of the kinds it yields to is due or running', async () => {
      const realQueue = new DbJobQueue({ db: database.db, dialect: database.dialect, defaultMaxAttempts: 3 });
      const order: string[] = [];
      let releaseTriage: () => void = () => undefined;
      const triageGate = new Promise<void>((r) => (releaseTriage = r));
      const triage = new JobRunner({
        queue: realQueue,
        handlers: new JobHandlers().register('triage', async (job) => {
          order.push(`triage ${(job.payload as { i: number }).i}`);
          await triageGate;
          return { status: 'done' };
        }),
        concurrency: 1,
        leaseMs: 5000,
        pollMs: 20,
        logger: silent,
      });
      const background = visionRunner(realQueue, () => void order.push('vision'));
      await realQueue.enqueue('vision', {});
      await realQueue.enqueue('triage', { i: 1 });
      await realQueue.enqueue('triage', { i: 2 });
      expect(await realQueue.hasPending(['triage'])).toBe(true);
      expect(await realQueue.hasPending(['other'])).toBe(false);
      background.start();
      triage.start();
      await new Promise((r) => setTimeout(r, 300));
      // The first triage job holds (running), the second is due: the vision job has not started.
      expect(order).toEqual(['triage 1']);
      releaseTriage();
      const deadline = Date.now() + 10_000;
      while ((await realQueue.stats()).done < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await Promise.all([triage.stop(5000), background.stop(5000)]);
      expect(order).toEqual(['triage 1', 'triage 2', 'vision']);
      expect(await realQueue.hasPending(['triage', 'vision'])).toBe(false);
    });
  });
}

// SQLite only: its planner's choice between the queue's indexes (PostgreSQL plans from table statistics).
describe('job queue on SQLite', () => {
  it('an idle worker looking for jobs writes nothing', async () => {
    const { database, drop } = await openMigrated(databaseAdapters().find((a) => a.name === 'sqlite')!);
    try {
      const queue = new DbJobQueue({ db: database.db, dialect: database.dialect, defaultMaxAttempts: 3 });
      await queue.enqueue('other', {});
      const changes = async () => Number((await sql<{ n: number }>`select total_changes() as n`.execute(database.db)).rows[0].n);
      const before = await changes();
      expect(await queue.claim('w1', ['work'], 10_000)).toBeNull();
      expect(await changes()).toBe(before);
      expect(await queue.claim('w1', ['other'], 10_000)).not.toBeNull();
      expect(await changes()).toBe(before + 1);
    } finally {
      await database.close();
      await drop();
    }
  });

  it('claims by walking the queue index in claim order, never by sorting the queued jobs', async () => {
    const { database, drop } = await openMigrated(databaseAdapters().find((a) => a.name === 'sqlite')!);
    try {
      // The claim's subquery (db-job-queue.ts take). With an index on (status, run_at) as well, SQLite searched
      // run_at and sorted every queued job, so claims slowed down as the queue grew.
      const plan = await sql<{ detail: string }>`explain query plan select id from jobs where status = 'queued' and run_at <= ${Date.now()} and kind in ('work', 'other') order by priority desc, run_at, id limit 1`.execute(database.db);
      const details = plan.rows.map((r) => r.detail).join('; ');
      expect(details).toContain('jobs_queue');
      expect(details).not.toContain('TEMP B-TREE');
    } finally {
      await database.close();
      await drop();
    }
  });
});
