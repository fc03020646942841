import type { TxContext } from '../auth/actor.js';
import type { AccessPolicy } from '../auth/policy.js';
import { InvalidError, NotFoundError } from '../core/errors.js';
import type { Executor } from '../db/schema.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { InTransaction } from './face-service.js';
import type { VectorCatalog } from './vector-catalog.js';
import type { VisionPool } from './vision-pool.js';
import { bytesVector, type VisionStore } from './vision-store.js';
import { asBuffer } from '../core/bytes.js';

/**
 * Thresholds chosen by the evaluation (`npm run bench -- connect`, see docs/ARCHITECTURE.md): the scene
 * descriptor's nearest SCENE_SHORTLIST candidates within SCENE_SHORTLIST_DISTANCE are shortlisted, and a pair is a
 * confirmed same-place connection when ORB + RANSAC finds at least SCENE_MIN_INLIERS inlier matches.
 */
export const SCENE_SHORTLIST = 10;
export const SCENE_SHORTLIST_DISTANCE = 0.5;
export const SCENE_MIN_INLIERS = 20;

export interface SceneCandidate {
  readonly mediaId: number;
  /** Scene descriptor distance (0..2); null for a pair known only from a stored confirmation. */
  readonly distance: number | null;
  /** The stored ORB + RANSAC result for the pair, when it was confirmed. */
  readonly inliers: number | null;
  readonly confirmed: boolean;
}

export interface PointPair {
  readonly a: readonly [number, number];
  readonly b: readonly [number, number];
}

export interface SceneConfirmation {
  readonly a: { readonly mediaId: number; readonly width: number; readonly height: number };
  readonly b: { readonly mediaId: number; readonly width: number; readonly height: number };
  /** Feature matches that passed the ratio test. */
  readonly candidates: number;
  /** Matches consistent with one homography. */
  readonly inliers: number;
  readonly confirmed: boolean;
  /** The inlier matches, in each upright original's pixels, for the viewer to draw. */
  readonly pairs: readonly PointPair[];
}

/**
 * Scenes: the same room or place in different material. `similar` shortlists by the global scene descriptor (the
 * vector index), `confirm` decides a pair by ORB feature matching and a RANSAC homography and stores the result
 * with its inlier point pairs. Scenes are matching material (`media.match`).
 */
export class SceneService {
  constructor(
    private readonly policy: AccessPolicy,
    private readonly store: VisionStore,
    private readonly vectors: () => VectorCatalog,
    private readonly pool: () => VisionPool,
    private readonly blobs: BlobStore,
  ) {}

  async similar(ctx: TxContext, mediaId: number, options: { limit?: number; maxDistance?: number } = {}): Promise<{ mediaId: number; analysed: boolean; candidates: SceneCandidate[] }> {
    this.policy.require(ctx.actor, 'media.match', ctx.now);
    const limit = options.limit ?? SCENE_SHORTLIST;
    const maxDistance = options.maxDistance ?? SCENE_SHORTLIST_DISTANCE;
    if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw new InvalidError('limit is 1 to 200');
    if (!(maxDistance >= 0 && maxDistance <= 2)) throw new InvalidError('maxDistance is 0 to 2');
    await requireItem(ctx.tx, mediaId);
    const entry = await ctx.tx.selectFrom('vision_entries').select(['id', 'descriptor']).where('media_id', '=', mediaId).where('kind', '=', 'scene').where('removed_at', 'is', null).orderBy('id', 'desc').executeTakeFirst();
    const confirmations = await confirmationsOf(ctx.tx, mediaId);
    if (!entry) return { mediaId, analysed: false, candidates: confirmations.map((c) => ({ mediaId: c.other, distance: null, inliers: c.inliers, confirmed: c.inliers >= SCENE_MIN_INLIERS })) };
    const hits = this.vectors().index('scene').nearest(bytesVector(entry.descriptor), limit + 1);
    const media = await this.store.sceneMedia(ctx.tx, Array.from(hits.ids.subarray(0, hits.count)));
    const byMedia = new Map<number, SceneCandidate>();
    for (const h of hits.toArray()) {
      const other = media.get(h.id);
      if (other === undefined || other === mediaId || h.distance > maxDistance || byMedia.has(other)) continue;
      const c = confirmations.find((x) => x.other === other);
      byMedia.set(other, { mediaId: other, distance: Math.round(h.distance * 10_000) / 10_000, inliers: c?.inliers ?? null, confirmed: (c?.inliers ?? 0) >= SCENE_MIN_INLIERS });
    }
    for (const c of confirmations) if (!byMedia.has(c.other)) byMedia.set(c.other, { mediaId: c.other, distance: null, inliers: c.inliers, confirmed: c.inliers >= SCENE_MIN_INLIERS });
    const candidates = [...byMedia.values()].slice(0, limit + confirmations.length);
    return { mediaId, analysed: true, candidates };
  }

