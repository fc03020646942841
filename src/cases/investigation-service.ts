import type { TxContext } from '../auth/actor.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { AccessPolicy } from '../auth/policy.js';
import { isCountryCode } from '../auth/countries.js';
import { ConflictError, InvalidError, NotFoundError } from '../core/errors.js';
import type { InvestigationLinksTable, InvestigationStatus, MemberRole } from '../db/schema.js';
import type { SubmissionService } from '../ingest/submission-service.js';
import { visibleInvestigationIds, type CaseAccess, type CaseScope } from './case-access.js';

export type LinkKind = InvestigationLinksTable['kind'];

export interface Investigation {
  readonly id: number;
  readonly title: string;
  readonly reference: string;
  readonly agencyId: number;
  readonly countryCode: string;
  readonly status: InvestigationStatus;
  readonly createdBy: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface InvestigationLink {
  readonly id: number;
  readonly kind: LinkKind;
  readonly targetId: number | null;
  readonly label: string | null;
  readonly lat: number | null;
  readonly lon: number | null;
}

export interface InvestigationDetail extends Investigation {
  /** The caller's role; null when seen through a share or a consultation. */
  readonly myRole: MemberRole | null;
  readonly members: ReadonlyArray<{ readonly userId: number; readonly username: string; readonly countryCode: string; readonly role: MemberRole }>;
  readonly shares: ReadonlyArray<{ readonly id: number; readonly agencyId: number | null; readonly countryCode: string | null }>;
  readonly links: readonly InvestigationLink[];
}

export type NewLink =
  | { readonly kind: 'submission' | 'media' | 'series' | 'person'; readonly targetId: number }
  | { readonly kind: 'tag'; readonly label: string }
  | { readonly kind: 'location'; readonly label: string; readonly lat?: number | null; readonly lon?: number | null };

/**
 * Investigations: an online workspace owned by an agency, with members (lead, member, viewer), sharing with named
 * agencies or whole countries, and linked submissions, media items, series, people, locations and tags. Every change
 * is audited in its transaction. Visibility and rights: cases/case-access.ts.
 */
export class InvestigationService {
  constructor(
    private readonly policy: AccessPolicy,
    private readonly audit: AuditLog,
    private readonly access: CaseAccess,
    private readonly submissions: SubmissionService,
  ) {}

  async create(ctx: TxContext, input: { title: string; reference?: string; tags?: readonly string[] }): Promise<InvestigationDetail> {
    this.policy.require(ctx.actor, 'cases.write', ctx.now);
    const actor = this.policy.user(ctx.actor);
    const title = input.title.trim();
    if (title.length === 0) throw new InvalidError('an investigation needs a title');
    const row = await ctx.tx
      .insertInto('investigations')
      .values({ title, reference: input.reference?.trim() ?? '', agency_id: actor.agencyId, country_code: actor.countryCode, status: 'open', created_by: actor.userId, created_at: ctx.now, updated_at: ctx.now })
      .returning('id')
      .executeTakeFirstOrThrow();
    const id = Number(row.id);
    await ctx.tx.insertInto('investigation_members').values({ investigation_id: id, user_id: actor.userId, role: 'lead', added_at: ctx.now }).execute();
    await this.record(ctx, 'investigation.create', id, { title, reference: input.reference ?? '' });
    for (const tag of input.tags ?? []) await this.insertLink(ctx, id, { kind: 'tag', label: tag });
    return this.get(ctx, id);
  }

