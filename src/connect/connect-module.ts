import { join } from 'node:path';
import type { Logger } from 'pino';
import type { AccessModule } from '../auth/access-module.js';
import type { CasesModule } from '../cases/cases-module.js';
import type { Db, Dialect, Executor, Tx } from '../db/schema.js';
import type { JobQueue } from '../jobs/job-queue.js';
import { JobHandlers, JobRunner } from '../jobs/job-runner.js';
import type { BlobStore } from '../storage/blob-store.js';
import { UnavailableError } from '../core/errors.js';
import { ConnectionsView } from './connections-view.js';
import { FaceService } from './face-service.js';
import { SceneService } from './scene-service.js';
import type { NoticeConnections } from '../notices/notice-connections.js';
import { NoticeFaceMatcher } from './notice-faces.js';
import { VectorCatalog } from './vector-catalog.js';
import { VISION_JOB, visionJob } from './vision-job.js';
import { VisionPool } from './vision-pool.js';
import { VisionStore } from './vision-store.js';

/** Faces, scenes and the merged connections view, built once by the composition root. */
export interface ConnectModule {
  readonly store: VisionStore;
  readonly faces: FaceService;
  readonly scenes: SceneService;
  readonly view: ConnectionsView;
  /**
   * The face and scene vector indexes, opened on first use and kept current like the PDQ index, caught up now. Call
   * it before a transaction that queries them (on SQLite a catch-up inside a transaction would wait for itself).
   */
  ready(): Promise<VectorCatalog>;
  /** The vision worker threads (started on first use). */
  pool(): VisionPool;
  /** Enqueues the vision job of a stored item in `tx` (the ingest commit): low priority, once per item. */
  enqueue(tx: Executor, mediaId: number): Promise<void>;
  /** Enqueues, in the publishing transaction, the comparison of a published Yellow Notice's photos with victims' faces. */
  enqueueNoticeFaces(tx: Executor, noticeId: number): Promise<void>;
  /** The runner that alone claims vision jobs (roles `all` and `worker`). */
  readonly runner: JobRunner | undefined;
  start(): void;
  close(): Promise<void>;
}

export interface ConnectModuleOptions {
  readonly db: Db;
  readonly dialect: Dialect;
  readonly blobs: BlobStore;
  readonly queue: JobQueue;
  readonly access: AccessModule;
  readonly cases: CasesModule;
  readonly dataDir: string;
  readonly logger: Logger;
  readonly runJobs: boolean;
  /** Job kinds that go before vision work (the triage pipeline's): vision jobs start only while none is pending. */
  readonly yieldTo?: readonly string[];
  /** And while this says so (triage that queues no jobs: files being taken in). */
  readonly yieldWhile?: () => boolean;
  readonly jobs: { readonly leaseMs: number; readonly pollMs: number };
  readonly index: { readonly refreshMs: number; readonly snapshotMs: number };
  /** How long close() waits for a running vision job before releasing it to another process. */
  readonly shutdownTimeoutMs: number;
  /** Vision worker threads and vision jobs run at once (default 1). */
  readonly threads?: number;
  /** Yellow Notices: where candidate connections are reported (absent: no notice comparison). */
  readonly notices?: NoticeConnections;
}

/** Lower than ingest (0) and the series-match job (-1): vision work never goes before triage. */
export const VISION_PRIORITY = -2;
/** Compares a just-published Yellow Notice's photos with victims' faces (connect/notice-faces.ts). */
export const NOTICE_FACES_JOB = 'connect.notice-faces';

export function createConnectModule(o: ConnectModuleOptions): ConnectModule {
  const { policy, audit } = o.access;
  const store = new VisionStore(o.db, o.dialect);
  const threads = o.threads ?? 1;
  let pool: VisionPool | undefined;
  const getPool = () => (pool ??= new VisionPool({ size: threads }));
  let catalogPromise: Promise<VectorCatalog> | undefined;
  const timers: NodeJS.Timeout[] = [];
  const vectors = () =>
    (catalogPromise ??= VectorCatalog.open({ store, snapshotDir: join(o.dataDir, 'index'), logger: o.logger.child({ component: 'vectors' }) }).then((c) => {
      const refresh = setInterval(() => void c.catchUp().catch((error: unknown) => o.logger.warn({ err: error }, 'vector index catch-up failed')), o.index.refreshMs);
      const snapshot = setInterval(() => void c.saveSnapshots().catch((error: unknown) => o.logger.warn({ err: error }, 'vector index snapshot failed')), o.index.snapshotMs);
      refresh.unref();
      snapshot.unref();
      timers.push(refresh, snapshot);
      return c;
    }));
  let opened: VectorCatalog | undefined;
  const ready = async () => {
    const c = await vectors();
    await c.catchUp();
    return (opened = c);
  };
  const current = () => {
    if (!opened) throw new UnavailableError('the face and scene indexes are not open yet');
    return opened;
  };
  const faces = new FaceService(policy, audit, store, current, getPool, o.cases.people);
  const scenes = new SceneService(policy, store, current, getPool, o.blobs);
  const matcher = o.notices ? new NoticeFaceMatcher(faces, current, o.notices) : undefined;
  const afterFaces = matcher ? (tx: Tx, e: { mediaId: number; faceIds: readonly number[] }) => matcher.forNewFaces(tx, e.mediaId, e.faceIds).then(() => undefined) : undefined;
  const handlers = new JobHandlers().register(VISION_JOB, visionJob({ db: o.db, blobs: o.blobs, store, pool: getPool, ready, afterFaces }));
  if (matcher) {
    handlers.register(NOTICE_FACES_JOB, async (job) => {
      const { noticeId } = job.payload as { noticeId: number };
      await ready();
      return { status: 'done', commit: async (tx: Tx) => void (await matcher.forNotice(tx, noticeId)) };
    });
  }
  const runner = o.runJobs
    ? new JobRunner({ queue: o.queue, handlers, concurrency: threads, leaseMs: Math.max(o.jobs.leaseMs, 120_000), pollMs: Math.max(o.jobs.pollMs, 1000), logger: o.logger.child({ component: 'vision-jobs' }), workerId: undefined, yieldTo: o.yieldTo, yieldWhile: o.yieldWhile })
    : undefined;
  return {
    store,
    faces,
    scenes,
    view: new ConnectionsView(policy, o.cases, faces, scenes),
    ready,
    pool: getPool,
    runner,
    async enqueueNoticeFaces(tx, noticeId) {
      if (matcher) await o.queue.enqueue(NOTICE_FACES_JOB, { noticeId }, { priority: VISION_PRIORITY }, tx);
    },
    async enqueue(tx, mediaId) {
      await o.queue.enqueue(VISION_JOB, { mediaId }, { dedupeKey: `${VISION_JOB}:${mediaId}`, priority: VISION_PRIORITY }, tx);
    },
    start() {
      runner?.start();
    },
    async close() {
      for (const t of timers) clearInterval(t);
      if (runner) await runner.stop(o.shutdownTimeoutMs);
      if (catalogPromise) await (await catalogPromise).saveSnapshots().catch((error: unknown) => o.logger.warn({ err: error }, 'vector snapshot at shutdown failed'));
      await pool?.close();
    },
  };
}
