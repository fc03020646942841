import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { HealthService } from './api/health/health-service.js';
import { contextFor, systemActor } from './auth/actor.js';
import { queryFromSignals } from './matching/file-query.js';
import { createAccessModule, type AccessModule } from './auth/access-module.js';
import type { AriadneConfig } from './config.js';
import { openDatabase, type Database } from './db/database.js';
import { migrateToLatest, type SchemaVersion } from './db/migrate.js';
import { HashSetService } from './hashsets/hash-set-service.js';
import { commitResult, ingestFileJob, resultAtIntake, type IngestFileJobDeps, type Result as IngestResult } from './ingest/ingest-file-job.js';
import { ReportService } from './ingest/report-service.js';
import { MediaViewService } from './viewing/media-view-service.js';
import { MatchPairService } from './viewing/match-pair.js';
import { ViewingPreferencesService } from './viewing/viewing-preferences.js';
import { INGEST_FILE_JOB, SubmissionService, type LocalIntake } from './ingest/submission-service.js';
import { DbJobQueue } from './jobs/db-job-queue.js';
import { JobAdmin } from './jobs/job-admin.js';
import type { JobQueue } from './jobs/job-queue.js';
import { JobHandlers, JobRunner } from './jobs/job-runner.js';
import { IndexCatalog } from './matching/index-catalog.js';
import { RenditionReader } from './storage/inline-blobs.js';
import { MatchService } from './matching/match-service.js';
import { VideoMatchService } from './matching/video-match-service.js';
import type { FfmpegBinary } from './media/ffmpeg-binary.js';
import { SignalStore } from './matching/signal-store.js';
import { HashPool } from './signals/hash-pool.js';
import { resolveIngestLimits } from './media/limits.js';
import { resolveVideoDecoder } from './video/video-decoder.js';
import { createMediaToolkit } from './media/media-toolkit.js';
import type { BlobStore } from './storage/blob-store.js';
import { LocalBlobStore } from './storage/local-blob-store.js';
import { createKeyring, loadOrCreateMasterKey, masterKeyFromHex, type MasterKeyring } from './storage/master-key.js';
import { UploadService } from './uploads/upload-service.js';
import { createCasesModule, type CasesModule } from './cases/cases-module.js';
import { SERIES_MATCH_JOB, seriesMatchJob } from './cases/series-match.js';
import { createNoticesModule, type NoticesModule } from './notices/notices-module.js';
import { createOperationsModule, type OperationsModule } from './operations/operations-module.js';
import { StatisticsService } from './statistics/statistics-service.js';
import { UploadStore } from './uploads/upload-store.js';
import { createConnectModule, type ConnectModule } from './connect/connect-module.js';
import { VERSION } from './version.js';

/** What a process does: `all` (the single-node default) serves HTTP and runs jobs; `api` and `worker` split them. */
export type Role = 'all' | 'api' | 'worker';

