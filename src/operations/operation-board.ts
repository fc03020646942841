import type { TxContext } from '../auth/actor.js';
import type { AccessPolicy } from '../auth/policy.js';
import { isCountryCode } from '../auth/countries.js';
import { ForbiddenError, InvalidError, NotFoundError } from '../core/errors.js';
import type { OperationTargetsTable, OperationTasksTable } from '../db/schema.js';
import type { NotificationService } from '../notifications/notification-service.js';
import { activeUserOf, type OperationAccess } from './operation-access.js';
import { checkText } from './operation-service.js';

export type TargetStatus = OperationTargetsTable['status'];
export type TaskStatus = OperationTasksTable['status'];

export interface OperationTarget {
  readonly id: number;
  readonly label: string;
  readonly details: string;
  readonly countryCode: string | null;
  readonly status: TargetStatus;
  readonly createdBy: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface OperationAction {
  readonly id: number;
  readonly happenedAt: number;
  readonly title: string;
  readonly details: string;
  readonly countryCode: string;
  readonly createdBy: number;
  readonly createdAt: number;
}

export interface OperationTask {
  readonly id: number;
  readonly title: string;
  readonly details: string;
  readonly owner: { readonly userId: number; readonly username: string; readonly countryCode: string };
  readonly dueAt: number | null;
  readonly status: TaskStatus;
  readonly createdBy: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface OperationMessage {
  readonly id: number;
  readonly author: { readonly userId: number; readonly username: string };
  readonly countryCode: string;
  readonly body: string;
  readonly createdAt: number;
}

interface Page<T> {
  readonly items: T[];
  readonly next: number | null;
}

/**
 * The working surface of an operation, for its participants: targets, a timeline of actions, tasks with owners and
 * due dates, and a message board. Every post and change is audited; task owners are told of their tasks.
 */
export class OperationBoard {
  constructor(
    private readonly policy: AccessPolicy,
    private readonly access: OperationAccess,
    private readonly notifications: NotificationService,
  ) {}

  async addTarget(ctx: TxContext, id: number, input: { label: string; details?: string; countryCode?: string | null }): Promise<OperationTarget> {
    const { row } = await this.access.require(ctx, id, 'work');
    const label = checkLabel(input.label, 'a target');
    const country = checkCountry(input.countryCode);
    const inserted = await ctx.tx
      .insertInto('operation_targets')
      .values({ operation_id: id, label, details: checkText(input.details ?? '', 'details', 20000), country_code: country, status: 'open', created_by: this.policy.user(ctx.actor).userId, created_at: ctx.now, updated_at: ctx.now })
      .returningAll()
      .executeTakeFirstOrThrow();
    await this.access.record(ctx, row, 'operation.target.add', { targetId: Number(inserted.id), label });
    return toTarget(inserted);
  }

  async updateTarget(ctx: TxContext, id: number, targetId: number, input: { label?: string; details?: string; countryCode?: string | null; status?: TargetStatus }): Promise<OperationTarget> {
    const { row } = await this.access.require(ctx, id, 'work');
    const existing = await ctx.tx.selectFrom('operation_targets').selectAll().where('id', '=', targetId).where('operation_id', '=', id).executeTakeFirst();
    if (!existing) throw new NotFoundError('no such target');
    const changes = {
      ...(input.label !== undefined ? { label: checkLabel(input.label, 'a target') } : {}),
      ...(input.details !== undefined ? { details: checkText(input.details, 'details', 20000) } : {}),
      ...(input.countryCode !== undefined ? { country_code: checkCountry(input.countryCode) } : {}),
      ...(input.status !== undefined ? { status: input.status } : {}),
    };
    if (Object.keys(changes).length === 0) throw new InvalidError('nothing to change');
    const updated = await ctx.tx.updateTable('operation_targets').set({ ...changes, updated_at: ctx.now }).where('id', '=', targetId).returningAll().executeTakeFirstOrThrow();
    await this.access.record(ctx, row, 'operation.target.update', { targetId, ...changes, ...(input.status !== undefined ? { previousStatus: existing.status } : {}) });
    return toTarget(updated);
  }

