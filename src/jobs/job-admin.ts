import type { Actor, TxContext } from '../auth/actor.js';
import type { AccessPolicy } from '../auth/policy.js';
import type { AuditLog } from '../audit/audit-log.js';
import { ForbiddenError } from '../core/errors.js';
import type { JobQueue, JobRecord, ListJobsOptions } from './job-queue.js';

/**
 * The job queue as administrators see it: jobs by status (dead jobs, `failed`, are the ones to look at) and a retry
 * that gives a dead job fresh attempts. Jobs span every country, so only global admins and the operator may use
 * it; every retry is audited.
 */
export class JobAdmin {
  constructor(
    private readonly queue: JobQueue,
    private readonly policy: AccessPolicy,
    private readonly audit: AuditLog,
  ) {}

  async list(ctx: TxContext, options: ListJobsOptions): Promise<JobRecord[]> {
    this.assertAdmin(ctx.actor);
    return this.queue.list(options, ctx.tx);
  }

  async retry(ctx: TxContext, id: number): Promise<JobRecord> {
    this.assertAdmin(ctx.actor);
    const before = await this.queue.get(id, ctx.tx);
    const job = await this.queue.retry(id, ctx.tx);
    await this.audit.append(ctx.tx, {
      action: 'job.retry',
      actor: ctx.actor,
      object: { type: 'job', id },
      address: ctx.address,
      requestId: ctx.requestId,
      details: { kind: job.kind, previousStatus: before?.status ?? null, previousAttempts: before?.attempts ?? null, lastError: before?.lastError?.slice(0, 500) ?? null },
    });
    return job;
  }

  private assertAdmin(actor: Actor): void {
    this.policy.require(actor, 'users.admin');
    if (actor.kind === 'user' && actor.role !== 'global_admin') throw new ForbiddenError('the job queue is administered by global admins');
  }
}
