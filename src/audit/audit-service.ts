import type { TxContext } from '../auth/actor.js';
import type { AccessPolicy } from '../auth/policy.js';
import { ForbiddenError } from '../core/errors.js';
import type { AuditEntry, AuditLog, AuditQuery, AuditVerification } from './audit-log.js';

export interface AuditStats {
  readonly from: number | null;
  readonly to: number | null;
  readonly country: string | null;
  readonly actions: Record<string, number>;
  readonly users: Array<{ country: string; role: string; status: string; certified: number; total: number }>;
}

/**
 * Reading the audit trail: auditors and global admins see every entry; a country admin the entries whose actor or
 * object belongs to its country. Verifying the whole chain needs the global view.
 */
export class AuditService {
  constructor(
    private readonly log: AuditLog,
    private readonly policy: AccessPolicy,
  ) {}

  async query(ctx: TxContext, filter: AuditQuery): Promise<AuditEntry[]> {
    this.policy.require(ctx.actor, 'audit.read');
    const scope = this.policy.auditScope(ctx.actor)!;
    const scoped = scope.all ? filter : { ...filter, country: scope.country };
    if (!scope.all && filter.country !== undefined && filter.country !== scope.country) return [];
    return this.log.query(scoped, ctx.tx);
  }

  async verify(ctx: TxContext): Promise<AuditVerification> {
    this.policy.require(ctx.actor, 'audit.read');
    if (!this.policy.auditScope(ctx.actor)?.all) throw new ForbiddenError('verifying the whole audit chain needs an auditor or a global admin');
    return this.log.verify(ctx.tx);
  }

  async stats(ctx: TxContext, range: { from?: number; to?: number }): Promise<AuditStats> {
    this.policy.require(ctx.actor, 'stats.read');
    const scope = this.policy.auditScope(ctx.actor)!;
    const country = scope.all ? undefined : scope.country;
    const actions = await this.log.countByAction({ ...range, country }, ctx.tx);
    let q = ctx.tx
      .selectFrom('users')
      .select([
        'country_code',
        'role',
        'status',
        (eb) => eb.fn.countAll<number>().as('total'),
        (eb) => eb.fn.sum<number>(eb.case().when('certified_until', '>', ctx.now).then(1).else(0).end()).as('certified'),
      ])
      .groupBy(['country_code', 'role', 'status'])
      .orderBy('country_code');
    if (country !== undefined) q = q.where('country_code', '=', country);
    const rows = await q.execute();
    return {
      from: range.from ?? null,
      to: range.to ?? null,
      country: country ?? null,
      actions,
      users: rows.map((r) => ({ country: r.country_code, role: r.role, status: r.status, certified: Number(r.certified ?? 0), total: Number(r.total) })),
    };
  }
}