  /** Targets, oldest first; `next` is the `after` of the following page. */
  async targets(ctx: TxContext, id: number, input: { after?: number; limit?: number } = {}): Promise<Page<OperationTarget>> {
    await this.access.require(ctx, id, 'read');
    const limit = pageSize(input.limit);
    let q = ctx.tx.selectFrom('operation_targets').selectAll().where('operation_id', '=', id).orderBy('id').limit(limit + 1);
    if (input.after !== undefined) q = q.where('id', '>', input.after);
    return page((await q.execute()).map(toTarget), limit, (t) => t.id);
  }

  /** An entry of the timeline: something that happened (a search, an arrest, a rescue) and when. */
  async addAction(ctx: TxContext, id: number, input: { happenedAt: number; title: string; details?: string }): Promise<OperationAction> {
    const { row } = await this.access.require(ctx, id, 'work');
    if (!Number.isSafeInteger(input.happenedAt) || input.happenedAt <= 0) throw new InvalidError('happenedAt is a time in epoch milliseconds');
    const actor = this.policy.user(ctx.actor);
    const inserted = await ctx.tx
      .insertInto('operation_actions')
      .values({ operation_id: id, happened_at: input.happenedAt, title: checkLabel(input.title, 'an action'), details: checkText(input.details ?? '', 'details', 20000), country_code: actor.countryCode, created_by: actor.userId, created_at: ctx.now })
      .returningAll()
      .executeTakeFirstOrThrow();
    await this.access.record(ctx, row, 'operation.action.add', { actionId: Number(inserted.id), happenedAt: input.happenedAt, title: inserted.title });
    return toAction(inserted);
  }

  /** The timeline in the order things happened; `next` ("<happenedAt>.<id>") is the `after` of the following page. */
  async timeline(ctx: TxContext, id: number, input: { after?: string; limit?: number } = {}): Promise<{ items: OperationAction[]; next: string | null }> {
    await this.access.require(ctx, id, 'read');
    const limit = pageSize(input.limit);
    let q = ctx.tx.selectFrom('operation_actions').selectAll().where('operation_id', '=', id).orderBy('happened_at').orderBy('id').limit(limit + 1);
    if (input.after !== undefined) {
      const m = /^(\d{1,16})\.(\d{1,16})$/.exec(input.after);
      if (!m) throw new InvalidError('after is the "next" of the previous page: <time>.<id>');
      const [time, last] = [Number(m[1]), Number(m[2])];
      q = q.where((eb) => eb.or([eb('happened_at', '>', time), eb.and([eb('happened_at', '=', time), eb('id', '>', last)])]));
    }
    const rows = (await q.execute()).map(toAction);
    const items = rows.slice(0, limit);
    const lastItem = items[items.length - 1];
    return { items, next: rows.length > limit ? `${lastItem.happenedAt}.${lastItem.id}` : null };
  }

  async addTask(ctx: TxContext, id: number, input: { title: string; details?: string; ownerId: number; dueAt?: number | null }): Promise<OperationTask> {
    const { row } = await this.access.require(ctx, id, 'work');
    const owner = await this.participantUser(ctx, id, input.ownerId);
    const inserted = await ctx.tx
      .insertInto('operation_tasks')
      .values({ operation_id: id, title: checkLabel(input.title, 'a task'), details: checkText(input.details ?? '', 'details', 20000), owner_id: owner.id, due_at: checkDue(input.dueAt), status: 'open', created_by: this.policy.user(ctx.actor).userId, created_at: ctx.now, updated_at: ctx.now })
      .returning('id')
      .executeTakeFirstOrThrow();
    const taskId = Number(inserted.id);
    await this.access.record(ctx, row, 'operation.task.add', { taskId, ownerId: owner.id, dueAt: input.dueAt ?? null });
    await this.tellOwner(ctx, owner.id, id, taskId, `You own a task in joint operation "${row.name}": ${input.title.trim()}`);
    return this.task(ctx, taskId);
  }

