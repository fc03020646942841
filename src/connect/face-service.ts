import type { TxContext } from '../auth/actor.js';
import type { AccessPolicy } from '../auth/policy.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { PeopleService } from '../cases/people-service.js';
import { InvalidError, NotFoundError } from '../core/errors.js';
import type { Executor } from '../db/schema.js';
import type { VectorCatalog } from './vector-catalog.js';
import type { VisionPool } from './vision-pool.js';
import type { StoredFace, VisionStore } from './vision-store.js';
import { FACE_DESCRIPTOR_DIM } from './vision/face-engine.js';

/**
 * Default distance under which two face descriptors are reported as possibly the same person. The dlib/face-api
 * descriptor's customary threshold is 0.6, but on the package's own sample photos (`npm run bench -- connect`) 0.6
 * let 11 of 190 pairs of different faces through (precision 0.62) while 0.5 let none through and still found every
 * face again in a re-compressed, cropped copy. A candidate is an investigative lead shown to a person, never a
 * decision; callers may ask for a wider `maxDistance`.
 */
export const FACE_MATCH_DISTANCE = 0.5;

/** Runs `fn` in a fresh transaction with the caller's context (the request's, in the API). */
export type InTransaction = <T>(fn: (ctx: TxContext) => Promise<T>) => Promise<T>;

export interface VictimView {
  readonly id: number;
  readonly label: string;
  readonly status: string;
}

export interface FaceView {
  readonly id: number;
  readonly mediaId: number;
  readonly box: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
  readonly score: number;
  readonly model: string;
  /** The victim record this face is linked to, when the caller may see that record; otherwise null. */
  readonly victim: VictimView | null;
}

export interface FaceCandidate extends FaceView {
  readonly distance: number;
}

export interface FindOptions {
  /** Most candidates (default 20, at most 200). */
  readonly limit?: number;
  /** Largest descriptor distance reported (default FACE_MATCH_DISTANCE, at most 2). */
  readonly maxDistance?: number;
}

export interface VictimCandidate {
  readonly personId: number;
  readonly faceId: number;
  readonly mediaId: number;
  readonly distance: number;
}

/**
 * Faces found in stored material and "find this person". Faces are matching material: every certified
 * investigator (`media.match`) sees faces and candidates across everything stored, ranked by distance; the victim a
 * face is linked to is shown only to those who may see that victim record (its agency and the investigations
 * linking it). Linking a face to a victim needs `cases.write` and sight of the victim, and is audited.
 */
export class FaceService {
  constructor(
    private readonly policy: AccessPolicy,
    private readonly audit: AuditLog,
    private readonly store: VisionStore,
    /** The open vector indexes (callers bring them up to date with ConnectModule.ready() outside any transaction). */
    private readonly vectors: () => VectorCatalog,
    private readonly pool: () => VisionPool,
    private readonly people: PeopleService,
  ) {}

  async facesOf(ctx: TxContext, mediaId: number): Promise<{ mediaId: number; analysed: boolean; faces: FaceView[] }> {
    this.policy.require(ctx.actor, 'media.match', ctx.now);
    const item = await ctx.tx.selectFrom('media_items').select('id').where('id', '=', mediaId).executeTakeFirst();
    if (!item) throw new NotFoundError('media item not found');
    const run = await ctx.tx.selectFrom('vision_runs').select('media_id').where('media_id', '=', mediaId).where('kind', '=', 'face').executeTakeFirst();
    const faces = await this.store.faces(ctx.tx, { mediaId });
    return { mediaId, analysed: run !== undefined, faces: await this.views(ctx, faces) };
  }

  /** Faces nearest to a stored face (`faceId`) or to a descriptor, ranked by distance; the face itself is left out. */
  async find(ctx: TxContext, query: { faceId?: number; descriptor?: readonly number[] }, options: FindOptions = {}): Promise<{ query: { faceId: number | null }; candidates: FaceCandidate[] }> {
    this.policy.require(ctx.actor, 'media.match', ctx.now);
    const { limit, maxDistance } = checkFind(options);
    let descriptor: ArrayLike<number>;
    if (query.faceId !== undefined) {
      const stored = await this.store.descriptor(ctx.tx, query.faceId, 'face');
      if (!stored) throw new NotFoundError('face not found');
      descriptor = stored.descriptor;
    } else if (query.descriptor !== undefined) {
      if (query.descriptor.length !== FACE_DESCRIPTOR_DIM || !query.descriptor.every(Number.isFinite)) throw new InvalidError(`a face descriptor is ${FACE_DESCRIPTOR_DIM} finite numbers`);
      descriptor = query.descriptor;
    } else throw new InvalidError('give a faceId or a descriptor');
    const candidates = await this.nearest(ctx, descriptor, limit, maxDistance, query.faceId);
    return { query: { faceId: query.faceId ?? null }, candidates };
  }

  /**
   * Faces in a photo (not stored), each with its candidates. The models run between two short transactions (`inTx`
   * opens one per call), so no database transaction waits for them.
   */
  async findByPhoto(inTx: InTransaction, bytes: Uint8Array, options: FindOptions = {}): Promise<{ width: number; height: number; faces: Array<{ box: FaceView['box']; score: number; candidates: FaceCandidate[] }> }> {
    const { limit, maxDistance } = checkFind(options);
    await inTx(async (ctx) => this.policy.require(ctx.actor, 'media.match', ctx.now));
    const analysis = await this.pool().analyse(bytes, { faces: true, scene: false });
    return inTx(async (ctx) => {
      this.policy.require(ctx.actor, 'media.match', ctx.now);
      const faces = [];
      for (const f of analysis.faces ?? []) faces.push({ box: box(f.box), score: Math.round(f.score * 1000) / 1000, candidates: await this.nearest(ctx, f.descriptor, limit, maxDistance) });
      return { width: analysis.width, height: analysis.height, faces };
    });
  }

