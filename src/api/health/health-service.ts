import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { schemaVersion } from '../../db/migrate.js';
import type { JobQueue } from '../../jobs/job-queue.js';
import type { BlobStore } from '../../storage/blob-store.js';
import type { HealthReport } from './health-routes.js';

export interface HealthDeps {
  readonly database: Database;
  readonly blobStore: BlobStore;
  readonly queue: JobQueue;
  /** Jobs running in this process and the runner's last problem, when this process runs jobs. */
  readonly runner?: { readonly active: number; readonly problem: string | undefined };
  readonly version: string;
  readonly startedAt: number;
  readonly checkTimeoutMs?: number;
}

/** Checks each dependency with a timeout, so a hung component reports as down instead of hanging the probe. */
export class HealthService {
  constructor(private readonly deps: HealthDeps) {}

  async report(): Promise<HealthReport> {
    const { database, blobStore, queue, runner, version, startedAt } = this.deps;
    const timeout = this.deps.checkTimeoutMs ?? 5000;
    const [db, schema, blobs, stats] = await Promise.all([
      check(() => database.ping(), timeout),
      check(() => schemaVersion(database.db as Kysely<unknown>, database.dialect), timeout),
      check(async () => {
        const r = await blobStore.check();
        if (!r.ok) throw new Error(r.detail ?? 'blob store check failed');
      }, timeout),
      check(() => queue.stats(), timeout),
    ]);
    const queueError = stats.error ?? runner?.problem;
    const report: HealthReport = {
      status: 'ok',
      version,
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      database: {
        ok: db.ok && schema.ok && (schema.value?.pending.length ?? 1) === 0,
        dialect: database.dialect,
        schemaVersion: schema.value?.version ?? 0,
        pendingMigrations: schema.value?.pending.length ?? 0,
        ...(db.error ?? schema.error ? { error: db.error ?? schema.error } : {}),
      },
      blobStore: { ok: blobs.ok, kind: blobStore.kind, ...(blobs.error ? { error: blobs.error } : {}) },
      queue: {
        ok: stats.ok && runner?.problem === undefined,
        queued: stats.value?.queued ?? 0,
        running: stats.value?.running ?? 0,
        failed: stats.value?.failed ?? 0,
        workersActive: runner?.active ?? 0,
        ...(queueError ? { error: queueError } : {}),
      },
    };
    if (!report.database.ok || !report.blobStore.ok || !report.queue.ok) report.status = 'degraded';
    return report;
  }
}

async function check<T>(fn: () => Promise<T>, timeoutMs: number): Promise<{ ok: boolean; value?: T; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const value = await Promise.race([
      fn(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, value };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}
