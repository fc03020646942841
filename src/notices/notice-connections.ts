import { systemActor, type Actor } from '../auth/actor.js';
import type { AuditLog } from '../audit/audit-log.js';
import { InvalidError, NotFoundError } from '../core/errors.js';
import type { Executor } from '../db/schema.js';
import type { NotificationService } from '../notifications/notification-service.js';
import { noticeRecipients, recordEvent } from './notice-access.js';

/** What connection code (faces, scenes) reports: a notice photo linked to a victim in the database. */
export interface NoticeConnectionReport {
  readonly noticeId: number;
  /** The media item of one of the notice's photos. */
  readonly mediaId: number;
  /** The victim (a `people` row of kind victim) the photo is connected to. */
  readonly victimId: number;
  /** `face`, `scene`, or another connection kind: lower-case letters, digits, `.`, `_`, `-`. */
  readonly kind: string;
  /** The connection's strength as the reporting code defines it (a finite number, e.g. a similarity 0..1). */
  readonly score: number;
  /** The victim's media item the photo matched, when there is one. */
  readonly matchedMediaId?: number | null;
}

export interface NoticeConnection {
  readonly id: number;
  readonly noticeId: number;
  readonly mediaId: number;
  readonly victimId: number;
  readonly matchedMediaId: number | null;
  readonly kind: string;
  readonly score: number;
  readonly reportedBy: string;
  readonly createdAt: number;
}

const KIND = /^[a-z][a-z0-9_.-]{0,31}$/;
const DEFAULT_ACTOR = systemActor('connections');

/**
 * Candidate connections between notice photos and victims. `report(tx, …)` is the one entry point for the code that
 * finds them (faces and scenes): called inside that code's own transaction, it records the connection once per
 * (notice, photo, victim, kind), writes the audit entry and the notice's history, and notifies the notice's
 * country (its drafter and requester, its contact unit, the country's admins). Reporting the same connection again
 * changes nothing and notifies nobody.
 */
export class NoticeConnections {
  constructor(
    private readonly audit: AuditLog,
    private readonly notifications: NotificationService,
  ) {}

  async report(tx: Executor, input: NoticeConnectionReport, options: { actor?: Actor; now?: number } = {}): Promise<{ connection: NoticeConnection; created: boolean; notified: number }> {
    if (!tx.isTransaction) throw new InvalidError('a notice connection is reported inside the transaction of the code that found it');
    if (!KIND.test(input.kind)) throw new InvalidError(`invalid connection kind "${input.kind}"`);
    if (!Number.isFinite(input.score)) throw new InvalidError('a connection score is a finite number');
    const actor = options.actor ?? DEFAULT_ACTOR;
    const now = options.now ?? Date.now();
    const notice = await tx.selectFrom('notices').selectAll().where('id', '=', input.noticeId).executeTakeFirst();
    if (!notice) throw new NotFoundError(`notice ${input.noticeId} not found`);
    const photo = await tx
      .selectFrom('notice_photos as p')
      .innerJoin('submission_files as f', 'f.id', 'p.file_id')
      .select('p.id')
      .where('p.notice_id', '=', input.noticeId)
      .where('p.removed_at', 'is', null)
      .where('f.media_id', '=', input.mediaId)
      .executeTakeFirst();
    if (!photo) throw new NotFoundError(`media item ${input.mediaId} is not a photo of notice ${notice.reference}`);
    const victim = await tx.selectFrom('people').select(['id', 'kind', 'country_code']).where('id', '=', input.victimId).executeTakeFirst();
    if (!victim || victim.kind !== 'victim') throw new NotFoundError(`victim ${input.victimId} not found`);
    if (input.matchedMediaId != null) {
      const m = await tx.selectFrom('media_items').select('id').where('id', '=', input.matchedMediaId).executeTakeFirst();
      if (!m) throw new NotFoundError(`media item ${input.matchedMediaId} not found`);
    }
    const reportedBy = actor.kind === 'user' ? actor.username : `system:${actor.name}`;
    const inserted = await tx
      .insertInto('notice_connections')
      .values({ notice_id: input.noticeId, media_id: input.mediaId, victim_id: input.victimId, matched_media_id: input.matchedMediaId ?? null, kind: input.kind, score: input.score, reported_by: reportedBy, created_at: now })
      .onConflict((oc) => oc.columns(['notice_id', 'media_id', 'victim_id', 'kind']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) {
      const existing = await tx.selectFrom('notice_connections').selectAll().where('notice_id', '=', input.noticeId).where('media_id', '=', input.mediaId).where('victim_id', '=', input.victimId).where('kind', '=', input.kind).executeTakeFirstOrThrow();
      return { connection: toConnection(existing), created: false, notified: 0 };
    }
    const id = Number(inserted.id);
    const details = { connectionId: id, mediaId: input.mediaId, victimId: input.victimId, victimCountry: victim.country_code, matchedMediaId: input.matchedMediaId ?? null, kind: input.kind, score: input.score };
    await this.audit.append(tx, { action: 'notice.connection', actor, object: { type: 'notice', id: input.noticeId, country: notice.country_code }, details, at: now });
    await recordEvent(tx, { noticeId: input.noticeId, action: 'notice.connection', actor, version: Number(notice.version), at: now });
    const label = notice.kind === 'green' ? 'Green Notice' : 'Yellow Notice';
    const message = `A ${input.kind} connection links a photo of ${label} ${notice.reference} to victim ${input.victimId} (${victim.country_code})`;
    const notified = await this.notifications.notify(
      tx,
      (await noticeRecipients(tx, notice)).map((userId) => ({ userId, kind: 'notice.connection' as const, message, object: { type: 'notice', id: input.noticeId }, details, dedupeKey: `notice.connection:${id}` })),
      now,
    );
    const row = await tx.selectFrom('notice_connections').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    return { connection: toConnection(row), created: true, notified };
  }
}

export async function listConnections(ex: Executor, noticeId: number): Promise<NoticeConnection[]> {
  const rows = await ex.selectFrom('notice_connections').selectAll().where('notice_id', '=', noticeId).orderBy('id').execute();
  return rows.map(toConnection);
}

function toConnection(r: { id: number; notice_id: number; media_id: number; victim_id: number; matched_media_id: number | null; kind: string; score: number; reported_by: string; created_at: number }): NoticeConnection {
  return {
    id: Number(r.id),
    noticeId: Number(r.notice_id),
    mediaId: Number(r.media_id),
    victimId: Number(r.victim_id),
    matchedMediaId: r.matched_media_id === null ? null : Number(r.matched_media_id),
    kind: r.kind,
    score: Number(r.score),
    reportedBy: r.reported_by,
    createdAt: Number(r.created_at),
  };
}
