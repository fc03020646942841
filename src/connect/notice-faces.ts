import type { Executor } from '../db/schema.js';
import type { NoticeConnections } from '../notices/notice-connections.js';
import { FACE_MATCH_DISTANCE, type FaceService } from './face-service.js';
import type { VectorCatalog } from './vector-catalog.js';
import { bytesVector } from './vision-store.js';

/**
 * Yellow Notices against victims' faces. A published Yellow Notice's photos (media items, analysed by the vision job
 * like any other image) are compared with the faces linked to victim records; each victim within
 * FACE_MATCH_DISTANCE is reported through NoticeConnections.report (kind `face`, score = 1 - distance, the victim's
 * matched item), which records the candidate once and notifies the notice's country for review. It runs when a
 * notice is published (the `connect.notice-faces` job) and when new faces are stored (the vision job's commit): a
 * notice photo analysed after publication, and new material whose item is linked to a victim (directly or through a
 * series) near a notice photo's face. Works on the vector indexes as they are (callers catch them up first).
 */
export class NoticeFaceMatcher {
  constructor(
    private readonly faces: FaceService,
    private readonly vectors: () => VectorCatalog,
    private readonly connections: NoticeConnections,
  ) {}

  /** Compares every photo of a published Yellow Notice with victims' faces; returns how many candidates were new. */
  async forNotice(tx: Executor, noticeId: number): Promise<number> {
    const notice = await tx.selectFrom('notices').select(['id', 'kind', 'status']).where('id', '=', noticeId).executeTakeFirst();
    if (!notice || notice.kind !== 'yellow' || notice.status !== 'published') return 0;
    let created = 0;
    for (const mediaId of await this.photoMedia(tx, noticeId)) {
      const faces = await tx.selectFrom('vision_entries').select('descriptor').where('media_id', '=', mediaId).where('kind', '=', 'face').where('removed_at', 'is', null).execute();
      if (faces.length === 0) continue;
      for (const c of await this.faces.victimCandidates(tx, faces.map((f) => bytesVector(f.descriptor)))) {
        if (c.mediaId === mediaId) continue;
        const r = await this.connections.report(tx, { noticeId, mediaId, victimId: c.personId, kind: 'face', score: Math.round((1 - c.distance) * 10_000) / 10_000, matchedMediaId: c.mediaId });
        if (r.created) created++;
      }
    }
    return created;
  }

  /** New faces stored for an item: a notice photo is compared at once; other material through its victims. */
  async forNewFaces(tx: Executor, mediaId: number, faceIds: readonly number[]): Promise<number> {
    let created = 0;
    const notices = await this.publishedYellowNoticesOf(tx, mediaId);
    for (const n of notices) created += await this.forNotice(tx, n);
    if (notices.length > 0) return created;

    const victims = await this.victimsOf(tx, mediaId);
    if (victims.length === 0) return 0;
    const index = this.vectors().index('face');
    for (const faceId of faceIds) {
      const descriptor = index.get(faceId) ?? (await tx.selectFrom('vision_entries').select('descriptor').where('id', '=', faceId).executeTakeFirst().then((r) => (r ? bytesVector(r.descriptor) : undefined)));
      if (!descriptor) continue;
      const near = index.radius(descriptor, FACE_MATCH_DISTANCE, undefined, 2000).toArray();
      if (near.length === 0) continue;
      const rows = await tx.selectFrom('vision_entries').select(['id', 'media_id']).where('id', 'in', near.map((h) => h.id)).where('removed_at', 'is', null).execute();
      const mediaOf = new Map(rows.map((r) => [Number(r.id), Number(r.media_id)]));
      for (const h of near) {
        const photo = mediaOf.get(h.id);
        if (photo === undefined || photo === mediaId) continue;
        for (const n of await this.publishedYellowNoticesOf(tx, photo)) {
          for (const victimId of victims) {
            const r = await this.connections.report(tx, { noticeId: n, mediaId: photo, victimId, kind: 'face', score: Math.round((1 - h.distance) * 10_000) / 10_000, matchedMediaId: mediaId });
            if (r.created) created++;
          }
        }
      }
    }
    return created;
  }

  private async photoMedia(tx: Executor, noticeId: number): Promise<number[]> {
    const rows = await tx.selectFrom('notice_photos as p').innerJoin('submission_files as f', 'f.id', 'p.file_id').select('f.media_id').where('p.notice_id', '=', noticeId).where('p.removed_at', 'is', null).where('f.media_id', 'is not', null).execute();
    return [...new Set(rows.map((r) => Number(r.media_id)))];
  }

  private async publishedYellowNoticesOf(tx: Executor, mediaId: number): Promise<number[]> {
    const rows = await tx
      .selectFrom('notice_photos as p')
      .innerJoin('submission_files as f', 'f.id', 'p.file_id')
      .innerJoin('notices as n', 'n.id', 'p.notice_id')
      .select('n.id')
      .distinct()
      .where('f.media_id', '=', mediaId)
      .where('p.removed_at', 'is', null)
      .where('n.kind', '=', 'yellow')
      .where('n.status', '=', 'published')
      .execute();
    return rows.map((r) => Number(r.id));
  }

  /** Victims linked to the item directly or through a series holding it. */
  private async victimsOf(tx: Executor, mediaId: number): Promise<number[]> {
    const direct = await tx.selectFrom('person_links as l').innerJoin('people as p', 'p.id', 'l.person_id').select('p.id').where('p.kind', '=', 'victim').where('l.target_type', '=', 'media').where('l.target_id', '=', mediaId).execute();
    const viaSeries = await tx
      .selectFrom('series_media as sm')
      .innerJoin('person_links as l', (j) => j.onRef('l.target_id', '=', 'sm.series_id').on('l.target_type', '=', 'series'))
      .innerJoin('people as p', 'p.id', 'l.person_id')
      .select('p.id')
      .where('p.kind', '=', 'victim')
      .where('sm.media_id', '=', mediaId)
      .execute();
    return [...new Set([...direct, ...viaSeries].map((r) => Number(r.id)))];
  }
}
