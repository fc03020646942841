import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { inTransaction, type RequestContext } from '../auth/actor.js';
import type { AccessPolicy } from '../auth/policy.js';
import { InvalidError, NotFoundError } from '../core/errors.js';
import type { Db, Executor } from '../db/schema.js';
import type { SubmissionService } from '../ingest/submission-service.js';
import { assertEditable, type NoticeAccess } from './notice-access.js';

export interface NoticePhoto {
  readonly id: number;
  readonly caption: string;
  readonly fileName: string;
  /** The ingest job's progress: `pending` until hashed, then `done` (a media item) or `error`. */
  readonly status: 'pending' | 'done' | 'error';
  /** The media item (exact + PDQ hashes, redacted thumbnail), viewable through /api/media/:id. */
  readonly mediaId: number | null;
  readonly sha256: string | null;
  readonly error: string | null;
  readonly addedAt: number;
}

/**
 * Photos of a notice's subject. Each is taken in like any media: streamed once into the encrypted blob store as a
 * file of the notice's own submission (reference = the notice's reference, device `notice photos`), then hashed by
 * the ingest job (SHA-256/MD5/SHA-1 and PDQ, EXIF, redacted thumbnail) into a media item, so it is matchable and
 * viewed through the audited media routes. The notice keeps the file; the media id appears once the job has run.
 */
export class NoticePhotos {
  constructor(
    private readonly db: Db,
    private readonly policy: AccessPolicy,
    private readonly access: NoticeAccess,
    private readonly submissions: SubmissionService,
  ) {}

  async add(ctx: RequestContext, noticeId: number, input: { fileName: string; caption?: string }, source: Readable): Promise<NoticePhoto> {
    const caption = (input.caption ?? '').trim();
    if (caption.length > 500) {
      source.resume();
      throw new InvalidError('a caption has at most 500 characters');
    }
    const name = (input.fileName.split(/[\\/]/).pop() ?? '').replace(/[^\p{L}\p{N}._ -]/gu, '_').slice(-120) || 'photo';
    let submissionId: number;
    try {
      const row = await inTransaction(this.db, ctx, async (tx) => {
        const r = await this.access.issuer(tx, noticeId);
        assertEditable(r);
        return r;
      });
      submissionId = row.submission_id === null ? await this.createSubmission(ctx, noticeId, row.reference) : Number(row.submission_id);
    } catch (error) {
      source.resume();
      throw error;
    }
    // A fresh path per upload: two different photos with the same name are two files.
    const path = `photos/${randomBytes(6).toString('hex')}-${name}`;
    const added = await this.submissions.addFile(ctx, submissionId, { path }, source);
    return inTransaction(this.db, ctx, async (tx) => {
      const row = await this.access.issuer(tx, noticeId);
      assertEditable(row);
      const inserted = await tx.tx
        .insertInto('notice_photos')
        .values({ notice_id: noticeId, file_id: added.fileId, caption, added_by: this.policy.user(tx.actor).userId, added_at: tx.now, removed_at: null })
        .returning('id')
        .executeTakeFirstOrThrow();
      const version = await this.access.touch(tx, row);
      await this.access.record(tx, row, 'notice.photo.add', version, { photoId: Number(inserted.id), fileId: added.fileId, submissionId, sha256: added.sha256, version });
      const photos = await listPhotos(tx.tx, noticeId);
      return photos.find((p) => p.id === Number(inserted.id))!;
    });
  }

  async list(ctx: RequestContext, noticeId: number): Promise<NoticePhoto[]> {
    return inTransaction(this.db, ctx, async (tx) => {
      await this.access.read(tx, noticeId);
      return listPhotos(tx.tx, noticeId);
    });
  }

  /** Takes a photo off the notice (the stored media item stays: evidence is never deleted). */
  async remove(ctx: RequestContext, noticeId: number, photoId: number): Promise<void> {
    await inTransaction(this.db, ctx, async (tx) => {
      const row = await this.access.issuer(tx, noticeId);
      assertEditable(row);
      const removed = await tx.tx.updateTable('notice_photos').set({ removed_at: tx.now }).where('id', '=', photoId).where('notice_id', '=', noticeId).where('removed_at', 'is', null).executeTakeFirst();
      if (Number(removed.numUpdatedRows) === 0) throw new NotFoundError('no such photo');
      const version = await this.access.touch(tx, row);
      await this.access.record(tx, row, 'notice.photo.remove', version, { photoId, version });
    });
  }

  private async createSubmission(ctx: RequestContext, noticeId: number, reference: string): Promise<number> {
    const submission = await this.submissions.create(ctx, { reference, device: 'notice photos', notes: `photos of notice ${reference}` });
    return inTransaction(this.db, ctx, async (tx) => {
      // Two first photos at once: the first to commit names the submission, the other uses it (its own stays empty).
      await tx.tx.updateTable('notices').set({ submission_id: submission.id }).where('id', '=', noticeId).where('submission_id', 'is', null).execute();
      const row = await tx.tx.selectFrom('notices').select('submission_id').where('id', '=', noticeId).executeTakeFirstOrThrow();
      return Number(row.submission_id);
    });
  }
}

/** The photos on a notice, oldest first, with their media items once hashed. */
export async function listPhotos(ex: Executor, noticeId: number): Promise<NoticePhoto[]> {
  const rows = await ex
    .selectFrom('notice_photos as p')
    .innerJoin('submission_files as f', 'f.id', 'p.file_id')
    .select(['p.id', 'p.caption', 'p.added_at', 'f.path', 'f.status', 'f.media_id', 'f.blob_sha256', 'f.error'])
    .where('p.notice_id', '=', noticeId)
    .where('p.removed_at', 'is', null)
    .orderBy('p.id')
    .execute();
  return rows.map((r) => ({
    id: Number(r.id),
    caption: r.caption,
    fileName: r.path.replace(/^photos\/[0-9a-f]{12}-/, ''),
    status: r.status,
    mediaId: r.media_id === null ? null : Number(r.media_id),
    sha256: r.blob_sha256,
    error: r.error,
    addedAt: Number(r.added_at),
  }));
}
