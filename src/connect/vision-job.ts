import { AriadneError } from '../core/errors.js';
import type { Db, Tx } from '../db/schema.js';
import type { ClaimedJob, JobOutcome } from '../jobs/job-queue.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { VisionPool } from './vision-pool.js';
import type { VisionStore } from './vision-store.js';
import { FACE_MODEL } from './vision/face-engine.js';
import { SCENE_MODEL } from './vision/scene-descriptor.js';

/**
 * `connect.vision`: faces and the scene descriptor of one stored image, after its signals.
 *
 * Where it hooks in: the ingest.file job's `afterItem` hook enqueues it in the commit that stores the item (one row,
 * deduplicated per media item), so triage (signals, known/new) is never waiting for it. It is claimed only by the
 * connect module's own job runner (one job at a time, the vision pool's size), never by the runner that processes
 * ingest, so a backlog of vision work cannot occupy the slots triage needs. Idempotent: `vision_runs` records each
 * (item, kind, model) once, in the transaction that completes the job; a rerun after a crash writes nothing twice.
 */
export const VISION_JOB = 'connect.vision';

export interface VisionJobDeps {
  readonly db: Db;
  readonly blobs: BlobStore;
  readonly store: VisionStore;
  readonly pool: () => VisionPool;
  /** Brings the vector indexes up to date (before the completing transaction, when `afterFaces` will query them). */
  readonly ready?: () => Promise<unknown>;
  /** Called in the completing transaction with the new face entries (Yellow Notice comparisons hook in here). */
  readonly afterFaces?: (tx: Tx, event: { mediaId: number; faceIds: readonly number[] }) => Promise<void>;
}

export function visionJob(deps: VisionJobDeps) {
  return async (job: ClaimedJob): Promise<JobOutcome> => {
    const { mediaId } = job.payload as { mediaId: number };
    const item = await deps.db.selectFrom('media_items').select(['id', 'sha256', 'kind']).where('id', '=', mediaId).executeTakeFirst();
    if (!item) return { status: 'skipped', reason: `media item ${mediaId} does not exist` };
    if (item.kind !== 'image') return { status: 'skipped', reason: `media item ${mediaId} is a ${item.kind}, not an image` };
    const wantFaces = !(await deps.store.hasRun(deps.db, mediaId, 'face', FACE_MODEL));
    const wantScene = !(await deps.store.hasRun(deps.db, mediaId, 'scene', SCENE_MODEL));
    if (!wantFaces && !wantScene) return { status: 'done', result: { already: true } };
    const bytes = await deps.blobs.getBuffer(item.sha256);
    let analysis;
    try {
      analysis = await deps.pool().analyse(bytes, { faces: wantFaces, scene: wantScene });
    } catch (error) {
      // An image the decoder refuses is skipped (not retried): nothing can be learnt from it by running again.
      if (error instanceof AriadneError && error.kind === 'invalid') return { status: 'skipped', reason: error.message };
      throw error;
    }
    if (deps.afterFaces && deps.ready && (analysis.faces?.length ?? 0) > 0) await deps.ready();
    return {
      status: 'done',
      result: { faces: analysis.faces?.length ?? null, scene: analysis.scene !== undefined, ms: analysis.ms },
      commit: async (tx: Tx) => {
        const now = Date.now();
        const size = { width: analysis.width, height: analysis.height };
        if (analysis.faces) {
          const ids = await deps.store.recordRun(tx, { mediaId, kind: 'face', model: FACE_MODEL, ...size, faces: analysis.faces }, now);
          if (ids && ids.length > 0 && deps.afterFaces) await deps.afterFaces(tx, { mediaId, faceIds: ids });
        }
        if (analysis.scene) await deps.store.recordRun(tx, { mediaId, kind: 'scene', model: SCENE_MODEL, ...size, scene: analysis.scene }, now);
      },
    };
  };
}
