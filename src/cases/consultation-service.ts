import type { Selectable } from 'kysely';
import type { TxContext, UserActor } from '../auth/actor.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { AccessPolicy } from '../auth/policy.js';
import { isCountryCode } from '../auth/countries.js';
import { InvalidError, NotFoundError } from '../core/errors.js';
import type { ConsultationsTable, Executor } from '../db/schema.js';
import type { NotificationService } from '../notifications/notification-service.js';
import { caseUsers, type CaseAccess } from './case-access.js';

export type ConsultationParty = { readonly userId: number } | { readonly agencyId: number } | { readonly countryCode: string };

export interface Consultation {
  readonly id: number;
  readonly investigationId: number | null;
  readonly mediaId: number | null;
  readonly askedBy: number;
  readonly askerCountry: string;
  readonly to: { readonly userId: number | null; readonly agencyId: number | null; readonly countryCode: string | null };
  readonly question: string;
  readonly status: ConsultationsTable['status'];
  readonly answer: string | null;
  readonly answeredBy: number | null;
  readonly createdAt: number;
  readonly answeredAt: number | null;
  readonly closedAt: number | null;
  /** Milliseconds from the question to the answer; null while unanswered. */
  readonly responseTimeMs: number | null;
  /** Whether the caller is the asked party (may answer) or the asker. */
  readonly mine: 'asker' | 'asked';
}

/**
 * Consultations: an investigator asks a colleague, an agency or a country's unit (every investigator of that
 * country) about an investigation or a media item. The asked party reads what was shared with the question: the
 * investigation itself (read and comment, see case-access.ts) while the consultation is open or answered; media items
 * are visible to every certified investigator anyway. The asked party answers; either side closes. Status and
 * response time are part of every answer. Asking, answering and closing are audited and notified.
 */
export class ConsultationService {
  constructor(
    private readonly policy: AccessPolicy,
    private readonly audit: AuditLog,
    private readonly access: CaseAccess,
    private readonly notifications: NotificationService,
  ) {}