export interface Container {
  readonly config: AriadneConfig;
  readonly role: Role;
  readonly logger: Logger;
  readonly database: Database;
  readonly schema: SchemaVersion;
  readonly keyring: MasterKeyring;
  readonly blobStore: BlobStore;
  readonly queue: JobQueue;
  /** The queue for administrators: jobs by status (dead jobs) and audited retries. */
  readonly jobAdmin: JobAdmin;
  readonly jobHandlers: JobHandlers;
  /** Present when this process runs jobs (roles `all` and `worker`); started by `start()`. */
  readonly runner: JobRunner | undefined;
  readonly health: HealthService;
  /** Authentication, access policy, user administration and the audit trail. */
  readonly access: AccessModule;
  /** Signal entries and their change log (what the indexes are built from). */
  readonly signals: SignalStore;
  /**
   * The in-memory indexes, opened on first use (loaded from their snapshot and caught up, or built from the
   * database), then kept current: after local commits and by polling for other processes' writes.
   */
  catalog(): Promise<IndexCatalog>;
  matching(): Promise<MatchService>;
  /** Video matching (vPDQ): video-to-video, clip-in-video, frames against images. */
  videoMatching(): Promise<VideoMatchService>;
  /** The ffmpeg resolved at start for video (null: none, videos are stored without frame hashes). */
  readonly ffmpeg: FfmpegBinary | null;
  readonly hashSets: HashSetService;
  /** Worker threads that decode and hash files (started on first use). */
  hashPool(): HashPool;
  /** Submissions and their intake; the `ingest.file` job processes what they take in. */
  readonly submissions: SubmissionService;
  readonly reports: ReportService;
  /** Viewing stored material: facts and thumbnails; previews and originals audited. */
  readonly viewer: MediaViewService;
  /** The web application's per-user viewing protection and side-by-side match view. */
  readonly viewingPreferences: ViewingPreferencesService;
  readonly matchPairs: MatchPairService;
  /** Investigations, series, people, categorisation, comments, consultations, connections, search, notifications. */
  readonly cases: CasesModule;
  /** Green and Yellow Notices: lifecycle, photos, connections (notices/). */
  readonly notices: NoticesModule;
  /** Joint operations (operations/). */
  readonly operations: OperationsModule;
  /** Statistics per country and month (statistics/). */
  readonly statistics: StatisticsService;
  /** Resumable (tus) uploads: sealed chunks under DATA_DIR/uploads, handed to `submissions` when complete. */
  readonly uploads: UploadService;
  /** Faces, scenes and the merged connections view (connect/); vision jobs run on their own runner. */
  readonly connect: ConnectModule;
  readonly version: string;
  /** Starts background work (the job runner; for HTTP roles, the sweep of expired uploads). Call after every job handler is registered. */
  start(): void;
  /** Stops background work (waiting up to the shutdown timeout for running jobs), then closes every resource. */
  close(): Promise<void>;
}

export interface ContainerOptions {
  readonly role: Role;
  readonly logger: Logger;
}

/**
 * The one composition root: builds every adapter from the configuration and hands each module the ports it needs.
 * Nothing else constructs adapters. On failure, whatever was opened is closed again.
 */
