import type { Selectable } from 'kysely';
import type { TxContext } from '../auth/actor.js';
import type { AccessPolicy } from '../auth/policy.js';
import type { AuditLog } from '../audit/audit-log.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../core/errors.js';
import type { Executor, OperationsTable } from '../db/schema.js';

export type OperationRow = Selectable<OperationsTable>;
/** read: see it and what is shared into it; work: post, share, add tasks, actions, targets; manage: participants, status. */
export type OperationRight = 'read' | 'work' | 'manage';

export interface OperationScope {
  readonly row: OperationRow;
  readonly role: 'coordinator' | 'participant';
}

/**
 * Who sees a joint operation (the one place): users (with `operations.read`) of its participating countries, the
 * coordinating country among them; anyone else gets "not found", whatever their role. Participants with
 * `operations.write` work in it (messages, tasks, timeline, targets, sharing their own investigations and published
 * notices) while it is not closed; the coordinating country manages participants and its name and status.
 */
export class OperationAccess {
  constructor(
    private readonly policy: AccessPolicy,
    private readonly audit: AuditLog,
  ) {}

  async require(ctx: TxContext, id: number, right: OperationRight): Promise<OperationScope> {
    this.policy.require(ctx.actor, right === 'read' ? 'operations.read' : 'operations.write', ctx.now);
    const actor = this.policy.user(ctx.actor);
    const row = await ctx.tx.selectFrom('operations').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError('operation not found');
    const participant = await ctx.tx.selectFrom('operation_participants').select('role').where('operation_id', '=', id).where('country_code', '=', actor.countryCode).executeTakeFirst();
    if (!participant) throw new NotFoundError('operation not found');
    if (right === 'manage' && participant.role !== 'coordinator') throw new ForbiddenError(`only the coordinating country (${row.coordinator_country}) manages this operation`);
    if (right === 'work' && row.status === 'closed') throw new ConflictError('the operation is closed');
    return { row, role: participant.role };
  }

  async record(ctx: TxContext, row: Pick<OperationRow, 'id' | 'coordinator_country'>, action: string, details: Record<string, unknown>): Promise<void> {
    await this.audit.append(ctx.tx, { action, actor: ctx.actor, object: { type: 'operation', id: row.id, country: row.coordinator_country }, address: ctx.address, requestId: ctx.requestId, details });
  }
}

/** Ids of the operations a country participates in, as a subquery. */
export function operationIdsOf(ex: Executor, countryCode: string) {
  return ex.selectFrom('operation_participants').select('operation_id').where('country_code', '=', countryCode);
}

/** Active users of a country who may take part in operations (never auditors). */
export async function activeUserOf(ex: Executor, userId: number, countryCode?: string): Promise<{ id: number; username: string; country_code: string; agency_id: number } | undefined> {
  let q = ex.selectFrom('users').select(['id', 'username', 'country_code', 'agency_id']).where('id', '=', userId).where('status', '=', 'active').where('role', '<>', 'auditor');
  if (countryCode !== undefined) q = q.where('country_code', '=', countryCode);
  const row = await q.executeTakeFirst();
  return row ? { id: Number(row.id), username: row.username, country_code: row.country_code, agency_id: Number(row.agency_id) } : undefined;
}
