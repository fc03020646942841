import type { TxContext } from '../auth/actor.js';
import type { AccessPolicy } from '../auth/policy.js';
import { ConflictError, ForbiddenError, InvalidError } from '../core/errors.js';
import type { NewNotification, NotificationService } from '../notifications/notification-service.js';
import { noticeRecipients, reviewers, type NoticeAccess, type NoticeRow } from './notice-access.js';
import type { NoticeService, NoticeView } from './notice-service.js';

/**
 * The review lifecycle of a notice:
 * ```
 * draft --request--> requested --publish (another global admin)--> published --requestCancellation--> cancellation_requested
 *   ^                    |                                             ^                                  |        |
 *   +----return(reasons)-+                                             +------------decline(reasons)------+        confirm --> cancelled
 * draft --requestCancellation--> cancelled (never published: withdrawn at once)
 * ```
 * Four eyes: nobody publishes a notice they drafted or requested, nor confirms a cancellation they asked for.
 * Every step is audited, written to the notice's history, and notified (reviewers on requests, the issuing country
 * on decisions).
 */
export class NoticeLifecycle {
  constructor(
    private readonly policy: AccessPolicy,
    private readonly access: NoticeAccess,
    private readonly notices: NoticeService,
    private readonly notifications: NotificationService,
    /** Runs in the publishing transaction (connect/ enqueues the Yellow Notice face comparison here). */
    private readonly afterPublish?: (tx: TxContext['tx'], notice: { id: number; kind: string }) => Promise<void>,
  ) {}

  /** The issuing country asks for publication. */
  async request(ctx: TxContext, id: number): Promise<NoticeView> {
    const row = await this.access.issuer(ctx, id);
    if (row.status !== 'draft') throw new ConflictError(`only a draft can be requested for publication; this notice is ${row.status}`);
    const actor = this.policy.user(ctx.actor);
    await ctx.tx.updateTable('notices').set({ status: 'requested', requested_by: actor.userId, requested_at: ctx.now, updated_at: ctx.now }).where('id', '=', id).execute();
    await this.access.record(ctx, row, 'notice.request', Number(row.version), { reference: row.reference });
    await this.tell(ctx, await reviewers(ctx.tx), row, `${label(row)} ${row.reference} from ${row.country_code} awaits review`, 'request');
    return this.notices.get(ctx, id);
  }

  /** A global admin other than the drafter and the requester publishes a requested notice. */
  async publish(ctx: TxContext, id: number): Promise<NoticeView> {
    const row = await this.access.reviewer(ctx, id);
    if (row.status !== 'requested') throw new ConflictError(`only a requested notice can be published; this notice is ${row.status}`);
    const actor = this.policy.user(ctx.actor);
    if (actor.userId === Number(row.created_by) || actor.userId === Number(row.requested_by)) {
      throw new ForbiddenError('you cannot publish a notice you drafted or requested; another global admin must review it');
    }
    await ctx.tx.updateTable('notices').set({ status: 'published', reviewed_by: actor.userId, published_at: row.published_at ?? ctx.now, return_reasons: null, updated_at: ctx.now }).where('id', '=', id).execute();
    await ctx.tx
      .insertInto('notice_versions')
      .values({ notice_id: id, version: Number(row.version), body: row.body, subject_status: row.subject_status, changed_by: actor.userId, changed_at: ctx.now })
      .onConflict((oc) => oc.columns(['notice_id', 'version']).doNothing())
      .execute();
    await this.access.record(ctx, row, 'notice.publish', Number(row.version), { reference: row.reference, requestedBy: row.requested_by });
    await this.tell(ctx, await noticeRecipients(ctx.tx, row), row, `${label(row)} ${row.reference} was published`, 'publish');
    if (this.afterPublish) await this.afterPublish(ctx.tx, { id, kind: row.kind });
    return this.notices.get(ctx, id);
  }

  /** A global admin returns a requested notice to its country with reasons; it is a draft again. */
  async return(ctx: TxContext, id: number, reasons: readonly string[]): Promise<NoticeView> {
    const row = await this.access.reviewer(ctx, id);
    if (row.status !== 'requested') throw new ConflictError(`only a requested notice can be returned; this notice is ${row.status}`);
    const clean = checkReasons(reasons);
    await ctx.tx.updateTable('notices').set({ status: 'draft', reviewed_by: this.policy.user(ctx.actor).userId, return_reasons: JSON.stringify(clean), updated_at: ctx.now }).where('id', '=', id).execute();
    await this.access.record(ctx, row, 'notice.return', Number(row.version), { reference: row.reference, reasons: clean }, clean);
    await this.tell(ctx, await noticeRecipients(ctx.tx, row), row, `${label(row)} ${row.reference} was returned: ${clean.join('; ')}`, 'return');
    return this.notices.get(ctx, id);
  }

