import type { TxContext, UserActor } from '../auth/actor.js';
import type { AccessPolicy, Shareable } from '../auth/policy.js';
import { ForbiddenError, NotFoundError } from '../core/errors.js';
import type { Executor, InvestigationStatus, MemberRole } from '../db/schema.js';

/** What the caller may do in an investigation: read (and comment), change its content, or manage it. */
export type CaseRight = 'read' | 'comment' | 'edit' | 'manage';

/** One investigation's visibility facts and the caller's place in it. */
export interface CaseScope {
  readonly id: number;
  readonly title: string;
  readonly agencyId: number;
  readonly countryCode: string;
  readonly status: InvestigationStatus;
  readonly shareable: Shareable;
  /** The caller's membership role; null when the caller sees it through a share or a consultation. */
  readonly role: MemberRole | null;
}

/**
 * Who sees an investigation (DESIGN.md section 7, auth/policy.ts canSeeCase): its members, the agencies and
 * countries it is shared with, the party asked in an open or answered consultation about it (what was shared
 * with the question; closing the consultation ends that), and the countries taking part in a joint operation it was
 * shared into by a member (while the operation is not closed). Never by role alone, not even for global admins.
 *
 * What each may do: anyone who sees it reads it and comments (that is how colleagues collaborate); members with
 * role `member` or `lead` change its content (links, title); leads manage members, sharing and status.
 */
export class CaseAccess {
  constructor(private readonly policy: AccessPolicy) {}

  async shareable(ex: Executor, investigationId: number): Promise<Shareable> {
    const [members, shares, consultations, operations] = await Promise.all([
      ex.selectFrom('investigation_members').select('user_id').where('investigation_id', '=', investigationId).execute(),
      ex.selectFrom('investigation_shares').select(['agency_id', 'country_code']).where('investigation_id', '=', investigationId).execute(),
      ex
        .selectFrom('consultations')
        .select(['to_user_id', 'to_agency_id', 'to_country'])
        .where('investigation_id', '=', investigationId)
        .where('status', '<>', 'closed')
        .execute(),
      // Shared into a joint operation that is not closed: its participating countries read it (operations/).
      ex
        .selectFrom('operation_items as i')
        .innerJoin('operations as o', 'o.id', 'i.operation_id')
        .innerJoin('operation_participants as p', 'p.operation_id', 'i.operation_id')
        .select('p.country_code')
        .where('i.kind', '=', 'investigation')
        .where('i.target_id', '=', investigationId)
        .where('o.status', '<>', 'closed')
        .execute(),
    ]);
    const ids = (xs: Array<number | null>) => xs.filter((x): x is number => x !== null).map(Number);
    const codes = (xs: Array<string | null>) => xs.filter((x): x is string => x !== null);
    return {
      memberUserIds: [...members.map((m) => Number(m.user_id)), ...ids(consultations.map((c) => c.to_user_id))],
      sharedAgencyIds: [...ids(shares.map((s) => s.agency_id)), ...ids(consultations.map((c) => c.to_agency_id))],
      sharedCountries: [...codes(shares.map((s) => s.country_code)), ...codes(consultations.map((c) => c.to_country)), ...operations.map((o) => o.country_code)],
    };
  }

  /** The investigation when the caller holds `right` in it; NotFound when it is missing or invisible. */
  async require(ctx: TxContext, investigationId: number, right: CaseRight, what = 'investigation'): Promise<CaseScope> {
    const actor = this.policy.user(ctx.actor);
    const row = await ctx.tx.selectFrom('investigations').select(['id', 'title', 'agency_id', 'country_code', 'status']).where('id', '=', investigationId).executeTakeFirst();
    if (!row) throw new NotFoundError(`${what} not found`);
    const shareable = await this.shareable(ctx.tx, investigationId);
    if (right === 'read') this.policy.assertCanSeeCase(actor, shareable, what);
    else this.policy.assertCanChangeCase(actor, shareable, what);
    const member = await ctx.tx.selectFrom('investigation_members').select('role').where('investigation_id', '=', investigationId).where('user_id', '=', actor.userId).executeTakeFirst();
    const role = member?.role ?? null;
    if (right === 'edit' && role !== 'lead' && role !== 'member') throw new ForbiddenError('only members of the investigation (role member or lead) may change it');
    if (right === 'manage' && role !== 'lead') throw new ForbiddenError('only a lead of the investigation may manage its members, sharing and status');
    return { id: Number(row.id), title: row.title, agencyId: Number(row.agency_id), countryCode: row.country_code, status: row.status, shareable, role };
  }

