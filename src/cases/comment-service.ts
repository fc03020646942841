import type { TxContext } from '../auth/actor.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { AccessPolicy } from '../auth/policy.js';
import { ForbiddenError, InvalidError, NotFoundError } from '../core/errors.js';
import type { CommentsTable } from '../db/schema.js';
import type { NotificationService } from '../notifications/notification-service.js';
import type { CaseAccess } from './case-access.js';

export type CommentTarget = CommentsTable['target_type'];

export interface Comment {
  readonly id: number;
  readonly investigationId: number;
  readonly targetType: CommentTarget;
  readonly targetId: number;
  readonly parentId: number | null;
  readonly authorId: number;
  readonly author: string;
  /** Null once deleted (the text stays in the database and the deletion in the audit trail). */
  readonly body: string | null;
  readonly mentions: readonly string[];
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly edited: boolean;
  readonly deleted: boolean;
}

const MENTION = /(?:^|[^\w@.-])@([a-z0-9][a-z0-9._-]{1,63})/gi;
const MAX_BODY = 20_000;

/**
 * Threaded comments on an investigation, or on a series or media item inside an investigation: a comment always
 * belongs to an investigation, and is visible exactly to those who see it (members, shared agencies and countries,
 * consulted parties), who may all comment. `@username` mentions notify users who can see the investigation (others
 * are not told anything). Edits keep the previous text as a revision; deletion is soft and audited.
 */
export class CommentService {
  constructor(
    private readonly policy: AccessPolicy,
    private readonly audit: AuditLog,
    private readonly access: CaseAccess,
    private readonly notifications: NotificationService,
  ) {}