  /** Changes a task: its owner, its creator, or the coordinating country. */
  async updateTask(ctx: TxContext, id: number, taskId: number, input: { title?: string; details?: string; ownerId?: number; dueAt?: number | null; status?: TaskStatus }): Promise<OperationTask> {
    const { row, role } = await this.access.require(ctx, id, 'work');
    const actor = this.policy.user(ctx.actor);
    const existing = await ctx.tx.selectFrom('operation_tasks').selectAll().where('id', '=', taskId).where('operation_id', '=', id).executeTakeFirst();
    if (!existing) throw new NotFoundError('no such task');
    if (Number(existing.owner_id) !== actor.userId && Number(existing.created_by) !== actor.userId && role !== 'coordinator') {
      throw new ForbiddenError('a task is changed by its owner, its creator or the coordinating country');
    }
    const owner = input.ownerId !== undefined ? await this.participantUser(ctx, id, input.ownerId) : undefined;
    const changes = {
      ...(input.title !== undefined ? { title: checkLabel(input.title, 'a task') } : {}),
      ...(input.details !== undefined ? { details: checkText(input.details, 'details', 20000) } : {}),
      ...(owner ? { owner_id: owner.id } : {}),
      ...(input.dueAt !== undefined ? { due_at: checkDue(input.dueAt) } : {}),
      ...(input.status !== undefined ? { status: input.status } : {}),
    };
    if (Object.keys(changes).length === 0) throw new InvalidError('nothing to change');
    await ctx.tx.updateTable('operation_tasks').set({ ...changes, updated_at: ctx.now }).where('id', '=', taskId).execute();
    await this.access.record(ctx, row, 'operation.task.update', { taskId, ...changes, ...(input.status !== undefined ? { previousStatus: existing.status } : {}) });
    if (owner && owner.id !== Number(existing.owner_id)) await this.tellOwner(ctx, owner.id, id, taskId, `You own a task in joint operation "${row.name}": ${changes.title ?? existing.title}`);
    return this.task(ctx, taskId);
  }

  /** Tasks, oldest first; `next` is the `after` of the following page. */
  async tasks(ctx: TxContext, id: number, input: { status?: TaskStatus; ownerId?: number; after?: number; limit?: number } = {}): Promise<Page<OperationTask>> {
    await this.access.require(ctx, id, 'read');
    const limit = pageSize(input.limit);
    let q = taskQuery(ctx).where('t.operation_id', '=', id).orderBy('t.id').limit(limit + 1);
    if (input.status) q = q.where('t.status', '=', input.status);
    if (input.ownerId !== undefined) q = q.where('t.owner_id', '=', input.ownerId);
    if (input.after !== undefined) q = q.where('t.id', '>', input.after);
    return page((await q.execute()).map(toTask), limit, (t) => t.id);
  }

  async post(ctx: TxContext, id: number, body: string): Promise<OperationMessage> {
    const { row } = await this.access.require(ctx, id, 'work');
    const text = body.trim();
    if (text.length === 0 || text.length > 20000) throw new InvalidError('a message has 1 to 20000 characters');
    const actor = this.policy.user(ctx.actor);
    const inserted = await ctx.tx.insertInto('operation_messages').values({ operation_id: id, author_id: actor.userId, country_code: actor.countryCode, body: text, created_at: ctx.now }).returning('id').executeTakeFirstOrThrow();
    await this.access.record(ctx, row, 'operation.message', { messageId: Number(inserted.id), length: text.length });
    return { id: Number(inserted.id), author: { userId: actor.userId, username: actor.username }, countryCode: actor.countryCode, body: text, createdAt: ctx.now };
  }

  /** The message board, newest first; `next` is the `before` of the following page. */
  async messages(ctx: TxContext, id: number, input: { before?: number; limit?: number }): Promise<Page<OperationMessage>> {
    await this.access.require(ctx, id, 'read');
    const limit = Math.min(Math.max(1, input.limit ?? 50), 200);
    let q = ctx.tx
      .selectFrom('operation_messages as m')
      .innerJoin('users as u', 'u.id', 'm.author_id')
      .select(['m.id', 'm.author_id', 'u.username', 'm.country_code', 'm.body', 'm.created_at'])
      .where('m.operation_id', '=', id)
      .orderBy('m.id', 'desc')
      .limit(limit + 1);
    if (input.before !== undefined) q = q.where('m.id', '<', input.before);
    const rows = await q.execute();
    const page = rows.slice(0, limit);
    return {
      items: page.map((m) => ({ id: Number(m.id), author: { userId: Number(m.author_id), username: m.username }, countryCode: m.country_code, body: m.body, createdAt: Number(m.created_at) })),
      next: rows.length > limit ? Number(page[page.length - 1].id) : null,
    };
  }