  /** Whether a user (as stored, not signed in) may see an investigation: for mentions and notifications. */
  async userCanSee(ex: Executor, userId: number, investigationId: number, now: number): Promise<boolean> {
    const user = await ex.selectFrom('users').select(['id', 'username', 'role', 'country_code', 'agency_id', 'certified_until', 'status']).where('id', '=', userId).executeTakeFirst();
    if (!user || user.status !== 'active') return false;
    const actor: UserActor = {
      kind: 'user',
      userId: Number(user.id),
      username: user.username,
      role: user.role,
      countryCode: user.country_code,
      agencyId: Number(user.agency_id),
      certifiedUntil: user.certified_until === null ? null : Number(user.certified_until),
      credential: { kind: 'session', sessionId: '', restricted: false },
    };
    return this.policy.canSeeCase(actor, await this.shareable(ex, investigationId)) && this.policy.isCertified(actor, now);
  }
}

/** Whether an investigation the user sees links the series or person `targetId` (which then shows its details). */
export async function linkedInVisibleInvestigation(ex: Executor, actor: UserActor, kind: 'series' | 'person', targetId: number): Promise<boolean> {
  const row = await ex
    .selectFrom('investigation_links')
    .select('id')
    .where('kind', '=', kind)
    .where('target_id', '=', targetId)
    .where('investigation_id', 'in', visibleInvestigationIds(ex, actor))
    .executeTakeFirst();
  return row !== undefined;
}

/** Ids of the investigations a user sees, as a subquery (members, shares, open consultations addressed to them). */
export function visibleInvestigationIds(ex: Executor, actor: UserActor) {
  return ex
    .selectFrom('investigation_members')
    .select('investigation_id')
    .where('user_id', '=', actor.userId)
    .union(
      ex
        .selectFrom('investigation_shares')
        .select('investigation_id')
        .where((eb) => eb.or([eb('agency_id', '=', actor.agencyId), eb('country_code', '=', actor.countryCode)])),
    )
    .union(
      ex
        .selectFrom('consultations')
        .select((eb) => eb.fn.coalesce('investigation_id', eb.lit(0)).as('investigation_id'))
        .where('investigation_id', 'is not', null)
        .where('status', '<>', 'closed')
        .where((eb) => eb.or([eb('to_user_id', '=', actor.userId), eb('to_agency_id', '=', actor.agencyId), eb('to_country', '=', actor.countryCode)])),
    )
    .union(
      ex
        .selectFrom('operation_items as i')
        .innerJoin('operations as o', 'o.id', 'i.operation_id')
        .innerJoin('operation_participants as p', 'p.operation_id', 'i.operation_id')
        .select('i.target_id as investigation_id')
        .where('i.kind', '=', 'investigation')
        .where('o.status', '<>', 'closed')
        .where('p.country_code', '=', actor.countryCode),
    );
}

/** Active users who may receive case notifications in an agency or a country (never auditors). */
export async function caseUsers(ex: Executor, where: { agencyId?: number; country?: string; userId?: number }): Promise<number[]> {
  let q = ex.selectFrom('users').select('id').where('status', '=', 'active').where('role', '<>', 'auditor');
  if (where.userId !== undefined) q = q.where('id', '=', where.userId);
  if (where.agencyId !== undefined) q = q.where('agency_id', '=', where.agencyId);
  if (where.country !== undefined) q = q.where('country_code', '=', where.country);
  return (await q.execute()).map((r) => Number(r.id));
}