  async add(ctx: TxContext, input: { investigationId: number; targetType: CommentTarget; targetId?: number; parentId?: number; body: string }): Promise<Comment> {
    const scope = await this.access.require(ctx, input.investigationId, 'comment', 'investigation');
    const actor = this.policy.user(ctx.actor);
    const body = checkBody(input.body);
    const targetId = input.targetType === 'investigation' ? input.investigationId : input.targetId;
    if (targetId === undefined) throw new InvalidError(`a comment on a ${input.targetType} names its targetId`);
    if (input.targetType === 'investigation' && input.targetId !== undefined && input.targetId !== input.investigationId) throw new InvalidError('targetId of an investigation comment is the investigation');
    if (input.targetType !== 'investigation') {
      const found = await ctx.tx.selectFrom(input.targetType === 'series' ? 'series' : 'media_items').select('id').where('id', '=', targetId).executeTakeFirst();
      if (!found) throw new NotFoundError(`${input.targetType} not found`);
    }
    if (input.parentId !== undefined) {
      const parent = await ctx.tx.selectFrom('comments').select(['investigation_id', 'target_type', 'target_id']).where('id', '=', input.parentId).executeTakeFirst();
      if (!parent || Number(parent.investigation_id) !== input.investigationId) throw new NotFoundError('parent comment not found');
      if (parent.target_type !== input.targetType || Number(parent.target_id) !== targetId) throw new InvalidError('a reply is about the same item as its parent');
    }
    const row = await ctx.tx
      .insertInto('comments')
      .values({ investigation_id: input.investigationId, target_type: input.targetType, target_id: targetId, parent_id: input.parentId ?? null, author_id: actor.userId, body, created_at: ctx.now, updated_at: ctx.now, deleted_at: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    const id = Number(row.id);
    const mentioned = await this.mention(ctx, id, input.investigationId, scope.title, body, new Set());
    await this.record(ctx, 'comment.create', id, scope.countryCode, { investigationId: input.investigationId, targetType: input.targetType, targetId, parentId: input.parentId ?? null, mentions: mentioned });
    return this.one(ctx, id);
  }

  async edit(ctx: TxContext, id: number, input: { body: string }): Promise<Comment> {
    const { row, scope } = await this.load(ctx, id, 'comment');
    if (Number(row.author_id) !== this.policy.user(ctx.actor).userId) throw new ForbiddenError('only its author edits a comment');
    if (row.deleted_at !== null) throw new InvalidError('a deleted comment cannot be edited');
    const body = checkBody(input.body);
    await ctx.tx.insertInto('comment_revisions').values({ comment_id: id, body: row.body, replaced_at: ctx.now }).execute();
    await ctx.tx.updateTable('comments').set({ body, updated_at: ctx.now }).where('id', '=', id).execute();
    const already = new Set((await ctx.tx.selectFrom('comment_mentions').select('user_id').where('comment_id', '=', id).execute()).map((m) => Number(m.user_id)));
    const mentioned = await this.mention(ctx, id, Number(row.investigation_id), scope.title, body, already);
    await this.record(ctx, 'comment.edit', id, scope.countryCode, { investigationId: Number(row.investigation_id), newMentions: mentioned });
    return this.one(ctx, id);
  }

  /** Soft delete by its author or a lead of the investigation; recorded in the audit trail. */
  async remove(ctx: TxContext, id: number): Promise<Comment> {
    const { row, scope } = await this.load(ctx, id, 'comment');
    if (Number(row.author_id) !== this.policy.user(ctx.actor).userId && scope.role !== 'lead') throw new ForbiddenError('only its author or a lead of the investigation deletes a comment');
    if (row.deleted_at !== null) throw new InvalidError('already deleted');
    await ctx.tx.updateTable('comments').set({ deleted_at: ctx.now }).where('id', '=', id).execute();
    await this.record(ctx, 'comment.delete', id, scope.countryCode, { investigationId: Number(row.investigation_id), authorId: Number(row.author_id) });
    return this.one(ctx, id);
  }

  /** The comments of an investigation, optionally about one item, oldest first (replies carry parentId). */
  async list(ctx: TxContext, input: { investigationId: number; targetType?: CommentTarget; targetId?: number }): Promise<Comment[]> {
    await this.access.require(ctx, input.investigationId, 'read');
    let q = ctx.tx.selectFrom('comments').select('id').where('investigation_id', '=', input.investigationId).orderBy('id');
    if (input.targetType !== undefined) q = q.where('target_type', '=', input.targetType);
    if (input.targetId !== undefined) q = q.where('target_id', '=', input.targetId);
    const ids = (await q.execute()).map((r) => Number(r.id));
    return Promise.all(ids.map((i) => this.one(ctx, i)));
  }

  /** Earlier versions of a comment, oldest first (not of a deleted one: its text is withdrawn). */
  async history(ctx: TxContext, id: number): Promise<Array<{ body: string; replacedAt: number }>> {
    const { row } = await this.load(ctx, id, 'read');
    if (row.deleted_at !== null) return [];
    const revisions = await ctx.tx.selectFrom('comment_revisions').select(['body', 'replaced_at']).where('comment_id', '=', id).orderBy('id').execute();
    return revisions.map((r) => ({ body: r.body, replacedAt: Number(r.replaced_at) }));
  }

  private async load(ctx: TxContext, id: number, right: 'read' | 'comment') {
    this.policy.require(ctx.actor, 'cases.read', ctx.now);
    const row = await ctx.tx.selectFrom('comments').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError('comment not found');
    const scope = await this.access.require(ctx, Number(row.investigation_id), right, 'comment');
    return { row, scope };
  }

  private async one(ctx: TxContext, id: number): Promise<Comment> {
    const r = await ctx.tx
      .selectFrom('comments as c')
      .innerJoin('users as u', 'u.id', 'c.author_id')
      .selectAll('c')
      .select('u.username')
      .where('c.id', '=', id)
      .executeTakeFirstOrThrow();
    const mentions = await ctx.tx.selectFrom('comment_mentions as m').innerJoin('users as u', 'u.id', 'm.user_id').select('u.username').where('m.comment_id', '=', id).orderBy('u.username').execute();
    const deleted = r.deleted_at !== null;
    return {
      id,
      investigationId: Number(r.investigation_id),
      targetType: r.target_type,
      targetId: Number(r.target_id),
      parentId: r.parent_id === null ? null : Number(r.parent_id),
      authorId: Number(r.author_id),
      author: r.username,
      body: deleted ? null : r.body,
      mentions: deleted ? [] : mentions.map((m) => m.username),
      createdAt: Number(r.created_at),
      updatedAt: Number(r.updated_at),
      edited: Number(r.updated_at) !== Number(r.created_at),
      deleted,
    };
  }

  /** Records and notifies mentions of users who can see the investigation; returns the user ids newly mentioned. */
  private async mention(ctx: TxContext, commentId: number, investigationId: number, title: string, body: string, already: ReadonlySet<number>): Promise<number[]> {
    const names = [...new Set([...body.matchAll(MENTION)].map((m) => m[1].toLowerCase()))].slice(0, 50);
    if (names.length === 0) return [];
    const users = await ctx.tx.selectFrom('users').select(['id', 'username']).where('username', 'in', names).execute();
    const author = this.policy.user(ctx.actor);
    const out: number[] = [];
    for (const u of users) {
      const userId = Number(u.id);
      if (userId === author.userId || already.has(userId)) continue;
      if (!(await this.access.userCanSee(ctx.tx, userId, investigationId, ctx.now))) continue;
      await ctx.tx.insertInto('comment_mentions').values({ comment_id: commentId, user_id: userId }).execute();
      out.push(userId);
    }
    await this.notifications.notify(
      ctx.tx,
      out.map((userId) => ({
        userId,
        kind: 'mention' as const,
        message: `${author.username} mentioned you in investigation "${title}"`,
        object: { type: 'comment', id: commentId },
        details: { investigationId, commentId },
        dedupeKey: `mention:${commentId}`,
      })),
      ctx.now,
    );
    return out;
  }

  private async record(ctx: TxContext, action: string, id: number, country: string, details: Record<string, unknown>): Promise<void> {
    await this.audit.append(ctx.tx, { action, actor: ctx.actor, object: { type: 'comment', id, country }, address: ctx.address, requestId: ctx.requestId, details });
  }
}

function checkBody(body: string): string {
  const text = body.trim();
  if (text.length === 0 || text.length > MAX_BODY) throw new InvalidError(`a comment holds 1 to ${MAX_BODY} characters`);
  return text;
}