  /**
   * The issuing country asks to cancel. A notice never published (draft) is withdrawn at once; a published one waits
   * for a global admin to confirm.
   */
  async requestCancellation(ctx: TxContext, id: number, reason: string): Promise<NoticeView> {
    const row = await this.access.issuer(ctx, id);
    const why = reason.trim();
    if (why.length === 0 || why.length > 2000) throw new InvalidError('a cancellation needs a reason of 1 to 2000 characters');
    const actor = this.policy.user(ctx.actor);
    if (row.status === 'draft') {
      await ctx.tx.updateTable('notices').set({ status: 'cancelled', cancel_reason: why, cancel_requested_by: actor.userId, cancelled_at: ctx.now, subject_status: row.kind === 'yellow' ? 'cancelled' : null, updated_at: ctx.now }).where('id', '=', id).execute();
      await this.access.record(ctx, row, 'notice.withdraw', Number(row.version), { reference: row.reference, reason: why }, [why]);
      return this.notices.get(ctx, id);
    }
    if (row.status !== 'published') throw new ConflictError(`a ${row.status.replace('_', ' ')} notice cannot be cancelled now`);
    await ctx.tx.updateTable('notices').set({ status: 'cancellation_requested', cancel_reason: why, cancel_requested_by: actor.userId, updated_at: ctx.now }).where('id', '=', id).execute();
    await this.access.record(ctx, row, 'notice.cancel.request', Number(row.version), { reference: row.reference, reason: why }, [why]);
    await this.tell(ctx, await reviewers(ctx.tx), row, `${row.country_code} asks to cancel ${label(row)} ${row.reference}: ${why}`, 'cancel.request');
    return this.notices.get(ctx, id);
  }

  /** A global admin (not the one who asked) confirms a cancellation. */
  async confirmCancellation(ctx: TxContext, id: number): Promise<NoticeView> {
    const row = await this.pendingCancellation(ctx, id);
    if (this.policy.user(ctx.actor).userId === Number(row.cancel_requested_by)) throw new ForbiddenError('you cannot confirm a cancellation you asked for; another global admin must confirm it');
    await ctx.tx.updateTable('notices').set({ status: 'cancelled', cancelled_at: ctx.now, reviewed_by: this.policy.user(ctx.actor).userId, subject_status: row.kind === 'yellow' ? 'cancelled' : null, updated_at: ctx.now }).where('id', '=', id).execute();
    await this.access.record(ctx, row, 'notice.cancel', Number(row.version), { reference: row.reference, reason: row.cancel_reason });
    await this.tell(ctx, await noticeRecipients(ctx.tx, row), row, `${label(row)} ${row.reference} was cancelled`, 'cancel');
    return this.notices.get(ctx, id);
  }

  /** A global admin declines a cancellation with reasons: the notice stays published. */
  async declineCancellation(ctx: TxContext, id: number, reasons: readonly string[]): Promise<NoticeView> {
    const row = await this.pendingCancellation(ctx, id);
    const clean = checkReasons(reasons);
    await ctx.tx.updateTable('notices').set({ status: 'published', cancel_reason: null, cancel_requested_by: null, updated_at: ctx.now }).where('id', '=', id).execute();
    await this.access.record(ctx, row, 'notice.cancel.decline', Number(row.version), { reference: row.reference, reasons: clean }, clean);
    await this.tell(ctx, await noticeRecipients(ctx.tx, row), row, `Cancellation of ${label(row)} ${row.reference} was declined: ${clean.join('; ')}`, 'cancel.decline');
    return this.notices.get(ctx, id);
  }

  private async pendingCancellation(ctx: TxContext, id: number): Promise<NoticeRow> {
    const row = await this.access.reviewer(ctx, id);
    if (row.status !== 'cancellation_requested') throw new ConflictError(`no cancellation is pending; this notice is ${row.status}`);
    return row;
  }

  private async tell(ctx: TxContext, userIds: readonly number[], row: NoticeRow, message: string, step: string): Promise<void> {
    const me = ctx.actor.kind === 'user' ? ctx.actor.userId : null;
    const items: NewNotification[] = [...new Set(userIds)]
      .filter((u) => u !== me)
      .map((userId) => ({ userId, kind: 'notice.review', message, object: { type: 'notice', id: Number(row.id) }, details: { reference: row.reference, step }, dedupeKey: `notice:${row.id}:${step}:${ctx.now}` }));
    await this.notifications.notify(ctx.tx, items, ctx.now);
  }
}

function label(row: Pick<NoticeRow, 'kind'>): string {
  return row.kind === 'green' ? 'Green Notice' : 'Yellow Notice';
}

function checkReasons(reasons: readonly string[]): string[] {
  const clean = reasons.map((r) => r.trim()).filter((r) => r.length > 0);
  if (clean.length === 0) throw new InvalidError('give at least one reason');
  if (clean.length > 20 || clean.some((r) => r.length > 2000)) throw new InvalidError('at most 20 reasons of at most 2000 characters each');
  return clean;
}