  private async participantUser(ctx: TxContext, id: number, userId: number) {
    const user = await activeUserOf(ctx.tx, userId);
    const takesPart = user && (await ctx.tx.selectFrom('operation_participants').select('country_code').where('operation_id', '=', id).where('country_code', '=', user.country_code).executeTakeFirst());
    if (!user || !takesPart) throw new NotFoundError('the owner must be an active user of a participating country');
    return user;
  }

  private async task(ctx: TxContext, taskId: number): Promise<OperationTask> {
    return toTask(await taskQuery(ctx).where('t.id', '=', taskId).executeTakeFirstOrThrow());
  }

  private async tellOwner(ctx: TxContext, ownerId: number, id: number, taskId: number, message: string): Promise<void> {
    if (ctx.actor.kind === 'user' && ctx.actor.userId === ownerId) return;
    await this.notifications.notify(ctx.tx, [{ userId: ownerId, kind: 'operation.update', message, object: { type: 'operation', id }, details: { taskId }, dedupeKey: `operation.task:${taskId}:${ownerId}:${ctx.now}` }], ctx.now);
  }
}

function pageSize(limit: number | undefined): number {
  return Math.min(Math.max(1, limit ?? 100), 500);
}

function page<T>(rows: T[], limit: number, key: (row: T) => number): Page<T> {
  const items = rows.slice(0, limit);
  return { items, next: rows.length > limit ? key(items[items.length - 1]) : null };
}

function taskQuery(ctx: TxContext) {
  return ctx.tx
    .selectFrom('operation_tasks as t')
    .innerJoin('users as u', 'u.id', 't.owner_id')
    .select(['t.id', 't.title', 't.details', 't.owner_id', 'u.username', 'u.country_code', 't.due_at', 't.status', 't.created_by', 't.created_at', 't.updated_at']);
}

function toTask(t: { id: number; title: string; details: string; owner_id: number; username: string; country_code: string; due_at: number | null; status: TaskStatus; created_by: number; created_at: number; updated_at: number }): OperationTask {
  return {
    id: Number(t.id),
    title: t.title,
    details: t.details,
    owner: { userId: Number(t.owner_id), username: t.username, countryCode: t.country_code },
    dueAt: t.due_at === null ? null : Number(t.due_at),
    status: t.status,
    createdBy: Number(t.created_by),
    createdAt: Number(t.created_at),
    updatedAt: Number(t.updated_at),
  };
}

function toTarget(t: { id: number; label: string; details: string; country_code: string | null; status: TargetStatus; created_by: number; created_at: number; updated_at: number }): OperationTarget {
  return { id: Number(t.id), label: t.label, details: t.details, countryCode: t.country_code, status: t.status, createdBy: Number(t.created_by), createdAt: Number(t.created_at), updatedAt: Number(t.updated_at) };
}

function toAction(a: { id: number; happened_at: number; title: string; details: string; country_code: string; created_by: number; created_at: number }): OperationAction {
  return { id: Number(a.id), happenedAt: Number(a.happened_at), title: a.title, details: a.details, countryCode: a.country_code, createdBy: Number(a.created_by), createdAt: Number(a.created_at) };
}

function checkLabel(value: string, what: string): string {
  const v = value.trim();
  if (v.length === 0 || v.length > 300) throw new InvalidError(`${what} needs a title of 1 to 300 characters`);
  return v;
}

function checkCountry(code: string | null | undefined): string | null {
  if (code === undefined || code === null) return null;
  const c = code.toUpperCase();
  if (!isCountryCode(c)) throw new InvalidError(`unknown country code ${code}`);
  return c;
}

function checkDue(due: number | null | undefined): number | null {
  if (due === undefined || due === null) return null;
  if (!Number.isSafeInteger(due) || due <= 0) throw new InvalidError('dueAt is a time in epoch milliseconds');
  return due;
}