  async get(ctx: TxContext, id: number): Promise<InvestigationDetail> {
    const scope = await this.access.require(ctx, id, 'read');
    const row = await ctx.tx.selectFrom('investigations').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const members = await ctx.tx
      .selectFrom('investigation_members as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select(['m.user_id', 'u.username', 'u.country_code', 'm.role'])
      .where('m.investigation_id', '=', id)
      .orderBy('m.added_at')
      .execute();
    const shares = await ctx.tx.selectFrom('investigation_shares').select(['id', 'agency_id', 'country_code']).where('investigation_id', '=', id).orderBy('id').execute();
    const links = await ctx.tx.selectFrom('investigation_links').select(['id', 'kind', 'target_id', 'label', 'lat', 'lon']).where('investigation_id', '=', id).orderBy('id').execute();
    return {
      ...toInvestigation(row),
      myRole: scope.role,
      members: members.map((m) => ({ userId: Number(m.user_id), username: m.username, countryCode: m.country_code, role: m.role })),
      shares: shares.map((s) => ({ id: Number(s.id), agencyId: s.agency_id === null ? null : Number(s.agency_id), countryCode: s.country_code })),
      links: links.map((l) => ({ id: Number(l.id), kind: l.kind, targetId: l.target_id === null ? null : Number(l.target_id), label: l.label, lat: l.lat, lon: l.lon })),
    };
  }

  /** Investigations the caller sees, newest first. */
  async list(ctx: TxContext, input: { status?: InvestigationStatus; beforeId?: number; limit?: number }): Promise<Investigation[]> {
    this.policy.require(ctx.actor, 'cases.read', ctx.now);
    const actor = this.policy.user(ctx.actor);
    let q = ctx.tx
      .selectFrom('investigations')
      .selectAll()
      .where('id', 'in', visibleInvestigationIds(ctx.tx, actor))
      .orderBy('id', 'desc')
      .limit(Math.min(Math.max(1, input.limit ?? 50), 500));
    if (input.status) q = q.where('status', '=', input.status);
    if (input.beforeId !== undefined) q = q.where('id', '<', input.beforeId);
    return (await q.execute()).map(toInvestigation);
  }

  /** Title and reference: members; status: leads. */
  async update(ctx: TxContext, id: number, input: { title?: string; reference?: string; status?: InvestigationStatus }): Promise<InvestigationDetail> {
    const scope = await this.access.require(ctx, id, input.status !== undefined ? 'manage' : 'edit');
    const changes: { title?: string; reference?: string; status?: InvestigationStatus } = {};
    if (input.title !== undefined) {
      if (input.title.trim().length === 0) throw new InvalidError('an investigation needs a title');
      changes.title = input.title.trim();
    }
    if (input.reference !== undefined) changes.reference = input.reference.trim();
    if (input.status !== undefined) changes.status = input.status;
    await ctx.tx.updateTable('investigations').set({ ...changes, updated_at: ctx.now }).where('id', '=', id).execute();
    await this.record(ctx, 'investigation.update', id, { ...changes, ...(input.status !== undefined ? { previousStatus: scope.status } : {}) });
    return this.get(ctx, id);
  }

  /** Adds a member or changes a member's role (leads only). */
  async setMember(ctx: TxContext, id: number, input: { userId: number; role: MemberRole }): Promise<InvestigationDetail> {
    await this.access.require(ctx, id, 'manage');
    const user = await ctx.tx.selectFrom('users').select(['id', 'status', 'role']).where('id', '=', input.userId).executeTakeFirst();
    if (!user || user.status !== 'active' || user.role === 'auditor') throw new NotFoundError('user not found');
    const existing = await ctx.tx.selectFrom('investigation_members').select('role').where('investigation_id', '=', id).where('user_id', '=', input.userId).executeTakeFirst();
    if (existing) {
      if (existing.role === 'lead' && input.role !== 'lead') await this.assertAnotherLead(ctx, id, input.userId);
      await ctx.tx.updateTable('investigation_members').set({ role: input.role }).where('investigation_id', '=', id).where('user_id', '=', input.userId).execute();
    } else {
      await ctx.tx.insertInto('investigation_members').values({ investigation_id: id, user_id: input.userId, role: input.role, added_at: ctx.now }).execute();
    }
    await this.record(ctx, 'investigation.member.set', id, { userId: input.userId, role: input.role, previousRole: existing?.role ?? null });
    return this.get(ctx, id);
  }

  async removeMember(ctx: TxContext, id: number, userId: number): Promise<InvestigationDetail> {
    await this.access.require(ctx, id, 'manage');
    const existing = await ctx.tx.selectFrom('investigation_members').select('role').where('investigation_id', '=', id).where('user_id', '=', userId).executeTakeFirst();
    if (!existing) throw new NotFoundError('no such member');
    if (existing.role === 'lead') await this.assertAnotherLead(ctx, id, userId);
    await ctx.tx.deleteFrom('investigation_members').where('investigation_id', '=', id).where('user_id', '=', userId).execute();
    await this.record(ctx, 'investigation.member.remove', id, { userId, role: existing.role });
    return this.get(ctx, id);
  }

  /** Shares with a named agency or a whole country (leads only). */
  async share(ctx: TxContext, id: number, input: { agencyId?: number; countryCode?: string }): Promise<InvestigationDetail> {
    await this.access.require(ctx, id, 'manage');
    if ((input.agencyId === undefined) === (input.countryCode === undefined)) throw new InvalidError('share with either an agency or a country');
    if (input.agencyId !== undefined) {
      const agency = await ctx.tx.selectFrom('agencies').select('id').where('id', '=', input.agencyId).executeTakeFirst();
      if (!agency) throw new NotFoundError('agency not found');
    }
    const country = input.countryCode?.toUpperCase();
    if (country !== undefined && !isCountryCode(country)) throw new InvalidError(`unknown country code ${input.countryCode}`);
    let dup = ctx.tx.selectFrom('investigation_shares').select('id').where('investigation_id', '=', id);
    dup = input.agencyId !== undefined ? dup.where('agency_id', '=', input.agencyId) : dup.where('country_code', '=', country!);
    if (await dup.executeTakeFirst()) throw new ConflictError('already shared with them');
    const row = await ctx.tx
      .insertInto('investigation_shares')
      .values({ investigation_id: id, agency_id: input.agencyId ?? null, country_code: country ?? null, created_at: ctx.now })
      .returning('id')
      .executeTakeFirstOrThrow();
    await this.record(ctx, 'investigation.share', id, { shareId: Number(row.id), agencyId: input.agencyId ?? null, countryCode: country ?? null });
    return this.get(ctx, id);
  }

  async unshare(ctx: TxContext, id: number, shareId: number): Promise<InvestigationDetail> {
    await this.access.require(ctx, id, 'manage');
    const row = await ctx.tx.deleteFrom('investigation_shares').where('id', '=', shareId).where('investigation_id', '=', id).returning(['agency_id', 'country_code']).executeTakeFirst();
    if (!row) throw new NotFoundError('no such share');
    await this.record(ctx, 'investigation.unshare', id, { shareId, agencyId: row.agency_id, countryCode: row.country_code });
    return this.get(ctx, id);
  }

  async link(ctx: TxContext, id: number, input: NewLink): Promise<InvestigationDetail> {
    await this.access.require(ctx, id, 'edit');
    await this.insertLink(ctx, id, input);
    return this.get(ctx, id);
  }

  async unlink(ctx: TxContext, id: number, linkId: number): Promise<InvestigationDetail> {
    await this.access.require(ctx, id, 'edit');
    const row = await ctx.tx.deleteFrom('investigation_links').where('id', '=', linkId).where('investigation_id', '=', id).returning(['kind', 'target_id', 'label']).executeTakeFirst();
    if (!row) throw new NotFoundError('no such link');
    await this.record(ctx, 'investigation.unlink', id, { linkId, kind: row.kind, targetId: row.target_id, label: row.label });
    return this.get(ctx, id);
  }

  /** The caller's scope in an investigation (for other case services). */
  scope(ctx: TxContext, id: number, right: Parameters<CaseAccess['require']>[2]): Promise<CaseScope> {
    return this.access.require(ctx, id, right);
  }

  private async insertLink(ctx: TxContext, id: number, input: NewLink): Promise<void> {
    let targetId: number | null = null;
    let label: string | null = null;
    let lat: number | null = null;
    let lon: number | null = null;
    if (input.kind === 'tag' || input.kind === 'location') {
      label = input.kind === 'tag' ? input.label.trim().toLowerCase() : input.label.trim();
      if (label.length === 0 || label.length > 200) throw new InvalidError(`a ${input.kind} needs a name of 1 to 200 characters`);
      if (input.kind === 'location') {
        lat = input.lat ?? null;
        lon = input.lon ?? null;
        if ((lat === null) !== (lon === null) || (lat !== null && (Math.abs(lat) > 90 || Math.abs(lon!) > 180))) throw new InvalidError('a location needs both latitude (-90..90) and longitude (-180..180), or neither');
      }
    } else {
      targetId = input.targetId;
      await this.assertTarget(ctx, input.kind, targetId);
    }
    let dup = ctx.tx.selectFrom('investigation_links').select('id').where('investigation_id', '=', id).where('kind', '=', input.kind);
    dup = targetId !== null ? dup.where('target_id', '=', targetId) : dup.where('label', '=', label);
    if (await dup.executeTakeFirst()) throw new ConflictError(`that ${input.kind} is already linked`);
    const row = await ctx.tx
      .insertInto('investigation_links')
      .values({ investigation_id: id, kind: input.kind, target_id: targetId, label, lat, lon, created_at: ctx.now })
      .returning('id')
      .executeTakeFirstOrThrow();
    await ctx.tx.updateTable('investigations').set({ updated_at: ctx.now }).where('id', '=', id).execute();
    await this.record(ctx, 'investigation.link', id, { linkId: Number(row.id), kind: input.kind, targetId, label });
  }

  /** A linked object must exist and, for submissions, be visible to the caller (media and series are shared). */
  private async assertTarget(ctx: TxContext, kind: 'submission' | 'media' | 'series' | 'person', targetId: number): Promise<void> {
    if (kind === 'submission') {
      await this.submissions.get(ctx, targetId, ctx.tx);
      return;
    }
    const table = kind === 'media' ? 'media_items' : kind === 'series' ? 'series' : 'people';
    const row = await ctx.tx.selectFrom(table).select('id').where('id', '=', targetId).executeTakeFirst();
    if (!row) throw new NotFoundError(`${kind} not found`);
    if (kind === 'person') {
      const actor = this.policy.user(ctx.actor);
      const person = await ctx.tx.selectFrom('people').select('agency_id').where('id', '=', targetId).executeTakeFirstOrThrow();
      if (Number(person.agency_id) !== actor.agencyId) throw new NotFoundError('person not found');
    }
  }

  private async assertAnotherLead(ctx: TxContext, id: number, userId: number): Promise<void> {
    const other = await ctx.tx.selectFrom('investigation_members').select('user_id').where('investigation_id', '=', id).where('role', '=', 'lead').where('user_id', '<>', userId).executeTakeFirst();
    if (!other) throw new ConflictError('an investigation keeps at least one lead');
  }

  private async record(ctx: TxContext, action: string, id: number, details: Record<string, unknown>): Promise<void> {
    const row = await ctx.tx.selectFrom('investigations').select('country_code').where('id', '=', id).executeTakeFirstOrThrow();
    await this.audit.append(ctx.tx, { action, actor: ctx.actor, object: { type: 'investigation', id, country: row.country_code }, address: ctx.address, requestId: ctx.requestId, details });
  }
}

function toInvestigation(r: { id: number; title: string; reference: string; agency_id: number; country_code: string; status: InvestigationStatus; created_by: number; created_at: number; updated_at: number }): Investigation {
  return {
    id: Number(r.id),
    title: r.title,
    reference: r.reference,
    agencyId: Number(r.agency_id),
    countryCode: r.country_code,
    status: r.status,
    createdBy: Number(r.created_by),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}