  /** Links a face to a victim record (audited). The caller must see the victim; 404 for a face or victim not seen. */
  async linkVictim(ctx: TxContext, faceId: number, personId: number): Promise<FaceView> {
    this.policy.require(ctx.actor, 'cases.write', ctx.now);
    const [face] = await this.store.faces(ctx.tx, { ids: [faceId] });
    if (!face) throw new NotFoundError('face not found');
    const person = await this.people.get(ctx, personId);
    if (person.kind !== 'victim') throw new InvalidError('faces are linked to victim records only');
    if (face.personId === personId) return (await this.views(ctx, [face]))[0];
    const user = this.policy.user(ctx.actor);
    await ctx.tx.updateTable('vision_entries').set({ person_id: personId, linked_by: user.userId, linked_at: ctx.now }).where('id', '=', faceId).execute();
    await this.audit.record(ctx, { action: 'face.link', object: { type: 'face', id: faceId }, details: { mediaId: face.mediaId, personId, previousPersonId: face.personId } });
    return (await this.views(ctx, [{ ...face, personId }]))[0];
  }

  /** Removes a face's victim link (audited); only someone who sees the linked victim may remove it. */
  async unlinkVictim(ctx: TxContext, faceId: number): Promise<FaceView> {
    this.policy.require(ctx.actor, 'cases.write', ctx.now);
    const [face] = await this.store.faces(ctx.tx, { ids: [faceId] });
    if (!face || face.personId === null) throw new NotFoundError('face not linked');
    await this.people.get(ctx, face.personId);
    await ctx.tx.updateTable('vision_entries').set({ person_id: null, linked_by: null, linked_at: null }).where('id', '=', faceId).execute();
    await this.audit.record(ctx, { action: 'face.unlink', object: { type: 'face', id: faceId }, details: { mediaId: face.mediaId, personId: face.personId } });
    return (await this.views(ctx, [{ ...face, personId: null }]))[0];
  }

  /**
   * Victims whose linked faces are near any of the descriptors (a system-level lookup for Yellow Notices: the
   * caller decides who is told). One candidate per victim, its nearest face; sorted by distance. Works on the
   * indexes as they are: catch them up (ConnectModule.ready) before the transaction this runs in.
   */
  async victimCandidates(executor: Executor, descriptors: readonly ArrayLike<number>[], maxDistance = FACE_MATCH_DISTANCE): Promise<VictimCandidate[]> {
    const catalog = this.vectors();
    const best = new Map<number, VictimCandidate>();
    for (const d of descriptors) {
      const hits = catalog.index('face').radius(d, maxDistance, undefined, 5000);
      const faces = await this.store.faces(executor, { ids: Array.from(hits.ids.subarray(0, hits.count)) });
      const distance = new Map(hits.toArray().map((h) => [h.id, h.distance]));
      for (const f of faces) {
        if (f.personId === null) continue;
        const c = { personId: f.personId, faceId: f.id, mediaId: f.mediaId, distance: distance.get(f.id)! };
        const prev = best.get(f.personId);
        if (!prev || c.distance < prev.distance) best.set(f.personId, c);
      }
    }
    return [...best.values()].sort((a, b) => a.distance - b.distance || a.personId - b.personId);
  }

  private async nearest(ctx: TxContext, descriptor: ArrayLike<number>, limit: number, maxDistance: number, exclude?: number): Promise<FaceCandidate[]> {
    const hits = this.vectors().index('face').nearest(descriptor, limit + (exclude === undefined ? 0 : 1));
    const ranked = hits.toArray().filter((h) => h.id !== exclude && h.distance <= maxDistance).slice(0, limit);
    const faces = new Map((await this.store.faces(ctx.tx, { ids: ranked.map((h) => h.id) })).map((f) => [f.id, f]));
    const views = new Map((await this.views(ctx, [...faces.values()])).map((v) => [v.id, v]));
    return ranked.flatMap((h) => {
      const v = views.get(h.id);
      return v ? [{ ...v, distance: Math.round(h.distance * 10_000) / 10_000 }] : [];
    });
  }

  private async views(ctx: TxContext, faces: readonly StoredFace[]): Promise<FaceView[]> {
    const victims = new Map<number, VictimView | null>();
    for (const personId of new Set(faces.flatMap((f) => (f.personId === null ? [] : [f.personId])))) {
      try {
        const p = await this.people.get(ctx, personId);
        victims.set(personId, { id: p.id, label: p.label, status: p.status });
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        victims.set(personId, null);
      }
    }
    return faces.map((f) => ({ id: f.id, mediaId: f.mediaId, box: box(f.box), score: Math.round(f.score * 1000) / 1000, model: f.model, victim: f.personId === null ? null : (victims.get(f.personId) ?? null) }));
  }
}

function box(b: readonly [number, number, number, number]): FaceView['box'] {
  return { x: Math.round(b[0]), y: Math.round(b[1]), width: Math.round(b[2]), height: Math.round(b[3]) };
}

function checkFind(o: FindOptions): { limit: number; maxDistance: number } {
  const limit = o.limit ?? 20;
  const maxDistance = o.maxDistance ?? FACE_MATCH_DISTANCE;
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw new InvalidError('limit is 1 to 200');
  if (!(maxDistance >= 0 && maxDistance <= 2)) throw new InvalidError('maxDistance is 0 to 2');
  return { limit, maxDistance };
}
