import type { TxContext } from '../auth/actor.js';
import type { AccessPolicy } from '../auth/policy.js';
import { isCountryCode } from '../auth/countries.js';
import type { CasesModule } from '../cases/cases-module.js';
import { ConflictError, ForbiddenError, InvalidError, NotFoundError } from '../core/errors.js';
import type { OperationItemsTable, OperationStatus } from '../db/schema.js';
import { PUBLIC_STATES } from '../notices/notice-access.js';
import type { NoticeService } from '../notices/notice-service.js';
import type { NotificationService } from '../notifications/notification-service.js';
import { activeUserOf, operationIdsOf, type OperationAccess, type OperationRow } from './operation-access.js';

export interface OperationSummary {
  readonly id: number;
  readonly name: string;
  readonly status: OperationStatus;
  readonly coordinatorCountry: string;
  readonly coordinatorAgencyId: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface OperationParticipant {
  readonly countryCode: string;
  readonly role: 'coordinator' | 'participant';
  readonly contact: { readonly userId: number; readonly username: string; readonly agencyId: number };
  readonly addedAt: number;
}

export interface OperationItem {
  readonly id: number;
  readonly kind: OperationItemsTable['kind'];
  readonly targetId: number;
  /** Investigation: title (reference); notice: reference and subject. */
  readonly title: string;
  readonly countryCode: string;
  readonly sharedBy: number;
  readonly sharedCountry: string;
  readonly sharedAt: number;
}

export interface OperationView extends OperationSummary {
  readonly description: string;
  readonly createdBy: number;
  readonly myRole: 'coordinator' | 'participant';
  readonly participants: readonly OperationParticipant[];
  readonly items: readonly OperationItem[];
}

/**
 * Joint operations: creation (the caller's country coordinates, the caller is its contact), participants (countries
 * with a named contact each), and what is shared into them: investigations (by their members; participants then
 * read them, cases/case-access.ts) and published notices. Timeline, tasks, targets and messages: operation-board.ts.
 */
export class OperationService {
  constructor(
    private readonly policy: AccessPolicy,
    private readonly access: OperationAccess,
    private readonly cases: Pick<CasesModule, 'investigations'>,
    private readonly notices: Pick<NoticeService, 'get'>,
    private readonly notifications: NotificationService,
  ) {}

  async create(ctx: TxContext, input: { name: string; description?: string; status?: 'planned' | 'active' }): Promise<OperationView> {
    this.policy.require(ctx.actor, 'operations.write', ctx.now);
    const actor = this.policy.user(ctx.actor);
    const name = checkName(input.name);
    const row = await ctx.tx
      .insertInto('operations')
      .values({ name, description: checkText(input.description ?? '', 'a description', 20000), status: input.status ?? 'active', coordinator_country: actor.countryCode, coordinator_agency_id: actor.agencyId, created_by: actor.userId, created_at: ctx.now, updated_at: ctx.now })
      .returning('id')
      .executeTakeFirstOrThrow();
    const id = Number(row.id);
    await ctx.tx.insertInto('operation_participants').values({ operation_id: id, country_code: actor.countryCode, contact_user_id: actor.userId, role: 'coordinator', added_at: ctx.now }).execute();
    await this.access.record(ctx, { id, coordinator_country: actor.countryCode }, 'operation.create', { name });
    return this.get(ctx, id);
  }

  async get(ctx: TxContext, id: number): Promise<OperationView> {
    const { row, role } = await this.access.require(ctx, id, 'read');
    const participants = await ctx.tx
      .selectFrom('operation_participants as p')
      .innerJoin('users as u', 'u.id', 'p.contact_user_id')
      .select(['p.country_code', 'p.role', 'p.added_at', 'u.id as user_id', 'u.username', 'u.agency_id'])
      .where('p.operation_id', '=', id)
      .orderBy('p.added_at')
      .orderBy('p.country_code')
      .execute();
    return {
      ...toSummary(row),
      description: row.description,
      createdBy: Number(row.created_by),
      myRole: role,
      participants: participants.map((p) => ({ countryCode: p.country_code, role: p.role, contact: { userId: Number(p.user_id), username: p.username, agencyId: Number(p.agency_id) }, addedAt: Number(p.added_at) })),
      items: await this.items(ctx, id),
    };
  }

