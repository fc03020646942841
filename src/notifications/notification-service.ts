import { EventEmitter } from 'node:events';
import type { TxContext } from '../auth/actor.js';
import type { AccessPolicy } from '../auth/policy.js';
import type { Executor, NotificationsTable } from '../db/schema.js';

export type NotificationKind = NotificationsTable['kind'];

export interface NewNotification {
  readonly userId: number;
  readonly kind: NotificationKind;
  readonly message: string;
  readonly object?: { readonly type: string; readonly id: number | string };
  readonly details?: Record<string, unknown>;
  /** At most one notification per user and key. */
  readonly dedupeKey?: string;
}

export interface Notification {
  readonly id: number;
  readonly kind: NotificationKind;
  readonly message: string;
  readonly objectType: string | null;
  readonly objectId: string | null;
  readonly details: Record<string, unknown> | null;
  readonly createdAt: number;
  readonly readAt: number | null;
}

/** How long after an in-process insert local streams look again (the inserting transaction commits meanwhile). */
const WAKE_DELAY_MS = 30;

/**
 * In-app notifications: rows in the database (so every API process sees them), written in the transaction of the
 * change that causes them, listed and marked read by their user. Streams (server-sent events) read them with
 * `since`; `onWake` lets a stream in this process look at once after a local insert instead of waiting for its poll.
 */
export class NotificationService {
  private readonly wakes = new EventEmitter();

  constructor(private readonly policy: AccessPolicy) {
    this.wakes.setMaxListeners(0);
  }

  /** Inserts notifications in `tx` (duplicates by dedupe key are skipped); returns how many were new. */
  async notify(tx: Executor, items: readonly NewNotification[], now: number): Promise<number> {
    if (items.length === 0) return 0;
    const rows = await tx
      .insertInto('notifications')
      .values(
        items.map((n) => ({
          user_id: n.userId,
          kind: n.kind,
          message: n.message.slice(0, 1000),
          object_type: n.object?.type ?? null,
          object_id: n.object === undefined ? null : String(n.object.id),
          details: n.details === undefined ? null : JSON.stringify(n.details),
          dedupe_key: n.dedupeKey ?? null,
          created_at: now,
          read_at: null,
        })),
      )
      .onConflict((oc) => oc.columns(['user_id', 'dedupe_key']).doNothing())
      .returning('user_id')
      .execute();
    const users = new Set(rows.map((r) => Number(r.user_id)));
    if (users.size > 0) {
      const timer = setTimeout(() => {
        for (const u of users) this.wakes.emit(String(u));
      }, WAKE_DELAY_MS);
      timer.unref();
    }
    return rows.length;
  }

  /** Calls `fn` when a notification for the user was written in this process; returns the unsubscribe. */
  onWake(userId: number, fn: () => void): () => void {
    const key = String(userId);
    this.wakes.on(key, fn);
    return () => this.wakes.off(key, fn);
  }

  /** The caller's notifications, newest first (keyset paging by id). */
  async list(ctx: TxContext, input: { unreadOnly?: boolean; beforeId?: number; limit?: number }): Promise<{ notifications: Notification[]; unread: number }> {
    const actor = this.policy.user(ctx.actor);
    let q = ctx.tx.selectFrom('notifications').selectAll().where('user_id', '=', actor.userId).orderBy('id', 'desc').limit(clampLimit(input.limit));
    if (input.unreadOnly) q = q.where('read_at', 'is', null);
    if (input.beforeId !== undefined) q = q.where('id', '<', input.beforeId);
    const unread = await ctx.tx
      .selectFrom('notifications')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', actor.userId)
      .where('read_at', 'is', null)
      .executeTakeFirstOrThrow();
    return { notifications: (await q.execute()).map(toNotification), unread: Number(unread.n) };
  }

  /** Marks the caller's notifications read (the given ids, or all); returns how many changed. */
  async markRead(ctx: TxContext, input: { ids?: readonly number[] }): Promise<number> {
    const actor = this.policy.user(ctx.actor);
    let q = ctx.tx.updateTable('notifications').set({ read_at: ctx.now }).where('user_id', '=', actor.userId).where('read_at', 'is', null);
    if (input.ids !== undefined) {
      if (input.ids.length === 0) return 0;
      q = q.where('id', 'in', [...input.ids]);
    }
    const result = await q.executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** A user's notifications with id above `afterId`, oldest first (what a stream sends next). */
  async since(ex: Executor, userId: number, afterId: number, limit = 100): Promise<Notification[]> {
    const rows = await ex.selectFrom('notifications').selectAll().where('user_id', '=', userId).where('id', '>', afterId).orderBy('id').limit(limit).execute();
    return rows.map(toNotification);
  }

  /** The id of a user's newest notification (0 when none): where a fresh stream starts. */
  async latestId(ex: Executor, userId: number): Promise<number> {
    const row = await ex.selectFrom('notifications').select((eb) => eb.fn.max('id').as('id')).where('user_id', '=', userId).executeTakeFirst();
    return Number(row?.id ?? 0);
  }
}

function clampLimit(limit: number | undefined): number {
  return Math.min(Math.max(1, limit ?? 50), 500);
}

function toNotification(r: { [K in keyof NotificationsTable]: unknown }): Notification {
  return {
    id: Number(r.id),
    kind: r.kind as NotificationKind,
    message: String(r.message),
    objectType: (r.object_type as string | null) ?? null,
    objectId: (r.object_id as string | null) ?? null,
    details: r.details === null ? null : (JSON.parse(String(r.details)) as Record<string, unknown>),
    createdAt: Number(r.created_at),
    readAt: r.read_at === null ? null : Number(r.read_at),
  };
}
