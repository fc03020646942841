import type { Selectable } from 'kysely';
import type { Actor, TxContext, UserActor } from '../auth/actor.js';
import type { AccessPolicy } from '../auth/policy.js';
import type { AuditLog } from '../audit/audit-log.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../core/errors.js';
import type { Executor, NoticesTable, NoticeStatus } from '../db/schema.js';

export type NoticeRow = Selectable<NoticesTable>;

/** States every certified user sees; drafts and requests stay with the issuing country and the global admins. */
export const PUBLIC_STATES: readonly NoticeStatus[] = ['published', 'cancellation_requested', 'cancelled'];

/**
 * Who sees and changes a notice (the one place):
 * - published notices (also while their cancellation is asked for, and once cancelled) are seen by every user with
 *   `notices.read`; drafts and requested notices only by the issuing country and global admins (`notices.review`);
 *   anyone else gets "not found";
 * - only the issuing country (users with `notices.write` of that country) changes a notice; another country that
 *   sees it gets "forbidden", one that does not see it "not found";
 * - reviews (publish, return, confirm or decline a cancellation) need `notices.review`.
 */
export class NoticeAccess {
  constructor(
    private readonly policy: AccessPolicy,
    private readonly audit: AuditLog,
  ) {}

  isReviewer(actor: Actor, now?: number): boolean {
    return this.policy.can(actor, 'notices.review', now);
  }

  canSee(actor: UserActor, row: Pick<NoticeRow, 'status' | 'country_code'>, now?: number): boolean {
    return PUBLIC_STATES.includes(row.status) || row.country_code === actor.countryCode || this.isReviewer(actor, now);
  }

  /** The notice when the caller may read it; NotFound otherwise. */
  async read(ctx: TxContext, id: number): Promise<NoticeRow> {
    this.policy.require(ctx.actor, 'notices.read', ctx.now);
    const actor = this.policy.user(ctx.actor);
    const row = await ctx.tx.selectFrom('notices').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || !this.canSee(actor, row, ctx.now)) throw new NotFoundError('notice not found');
    return row as NoticeRow;
  }

  /** The notice when the caller is of the issuing country and may write notices. */
  async issuer(ctx: TxContext, id: number): Promise<NoticeRow> {
    this.policy.require(ctx.actor, 'notices.write', ctx.now);
    const row = await this.read(ctx, id);
    if (row.country_code !== this.policy.user(ctx.actor).countryCode) throw new ForbiddenError(`only the issuing country (${row.country_code}) changes this notice`);
    return row;
  }

  /** The notice for a global admin's review. */
  async reviewer(ctx: TxContext, id: number): Promise<NoticeRow> {
    this.policy.require(ctx.actor, 'notices.review', ctx.now);
    return this.read(ctx, id);
  }

  /**
   * Marks a change of a notice's content outside its body (links, photos): the time, and for a published notice a
   * new version (recorded in notice_versions). Returns the version after the change.
   */
  async touch(ctx: TxContext, row: NoticeRow): Promise<number> {
    const published = row.status === 'published' || row.status === 'cancellation_requested';
    const version = published ? Number(row.version) + 1 : Number(row.version);
    await ctx.tx.updateTable('notices').set({ version, updated_at: ctx.now }).where('id', '=', row.id).execute();
    if (published) {
      const by = ctx.actor.kind === 'user' ? ctx.actor.userId : null;
      await ctx.tx.insertInto('notice_versions').values({ notice_id: row.id, version, body: row.body, subject_status: row.subject_status, changed_by: by, changed_at: ctx.now }).execute();
    }
    return version;
  }

  /** The audit entry and the notice's own history entry, in the caller's transaction. */
  async record(ctx: TxContext, row: Pick<NoticeRow, 'id' | 'country_code'>, action: string, version: number, details: Record<string, unknown> = {}, reasons?: readonly string[]): Promise<void> {
    await this.audit.append(ctx.tx, { action, actor: ctx.actor, object: { type: 'notice', id: row.id, country: row.country_code }, address: ctx.address, requestId: ctx.requestId, details });
    await recordEvent(ctx.tx, { noticeId: row.id, action, actor: ctx.actor, version, reasons, at: ctx.now });
  }
}

/** The issuing country changes a notice while it is a draft or published; a requested one waits for its review. */
export function assertEditable(row: Pick<NoticeRow, 'status'>): void {
  if (row.status === 'draft' || row.status === 'published') return;
  throw new ConflictError(row.status === 'requested' ? 'the notice is under review: it cannot be changed until it is published or returned' : `a ${row.status.replace('_', ' ')} notice cannot be changed`);
}

export async function recordEvent(tx: Executor, e: { noticeId: number; action: string; actor: Actor; version: number; reasons?: readonly string[]; at: number }): Promise<void> {
  await tx
    .insertInto('notice_events')
    .values({
      notice_id: e.noticeId,
      action: e.action,
      actor_id: e.actor.kind === 'user' ? e.actor.userId : null,
      actor_country: e.actor.kind === 'user' ? e.actor.countryCode : null,
      reasons: e.reasons && e.reasons.length > 0 ? JSON.stringify(e.reasons) : null,
      version: e.version,
      at: e.at,
    })
    .execute();
}

/** Active users to tell about a notice of a country: its requester and creator, its contact unit, the country's admins. */
export async function noticeRecipients(ex: Executor, row: Pick<NoticeRow, 'country_code' | 'contact_agency_id' | 'created_by' | 'requested_by'>): Promise<number[]> {
  const users = await ex
    .selectFrom('users')
    .select('id')
    .where('status', '=', 'active')
    .where('role', '<>', 'auditor')
    .where((eb) =>
      eb.or([
        eb('id', 'in', [row.created_by, ...(row.requested_by === null ? [] : [row.requested_by])]),
        eb('agency_id', '=', row.contact_agency_id),
        eb.and([eb('country_code', '=', row.country_code), eb('role', '=', 'country_admin')]),
      ]),
    )
    .execute();
  return users.map((u) => Number(u.id));
}

/** Active global admins (who review requests). */
export async function reviewers(ex: Executor): Promise<number[]> {
  const rows = await ex.selectFrom('users').select('id').where('status', '=', 'active').where('role', '=', 'global_admin').execute();
  return rows.map((r) => Number(r.id));
}