  /** Operations the caller's country takes part in, newest first (keyset paging: `before` = the last id). */
  async list(ctx: TxContext, input: { status?: OperationStatus; before?: number; limit?: number }): Promise<{ operations: OperationSummary[]; next: number | null }> {
    this.policy.require(ctx.actor, 'operations.read', ctx.now);
    const actor = this.policy.user(ctx.actor);
    const limit = Math.min(Math.max(1, input.limit ?? 50), 200);
    let q = ctx.tx.selectFrom('operations').selectAll().where('id', 'in', operationIdsOf(ctx.tx, actor.countryCode)).orderBy('id', 'desc').limit(limit + 1);
    if (input.status) q = q.where('status', '=', input.status);
    if (input.before !== undefined) q = q.where('id', '<', input.before);
    const rows = await q.execute();
    const page = rows.slice(0, limit);
    return { operations: page.map(toSummary), next: rows.length > limit ? Number(page[page.length - 1].id) : null };
  }

  /** Name, description and status: the coordinating country. */
  async update(ctx: TxContext, id: number, input: { name?: string; description?: string; status?: OperationStatus }): Promise<OperationView> {
    const { row } = await this.access.require(ctx, id, 'manage');
    const changes = {
      ...(input.name !== undefined ? { name: checkName(input.name) } : {}),
      ...(input.description !== undefined ? { description: checkText(input.description, 'a description', 20000) } : {}),
      ...(input.status !== undefined ? { status: input.status } : {}),
    };
    if (Object.keys(changes).length === 0) throw new InvalidError('nothing to change');
    await ctx.tx.updateTable('operations').set({ ...changes, updated_at: ctx.now }).where('id', '=', id).execute();
    await this.access.record(ctx, row, 'operation.update', { ...changes, ...(input.status !== undefined ? { previousStatus: row.status } : {}) });
    return this.get(ctx, id);
  }

  /** Adds a participating country with its contact, or changes the contact (the coordinating country; its own contact too). */
  async setParticipant(ctx: TxContext, id: number, input: { countryCode: string; contactUserId: number }): Promise<OperationView> {
    const { row } = await this.access.require(ctx, id, 'manage');
    const country = input.countryCode.toUpperCase();
    if (!isCountryCode(country)) throw new InvalidError(`unknown country code ${input.countryCode}`);
    const contact = await activeUserOf(ctx.tx, input.contactUserId, country);
    if (!contact) throw new NotFoundError(`no active user ${input.contactUserId} in ${country} to be the contact`);
    const existing = await ctx.tx.selectFrom('operation_participants').select(['contact_user_id', 'role']).where('operation_id', '=', id).where('country_code', '=', country).executeTakeFirst();
    if (existing) {
      await ctx.tx.updateTable('operation_participants').set({ contact_user_id: contact.id }).where('operation_id', '=', id).where('country_code', '=', country).execute();
    } else {
      await ctx.tx.insertInto('operation_participants').values({ operation_id: id, country_code: country, contact_user_id: contact.id, role: 'participant', added_at: ctx.now }).execute();
    }
    await ctx.tx.updateTable('operations').set({ updated_at: ctx.now }).where('id', '=', id).execute();
    await this.access.record(ctx, row, existing ? 'operation.participant.contact' : 'operation.participant.add', { countryCode: country, contactUserId: contact.id, previousContactUserId: existing ? Number(existing.contact_user_id) : null });
    await this.notifications.notify(
      ctx.tx,
      [{ userId: contact.id, kind: 'operation.update', message: `You are ${country}'s contact in joint operation "${row.name}"`, object: { type: 'operation', id }, dedupeKey: `operation.contact:${id}:${contact.id}:${ctx.now}` }],
      ctx.now,
    );
    return this.get(ctx, id);
  }

  /** Removes a participating country (never the coordinator); what it shared stays shared with the others. */
  async removeParticipant(ctx: TxContext, id: number, countryCode: string): Promise<OperationView> {
    const { row } = await this.access.require(ctx, id, 'manage');
    const country = countryCode.toUpperCase();
    const existing = await ctx.tx.selectFrom('operation_participants').select('role').where('operation_id', '=', id).where('country_code', '=', country).executeTakeFirst();
    if (!existing) throw new NotFoundError('no such participant');
    if (existing.role === 'coordinator') throw new ConflictError('the coordinating country stays in its operation');
    await ctx.tx.deleteFrom('operation_participants').where('operation_id', '=', id).where('country_code', '=', country).execute();
    await this.access.record(ctx, row, 'operation.participant.remove', { countryCode: country });
    return this.get(ctx, id);
  }