  async ask(ctx: TxContext, input: { investigationId?: number; mediaId?: number; to: ConsultationParty; question: string }): Promise<Consultation> {
    this.policy.require(ctx.actor, 'cases.write', ctx.now);
    const actor = this.policy.user(ctx.actor);
    if (input.investigationId === undefined && input.mediaId === undefined) throw new InvalidError('a consultation is about an investigation or a media item');
    let title: string | null = null;
    if (input.investigationId !== undefined) title = (await this.access.require(ctx, input.investigationId, 'comment')).title;
    if (input.mediaId !== undefined && !(await ctx.tx.selectFrom('media_items').select('id').where('id', '=', input.mediaId).executeTakeFirst())) throw new NotFoundError('media item not found');
    const question = input.question.trim();
    if (question.length === 0 || question.length > 20_000) throw new InvalidError('a question holds 1 to 20000 characters');
    const to = await this.resolveParty(ctx.tx, input.to);
    const row = await ctx.tx
      .insertInto('consultations')
      .values({
        investigation_id: input.investigationId ?? null,
        media_id: input.mediaId ?? null,
        asked_by: actor.userId,
        asker_agency_id: actor.agencyId,
        asker_country: actor.countryCode,
        to_user_id: to.userId,
        to_agency_id: to.agencyId,
        to_country: to.countryCode,
        question,
        status: 'open',
        answer: null,
        answered_by: null,
        answered_at: null,
        closed_at: null,
        created_at: ctx.now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const id = Number(row.id);
    await this.record(ctx, 'consultation.create', id, { investigationId: input.investigationId ?? null, mediaId: input.mediaId ?? null, to });
    const recipients = (await caseUsers(ctx.tx, { userId: to.userId ?? undefined, agencyId: to.agencyId ?? undefined, country: to.countryCode ?? undefined })).filter((u) => u !== actor.userId);
    const about = title !== null ? `investigation "${title}"` : `media item ${input.mediaId}`;
    await this.notifications.notify(
      ctx.tx,
      recipients.map((userId) => ({ userId, kind: 'consultation' as const, message: `${actor.username} (${actor.countryCode}) asks you about ${about}`, object: { type: 'consultation', id }, details: { consultationId: id, investigationId: input.investigationId ?? null }, dedupeKey: `consultation:${id}` })),
      ctx.now,
    );
    return this.get(ctx, id);
  }

  async get(ctx: TxContext, id: number): Promise<Consultation> {
    this.policy.require(ctx.actor, 'cases.read', ctx.now);
    const actor = this.policy.user(ctx.actor);
    const row = await ctx.tx.selectFrom('consultations').selectAll().where('id', '=', id).executeTakeFirst();
    const mine = row ? side(actor, row) : null;
    if (!row || !mine) throw new NotFoundError('consultation not found');
    return toConsultation(row, mine);
  }

  /** Consultations the caller asked or was asked (directly, through its agency or its country), newest first. */
  async list(ctx: TxContext, input: { role?: 'asker' | 'asked'; status?: ConsultationsTable['status']; limit?: number }): Promise<Consultation[]> {
    this.policy.require(ctx.actor, 'cases.read', ctx.now);
    const actor = this.policy.user(ctx.actor);
    let q = ctx.tx
      .selectFrom('consultations')
      .selectAll()
      .where((eb) => {
        const asker = eb('asked_by', '=', actor.userId);
        const asked = eb.or([eb('to_user_id', '=', actor.userId), eb('to_agency_id', '=', actor.agencyId), eb('to_country', '=', actor.countryCode)]);
        return input.role === 'asker' ? asker : input.role === 'asked' ? asked : eb.or([asker, asked]);
      })
      .orderBy('id', 'desc')
      .limit(Math.min(Math.max(1, input.limit ?? 50), 500));
    if (input.status) q = q.where('status', '=', input.status);
    return (await q.execute()).map((r) => toConsultation(r, side(actor, r)!));
  }

  async answer(ctx: TxContext, id: number, input: { answer: string }): Promise<Consultation> {
    this.policy.require(ctx.actor, 'cases.write', ctx.now);
    const current = await this.get(ctx, id);
    const actor = this.policy.user(ctx.actor);
    if (current.mine !== 'asked') throw new NotFoundError('consultation not found');
    if (current.status === 'closed') throw new InvalidError('the consultation is closed');
    const answer = input.answer.trim();
    if (answer.length === 0 || answer.length > 20_000) throw new InvalidError('an answer holds 1 to 20000 characters');
    await ctx.tx.updateTable('consultations').set({ status: 'answered', answer, answered_by: actor.userId, answered_at: ctx.now }).where('id', '=', id).execute();
    await this.record(ctx, 'consultation.answer', id, { responseTimeMs: ctx.now - current.createdAt });
    await this.notifications.notify(
      ctx.tx,
      [{ userId: current.askedBy, kind: 'consultation.answer', message: `${actor.username} (${actor.countryCode}) answered your consultation`, object: { type: 'consultation', id }, details: { consultationId: id, investigationId: current.investigationId }, dedupeKey: `consultation.answer:${id}:${ctx.now}` }],
      ctx.now,
    );
    return this.get(ctx, id);
  }

  /** Either side closes; the asked party's access to the investigation ends with it. */
  async close(ctx: TxContext, id: number): Promise<Consultation> {
    this.policy.require(ctx.actor, 'cases.write', ctx.now);
    const current = await this.get(ctx, id);
    if (current.status === 'closed') throw new InvalidError('already closed');
    await ctx.tx.updateTable('consultations').set({ status: 'closed', closed_at: ctx.now }).where('id', '=', id).execute();
    await this.record(ctx, 'consultation.close', id, { by: current.mine });
    return this.get(ctx, id);
  }

  private async resolveParty(ex: Executor, to: ConsultationParty): Promise<{ userId: number | null; agencyId: number | null; countryCode: string | null }> {
    if ('userId' in to) {
      const user = await ex.selectFrom('users').select(['id', 'status', 'role']).where('id', '=', to.userId).executeTakeFirst();
      if (!user || user.status !== 'active' || user.role === 'auditor') throw new NotFoundError('user not found');
      return { userId: to.userId, agencyId: null, countryCode: null };
    }
    if ('agencyId' in to) {
      if (!(await ex.selectFrom('agencies').select('id').where('id', '=', to.agencyId).executeTakeFirst())) throw new NotFoundError('agency not found');
      return { userId: null, agencyId: to.agencyId, countryCode: null };
    }
    const code = to.countryCode.toUpperCase();
    if (!isCountryCode(code)) throw new InvalidError(`unknown country code ${to.countryCode}`);
    return { userId: null, agencyId: null, countryCode: code };
  }

  private async record(ctx: TxContext, action: string, id: number, details: Record<string, unknown>): Promise<void> {
    const row = await ctx.tx.selectFrom('consultations').select('asker_country').where('id', '=', id).executeTakeFirstOrThrow();
    await this.audit.append(ctx.tx, { action, actor: ctx.actor, object: { type: 'consultation', id, country: row.asker_country }, address: ctx.address, requestId: ctx.requestId, details });
  }
}

function side(actor: UserActor, r: { asked_by: number; to_user_id: number | null; to_agency_id: number | null; to_country: string | null }): 'asker' | 'asked' | null {
  if (Number(r.asked_by) === actor.userId) return 'asker';
  if (r.to_user_id !== null && Number(r.to_user_id) === actor.userId) return 'asked';
  if (r.to_agency_id !== null && Number(r.to_agency_id) === actor.agencyId) return 'asked';
  if (r.to_country !== null && r.to_country === actor.countryCode) return 'asked';
  return null;
}

function toConsultation(r: Selectable<ConsultationsTable>, mine: 'asker' | 'asked'): Consultation {
  const n = (v: number | null) => (v === null ? null : Number(v));
  return {
    id: Number(r.id),
    investigationId: n(r.investigation_id),
    mediaId: n(r.media_id),
    askedBy: Number(r.asked_by),
    askerCountry: r.asker_country,
    to: { userId: n(r.to_user_id), agencyId: n(r.to_agency_id), countryCode: r.to_country },
    question: r.question,
    status: r.status,
    answer: r.answer,
    answeredBy: n(r.answered_by),
    createdAt: Number(r.created_at),
    answeredAt: n(r.answered_at),
    closedAt: n(r.closed_at),
    responseTimeMs: r.answered_at === null ? null : Number(r.answered_at) - Number(r.created_at),
    mine,
  };
}