  /**
   * ORB + RANSAC between two stored images; the result (inliers and point pairs) is stored for the pair. The
   * matching runs between two short transactions (`inTx` opens one per call), so no transaction waits for it.
   */
  async confirm(inTx: InTransaction, mediaId: number, otherId: number): Promise<SceneConfirmation> {
    if (mediaId === otherId) throw new InvalidError('compare two different items');
    const [a, b] = await inTx(async (ctx) => {
      this.policy.require(ctx.actor, 'media.match', ctx.now);
      return [await requireItem(ctx.tx, mediaId), await requireItem(ctx.tx, otherId)];
    });
    if (a.kind !== 'image' || b.kind !== 'image') throw new InvalidError('scene confirmation compares two images');
    const [ba, bb] = await Promise.all([this.blobs.getBuffer(a.sha256), this.blobs.getBuffer(b.sha256)]);
    const m = await this.pool().match(ba, bb);
    // Stored once per unordered pair, smaller id first.
    const flip = mediaId > otherId;
    const stored = flip ? swapPairs(m.pairs) : m.pairs;
    const [sa, sb] = flip ? [m.b, m.a] : [m.a, m.b];
    const row = {
      media_a: Math.min(mediaId, otherId),
      media_b: Math.max(mediaId, otherId),
      candidates: m.candidates,
      inliers: m.inliers,
      pairs: asBuffer(stored),
      width_a: sa.width,
      height_a: sa.height,
      width_b: sb.width,
      height_b: sb.height,
      at: Date.now(),
    };
    await inTx(async (ctx) => {
      this.policy.require(ctx.actor, 'media.match', ctx.now);
      await ctx.tx
        .insertInto('scene_confirmations')
        .values(row)
        .onConflict((oc) => oc.columns(['media_a', 'media_b']).doUpdateSet({ candidates: row.candidates, inliers: row.inliers, pairs: row.pairs, width_a: row.width_a, height_a: row.height_a, width_b: row.width_b, height_b: row.height_b, at: row.at }))
        .execute();
    });
    return {
      a: { mediaId, width: m.a.width, height: m.a.height },
      b: { mediaId: otherId, width: m.b.width, height: m.b.height },
      candidates: m.candidates,
      inliers: m.inliers,
      confirmed: m.inliers >= SCENE_MIN_INLIERS,
      pairs: toPairs(m.pairs),
    };
  }
}

async function requireItem(ex: Executor, id: number): Promise<{ id: number; sha256: string; kind: string }> {
  const item = await ex.selectFrom('media_items').select(['id', 'sha256', 'kind']).where('id', '=', id).executeTakeFirst();
  if (!item) throw new NotFoundError('media item not found');
  return { id: Number(item.id), sha256: item.sha256, kind: item.kind };
}

/** Stored confirmations involving an item, strongest first. */
export async function confirmationsOf(ex: Executor, mediaId: number): Promise<Array<{ other: number; inliers: number }>> {
  const rows = await ex
    .selectFrom('scene_confirmations')
    .select(['media_a', 'media_b', 'inliers'])
    .where((eb) => eb.or([eb('media_a', '=', mediaId), eb('media_b', '=', mediaId)]))
    .orderBy('inliers', 'desc')
    .limit(200)
    .execute();
  return rows.map((r) => ({ other: Number(r.media_a) === mediaId ? Number(r.media_b) : Number(r.media_a), inliers: Number(r.inliers) }));
}

function swapPairs(p: Float32Array): Float32Array {
  const out = new Float32Array(p.length);
  for (let i = 0; i < p.length; i += 4) {
    out[i] = p[i + 2];
    out[i + 1] = p[i + 3];
    out[i + 2] = p[i];
    out[i + 3] = p[i + 1];
  }
  return out;
}

function toPairs(p: Float32Array): PointPair[] {
  const out: PointPair[] = [];
  const r = (v: number) => Math.round(v * 10) / 10;
  for (let i = 0; i + 3 < p.length; i += 4) out.push({ a: [r(p[i]), r(p[i + 1])], b: [r(p[i + 2]), r(p[i + 3])] });
  return out;
}