  /**
   * Shares an investigation (only its members, role member or lead, may: the investigation's own rule) or a published
   * notice into the operation. Every participant then sees it; nothing else of the sharer's is revealed.
   */
  async share(ctx: TxContext, id: number, input: { kind: OperationItemsTable['kind']; targetId: number }): Promise<OperationView> {
    const { row } = await this.access.require(ctx, id, 'work');
    const actor = this.policy.user(ctx.actor);
    if (input.kind === 'investigation') await this.cases.investigations.scope(ctx, input.targetId, 'edit');
    else {
      const notice = await this.notices.get(ctx, input.targetId);
      if (!PUBLIC_STATES.includes(notice.status)) throw new ConflictError('only a published notice can be shared into an operation');
    }
    const dup = await ctx.tx.selectFrom('operation_items').select('id').where('operation_id', '=', id).where('kind', '=', input.kind).where('target_id', '=', input.targetId).executeTakeFirst();
    if (dup) throw new ConflictError(`that ${input.kind} is already shared into the operation`);
    const inserted = await ctx.tx
      .insertInto('operation_items')
      .values({ operation_id: id, kind: input.kind, target_id: input.targetId, shared_by: actor.userId, shared_country: actor.countryCode, shared_at: ctx.now })
      .returning('id')
      .executeTakeFirstOrThrow();
    await ctx.tx.updateTable('operations').set({ updated_at: ctx.now }).where('id', '=', id).execute();
    await this.access.record(ctx, row, 'operation.share', { itemId: Number(inserted.id), kind: input.kind, targetId: input.targetId });
    return this.get(ctx, id);
  }

  /** Takes a shared item out: the country that shared it, or the coordinating country. */
  async unshare(ctx: TxContext, id: number, itemId: number): Promise<OperationView> {
    const { row, role } = await this.access.require(ctx, id, 'work');
    const actor = this.policy.user(ctx.actor);
    const item = await ctx.tx.selectFrom('operation_items').selectAll().where('id', '=', itemId).where('operation_id', '=', id).executeTakeFirst();
    if (!item) throw new NotFoundError('no such shared item');
    if (item.shared_country !== actor.countryCode && role !== 'coordinator') throw new ForbiddenError('only the country that shared it, or the coordinating country, takes it out');
    await ctx.tx.deleteFrom('operation_items').where('id', '=', itemId).execute();
    await this.access.record(ctx, row, 'operation.unshare', { itemId, kind: item.kind, targetId: Number(item.target_id) });
    return this.get(ctx, id);
  }

  private async items(ctx: TxContext, id: number): Promise<OperationItem[]> {
    const rows = await ctx.tx.selectFrom('operation_items').selectAll().where('operation_id', '=', id).orderBy('id').execute();
    const invIds = rows.filter((r) => r.kind === 'investigation').map((r) => Number(r.target_id));
    const noticeIds = rows.filter((r) => r.kind === 'notice').map((r) => Number(r.target_id));
    const invs = invIds.length === 0 ? [] : await ctx.tx.selectFrom('investigations').select(['id', 'title', 'reference', 'country_code']).where('id', 'in', invIds).execute();
    const notices = noticeIds.length === 0 ? [] : await ctx.tx.selectFrom('notices').select(['id', 'reference', 'subject_name', 'country_code']).where('id', 'in', noticeIds).execute();
    const title = new Map<string, { title: string; country: string }>([
      ...invs.map((i) => [`investigation:${i.id}`, { title: i.reference ? `${i.title} (${i.reference})` : i.title, country: i.country_code }] as const),
      ...notices.map((n) => [`notice:${n.id}`, { title: `${n.reference} ${n.subject_name}`, country: n.country_code }] as const),
    ]);
    return rows.map((r) => {
      const t = title.get(`${r.kind}:${r.target_id}`);
      return { id: Number(r.id), kind: r.kind, targetId: Number(r.target_id), title: t?.title ?? '', countryCode: t?.country ?? '', sharedBy: Number(r.shared_by), sharedCountry: r.shared_country, sharedAt: Number(r.shared_at) };
    });
  }
}

function toSummary(r: OperationRow): OperationSummary {
  return { id: Number(r.id), name: r.name, status: r.status, coordinatorCountry: r.coordinator_country, coordinatorAgencyId: Number(r.coordinator_agency_id), createdAt: Number(r.created_at), updatedAt: Number(r.updated_at) };
}

function checkName(name: string): string {
  const n = name.trim();
  if (n.length === 0 || n.length > 200) throw new InvalidError('an operation needs a name of 1 to 200 characters');
  return n;
}

export function checkText(value: string, what: string, max: number): string {
  const v = value.trim();
  if (v.length > max) throw new InvalidError(`${what} has at most ${max} characters`);
  return v;
}