export async function createContainer(config: AriadneConfig, options: ContainerOptions): Promise<Container> {
  const { logger, role } = options;
  const opened: Array<() => Promise<void>> = [];
  try {
    const database = await openDatabase(config.database);
    opened.push(() => database.close());
    const schema = await migrateToLatest(database.db as Kysely<unknown>, database.dialect);
    logger.info({ dialect: database.dialect, schemaVersion: schema.version, latest: schema.latest }, 'database ready');

    const keyring = await openKeyring(config);
    const blobStore = await openBlobStore(config, keyring);
    opened.push(() => blobStore.close());
    logger.info({ blobStore: blobStore.kind, masterKeyId: keyring.current.id }, 'blob store ready');

    const queue = new DbJobQueue({ db: database.db, dialect: database.dialect, defaultMaxAttempts: config.jobs.maxAttempts });
    const jobHandlers = new JobHandlers();
    const runner =
      role === 'api'
        ? undefined
        : new JobRunner({
            queue,
            handlers: jobHandlers,
            concurrency: config.jobs.concurrency,
            leaseMs: config.jobs.leaseMs,
            pollMs: config.jobs.pollMs,
            logger: logger.child({ component: 'jobs' }),
          });
    const access = createAccessModule({ db: database.db, keyring, settings: config.auth, logger: logger.child({ component: 'auth' }) });
    if (role !== 'worker' && (await access.needsBootstrap())) {
      logger.warn(
        { setup: 'ariadne admin bootstrap --country CC --agency NAME --username NAME' },
        'no users exist yet: create the first global admin with `ariadne admin bootstrap --country CC --agency NAME --username NAME` (same configuration as this server)',
      );
    }

    const signals = new SignalStore(database.db, database.dialect);
    let catalogPromise: Promise<IndexCatalog> | undefined;
    let refreshTimer: NodeJS.Timeout | undefined;
    let snapshotTimer: NodeJS.Timeout | undefined;
    const catalog = () =>
      (catalogPromise ??= IndexCatalog.open({ store: signals, snapshotDir: join(config.dataDir, 'index'), logger: logger.child({ component: 'index' }) }).then((c) => {
        refreshTimer = setInterval(() => void c.catchUp().catch((error: unknown) => logger.warn({ err: error }, 'index catch-up failed')), config.index.refreshMs);
        refreshTimer.unref();
        snapshotTimer = setInterval(() => void c.saveSnapshots().catch((error: unknown) => logger.warn({ err: error }, 'index snapshot failed')), config.index.snapshotMs);
        snapshotTimer.unref();
        return c;
      }));
    let matchPromise: Promise<MatchService> | undefined;
    const matching = () => (matchPromise ??= catalog().then((c) => new MatchService(c, signals, access.policy)));
    let videoMatchPromise: Promise<VideoMatchService> | undefined;
    const videoMatching = () => (videoMatchPromise ??= Promise.all([catalog(), matching()]).then(([c, m]) => new VideoMatchService(c, signals, m, access.policy)));
    const hashSets = new HashSetService(database.db, signals, access.audit, access.policy, async () => {
      if (catalogPromise) await (await catalogPromise).catchUp();
    });
    opened.push(async () => {
      clearInterval(refreshTimer);
      clearInterval(snapshotTimer);
      if (catalogPromise) await (await catalogPromise).saveSnapshots().catch((error: unknown) => logger.warn({ err: error }, 'index snapshot at shutdown failed'));
    });

    let pool: HashPool | undefined;
    // With a local store, the pool's workers read and write blobs themselves (ingest's intake and image analysis).
    const localBlobs = blobStore.localAccess?.();
    const hashPool = () => (pool ??= new HashPool({ size: config.hashThreads, blobs: localBlobs }));
    opened.push(async () => {
      await pool?.close();
    });

    const limits = resolveIngestLimits();
    const ffmpeg = resolveVideoDecoder(config.video.ffmpegPath, logger);
    // The folder door: with a local store, the hash workers store each file, and an image is analysed and recorded in
    // the intake's own transaction (no job); see ingest-file-job.ts resultAtIntake.
    let ingestDeps: IngestFileJobDeps | undefined;
    const tools = createMediaToolkit({ pool: hashPool, limits, ffmpeg, videoFps: config.video.sampleFps, storedBlobs: localBlobs !== undefined });
    const localIntake: LocalIntake = tools.storeLocal
      ? {
          store: tools.storeLocal,
          settle: {
            prepare: (file, analysed) => resultAtIntake(ingestDeps!, file, analysed),
            commit: (tx, file, result, intake) => commitResult(ingestDeps!, tx, file, result as IngestResult, intake),
          },
        }
      : {};
    const submissions = new SubmissionService(database.db, blobStore, queue, access.audit, access.policy, localIntake);
    // Files waiting for their commit group are committed before the database closes.
    opened.push(() => submissions.close());
    const viewer = new MediaViewService(database.db, blobStore, new RenditionReader(database.db, blobStore), access.policy, access.audit);
    const reports = new ReportService(database.db, submissions, catalog, matching, videoMatching);
    jobHandlers.register(
      INGEST_FILE_JOB,
      ingestFileJob((ingestDeps = {
        db: database.db,
        blobs: blobStore,
        signals,
        audit: access.audit,
        tools,
        submissions,
        limits,
        tmpDir: join(config.dataDir, 'tmp'),
        // Series-match notifications: enqueued with the item, run after its commit (cases/series-match.ts), unless the
        // item is new and matched no stored item of a series (nothing for that job to find).
        inSeriesReach: async (signals) => {
          const c = await catalog();
          await c.catchUp();
          const hits = await (await matching()).match(contextFor(systemActor('series-match')), queryFromSignals(signals).query);
          return hits.some((h) => (h.item?.series.length ?? 0) > 0);
        },
        afterItem: async (tx, e) => {
          if (e.seriesReach) await queue.enqueue(SERIES_MATCH_JOB, { fileId: e.fileId }, { dedupeKey: `series-match:${e.fileId}`, priority: -1 }, tx);
          // Faces and scenes: after the signals, on the connect module's own runner (connect/vision-job.ts).
          await connect.enqueue(tx, e.mediaId);
        },
      })),
    );
    const cases = createCasesModule({ db: database.db, access, submissions, categoryQuorum: config.cases.categoryQuorum });
    jobHandlers.register(SERIES_MATCH_JOB, seriesMatchJob({ db: database.db, catalog, matching, notifications: cases.notifications, videoMatching }));
    const notices = createNoticesModule({ db: database.db, access, cases, submissions, afterPublish: (tx, n) => (n.kind === 'yellow' ? connect.enqueueNoticeFaces(tx, n.id) : Promise.resolve()) });
    const operations = createOperationsModule({ access, cases, notices });
    const statistics = new StatisticsService(access.policy, database.dialect);
    const connect = createConnectModule({
      db: database.db,
      dialect: database.dialect,
      blobs: blobStore,
      queue,
      access,
      cases,
      dataDir: config.dataDir,
      logger: logger.child({ component: 'connect' }),
      runJobs: role !== 'api' && config.jobs.concurrency > 0,
      // Faces and scenes never take the CPU from triage: they start only when no ingest or series-match job is due.
      yieldTo: [INGEST_FILE_JOB, SERIES_MATCH_JOB],
      // The folder door records images at intake, with no job queued: yield while it is taking files in.
      yieldWhile: () => submissions.takingIn,
      threads: config.visionThreads,
      jobs: config.jobs,
      index: config.index,
      shutdownTimeoutMs: config.shutdownTimeoutMs,
      notices: notices.connections,
    });
    opened.push(() => connect.close());

    const uploads = new UploadService({
      store: new UploadStore(join(config.dataDir, 'uploads'), keyring),
      submissions,
      policy: access.policy,
      maxSize: limits.maxFileBytes,
      expiryMs: config.uploads.expiryMs,
      logger: logger.child({ component: 'uploads' }),
    });
    let uploadSweep: NodeJS.Timeout | undefined;
    const sweepUploads = () => void uploads.sweep().catch((error: unknown) => logger.warn({ err: error }, 'sweep of expired uploads failed'));
    opened.push(async () => clearInterval(uploadSweep));

    const startedAt = Date.now();
    const health = new HealthService({ database, blobStore, queue, runner, version: VERSION, startedAt });

    let closed = false;
    return {
      config,
      role,
      logger,
      database,
      schema,
      keyring,
      blobStore,
      queue,
      jobAdmin: new JobAdmin(queue, access.policy, access.audit),
      jobHandlers,
      runner,
      health,
      access,
      signals,
      catalog,
      matching,
      videoMatching,
      ffmpeg,
      hashSets,
      hashPool,
      submissions,
      reports,
      viewer,
      viewingPreferences: new ViewingPreferencesService(database.db, access.policy, access.audit),
      matchPairs: new MatchPairService(database.db, access.policy, viewer),
      uploads,
      cases,
      notices,
      operations,
      statistics,
      connect,
      version: VERSION,
      start() {
        runner?.start();
        connect.start();
        if (role !== 'worker' && !uploadSweep) {
          sweepUploads();
          uploadSweep = setInterval(sweepUploads, Math.min(config.uploads.expiryMs, 3_600_000));
          uploadSweep.unref();
        }
      },
      async close() {
        if (closed) return;
        closed = true;
        if (runner) await runner.stop(config.shutdownTimeoutMs);
        for (const close of opened.reverse()) await close();
      },
    };
  } catch (error) {
    for (const close of opened.reverse()) await close().catch(() => undefined);
    throw error;
  }
}

async function openKeyring(config: AriadneConfig): Promise<MasterKeyring> {
  const key = config.masterKey.source === 'env' ? masterKeyFromHex(config.masterKey.hex) : await loadOrCreateMasterKey(config.masterKey.path);
  return createKeyring(key);
}

async function openBlobStore(config: AriadneConfig, keyring: MasterKeyring): Promise<BlobStore> {
  const c = config.blobStore;
  if (c.kind === 'local') return LocalBlobStore.open({ root: c.root, keyring });
  // Loaded only when configured: the AWS SDK is large and the single-node default never needs it.
  const { S3BlobStore } = await import('./storage/s3-blob-store.js');
  return S3BlobStore.open({
    keyring,
    bucket: c.bucket,
    region: c.region,
    endpoint: c.endpoint,
    forcePathStyle: c.forcePathStyle,
    prefix: c.prefix,
    credentials: c.accessKeyId && c.secretAccessKey ? { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey } : undefined,
    tmpDir: config.dataDir,
  });
}
