import type { TxContext } from '../auth/actor.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { AccessPolicy } from '../auth/policy.js';
import { ConflictError, ForbiddenError, InvalidError, NotFoundError } from '../core/errors.js';
import type { IdentificationStatus, PeopleTable } from '../db/schema.js';
import { linkedInVisibleInvestigation } from './case-access.js';
import type { SeriesService } from './series-service.js';

export interface Person {
  readonly id: number;
  readonly kind: 'victim' | 'offender';
  readonly label: string;
  readonly agencyId: number;
  readonly countryCode: string;
  readonly ageMin: number | null;
  readonly ageMax: number | null;
  readonly sex: PeopleTable['sex'];
  readonly descriptors: string;
  readonly notes: string;
  readonly identified: boolean;
  readonly status: IdentificationStatus;
  readonly notice: { readonly kind: 'green' | 'yellow'; readonly reference: string } | null;
  readonly links: ReadonlyArray<{ readonly type: 'series' | 'media'; readonly id: number }>;
  readonly updatedAt: number;
}

export interface PersonInput {
  readonly label?: string;
  readonly ageMin?: number | null;
  readonly ageMax?: number | null;
  readonly sex?: PeopleTable['sex'];
  readonly descriptors?: string;
  readonly notes?: string;
  /** Victims: unidentified -> identified -> safeguarded; offenders: unidentified or identified. */
  readonly status?: IdentificationStatus;
  /** A Green Notice (offenders) or a Yellow Notice (victims); null removes it. */
  readonly notice?: { readonly kind: 'green' | 'yellow'; readonly reference: string } | null;
}

/**
 * Victims and offenders: person records (estimated age range, sex, descriptors, notes, identified or not) linked to
 * series and media items. Seen by the owning agency and by whoever sees an investigation that links the person;
 * anyone else gets 404. Changed by the owning agency. A victim's identification raises the status of the series
 * the victim is linked to, in the same transaction (audited as a series change).
 */
export class PeopleService {
  constructor(
    private readonly policy: AccessPolicy,
    private readonly audit: AuditLog,
    private readonly series: SeriesService,
  ) {}

  async create(ctx: TxContext, input: PersonInput & { kind: 'victim' | 'offender'; label: string }): Promise<Person> {
    this.policy.require(ctx.actor, 'cases.write', ctx.now);
    const actor = this.policy.user(ctx.actor);
    const status = input.status ?? 'unidentified';
    check(input.kind, { ...input, status });
    const row = await ctx.tx
      .insertInto('people')
      .values({
        kind: input.kind,
        label: input.label.trim(),
        agency_id: actor.agencyId,
        country_code: actor.countryCode,
        age_min: input.ageMin ?? null,
        age_max: input.ageMax ?? null,
        sex: input.sex ?? 'unknown',
        descriptors: input.descriptors ?? '',
        notes: input.notes ?? '',
        identified: status === 'unidentified' ? 0 : 1,
        status,
        identified_at: status === 'unidentified' ? null : ctx.now,
        safeguarded_at: status === 'safeguarded' ? ctx.now : null,
        notice_kind: input.notice?.kind ?? null,
        notice_ref: input.notice?.reference ?? null,
        created_by: actor.userId,
        created_at: ctx.now,
        updated_at: ctx.now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const id = Number(row.id);
    await this.record(ctx, 'person.create', id, actor.countryCode, { kind: input.kind, status });
    return this.get(ctx, id);
  }

  async get(ctx: TxContext, id: number): Promise<Person> {
    this.policy.require(ctx.actor, 'cases.read', ctx.now);
    const row = await ctx.tx.selectFrom('people').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || !(this.owns(ctx, row) || (await this.seenThroughInvestigation(ctx, id)))) throw new NotFoundError('person not found');
    const links = await ctx.tx.selectFrom('person_links').select(['target_type', 'target_id']).where('person_id', '=', id).orderBy('target_type').orderBy('target_id').execute();
    return {
      id,
      kind: row.kind,
      label: row.label,
      agencyId: Number(row.agency_id),
      countryCode: row.country_code,
      ageMin: row.age_min,
      ageMax: row.age_max,
      sex: row.sex,
      descriptors: row.descriptors,
      notes: row.notes,
      identified: Number(row.identified) === 1,
      status: row.status,
      notice: row.notice_kind ? { kind: row.notice_kind, reference: row.notice_ref ?? '' } : null,
      links: links.map((l) => ({ type: l.target_type, id: Number(l.target_id) })),
      updatedAt: Number(row.updated_at),
    };
  }

  async update(ctx: TxContext, id: number, input: PersonInput): Promise<Person> {
    const row = await this.requireOwner(ctx, id);
    const status = input.status ?? row.status;
    check(row.kind, { ...input, status });
    const changes: Partial<Omit<PeopleTable, 'id'>> = {};
    if (input.label !== undefined) changes.label = input.label.trim();
    if (input.ageMin !== undefined) changes.age_min = input.ageMin;
    if (input.ageMax !== undefined) changes.age_max = input.ageMax;
    if (input.sex !== undefined) changes.sex = input.sex;
    if (input.descriptors !== undefined) changes.descriptors = input.descriptors;
    if (input.notes !== undefined) changes.notes = input.notes;
    if (input.status !== undefined) {
      changes.status = input.status;
      changes.identified = input.status === 'unidentified' ? 0 : 1;
      // When first identified / safeguarded (statistics per month); going back clears them.
      changes.identified_at = input.status === 'unidentified' ? null : (row.identified_at ?? ctx.now);
      changes.safeguarded_at = input.status === 'safeguarded' ? (row.safeguarded_at ?? ctx.now) : null;
    }
    if (input.notice !== undefined) {
      changes.notice_kind = input.notice?.kind ?? null;
      changes.notice_ref = input.notice?.reference ?? null;
    }
    const min = changes.age_min !== undefined ? changes.age_min : row.age_min;
    const max = changes.age_max !== undefined ? changes.age_max : row.age_max;
    if (min !== null && max !== null && min > max) throw new InvalidError('the age range is reversed');
    await ctx.tx.updateTable('people').set({ ...changes, updated_at: ctx.now }).where('id', '=', id).execute();
    await this.record(ctx, 'person.update', id, row.country_code, { ...changes, previousStatus: row.status });
    if (row.kind === 'victim' && input.status !== undefined && input.status !== 'unidentified') {
      const linked = await ctx.tx.selectFrom('person_links').select('target_id').where('person_id', '=', id).where('target_type', '=', 'series').execute();
      for (const l of linked) await this.series.advanceStatus(ctx, Number(l.target_id), input.status, { becauseOfPerson: id });
    }
    return this.get(ctx, id);
  }

  async link(ctx: TxContext, id: number, target: { type: 'series' | 'media'; id: number }): Promise<Person> {
    const row = await this.requireOwner(ctx, id);
    const found = await ctx.tx.selectFrom(target.type === 'series' ? 'series' : 'media_items').select('id').where('id', '=', target.id).executeTakeFirst();
    if (!found) throw new NotFoundError(`${target.type === 'series' ? 'series' : 'media item'} not found`);
    const dup = await ctx.tx.selectFrom('person_links').select('person_id').where('person_id', '=', id).where('target_type', '=', target.type).where('target_id', '=', target.id).executeTakeFirst();
    if (dup) throw new ConflictError('already linked');
    await ctx.tx.insertInto('person_links').values({ person_id: id, target_type: target.type, target_id: target.id, created_at: ctx.now }).execute();
    await this.record(ctx, 'person.link', id, row.country_code, { targetType: target.type, targetId: target.id });
    return this.get(ctx, id);
  }

  async unlink(ctx: TxContext, id: number, target: { type: 'series' | 'media'; id: number }): Promise<Person> {
    const row = await this.requireOwner(ctx, id);
    const removed = await ctx.tx.deleteFrom('person_links').where('person_id', '=', id).where('target_type', '=', target.type).where('target_id', '=', target.id).executeTakeFirst();
    if (Number(removed.numDeletedRows) === 0) throw new NotFoundError('no such link');
    await this.record(ctx, 'person.unlink', id, row.country_code, { targetType: target.type, targetId: target.id });
    return this.get(ctx, id);
  }

  private owns(ctx: TxContext, row: { agency_id: number }): boolean {
    return ctx.actor.kind === 'user' && ctx.actor.agencyId === Number(row.agency_id);
  }

  private async requireOwner(ctx: TxContext, id: number) {
    this.policy.require(ctx.actor, 'cases.write', ctx.now);
    const row = await ctx.tx.selectFrom('people').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError('person not found');
    if (!this.owns(ctx, row)) {
      if (await this.seenThroughInvestigation(ctx, id)) throw new ForbiddenError('only the owning agency changes a person record');
      throw new NotFoundError('person not found');
    }
    return row;
  }

  private seenThroughInvestigation(ctx: TxContext, id: number): Promise<boolean> {
    return linkedInVisibleInvestigation(ctx.tx, this.policy.user(ctx.actor), 'person', id);
  }

  private async record(ctx: TxContext, action: string, id: number, country: string, details: Record<string, unknown>): Promise<void> {
    await this.audit.append(ctx.tx, { action, actor: ctx.actor, object: { type: 'person', id, country }, address: ctx.address, requestId: ctx.requestId, details });
  }
}

function check(kind: 'victim' | 'offender', input: PersonInput & { status: IdentificationStatus }): void {
  if (input.label !== undefined && (input.label.trim().length === 0 || input.label.length > 200)) throw new InvalidError('a person needs a label of 1 to 200 characters');
  if (kind === 'offender' && input.status === 'safeguarded') throw new InvalidError('an offender is identified or not; safeguarded applies to victims');
  if (input.notice) {
    if (kind === 'offender' && input.notice.kind !== 'green') throw new InvalidError('an offender is linked to a Green Notice');
    if (kind === 'victim' && input.notice.kind !== 'yellow') throw new InvalidError('a victim is linked to a Yellow Notice');
  }
  for (const age of [input.ageMin, input.ageMax]) if (age !== undefined && age !== null && (!Number.isInteger(age) || age < 0 || age > 120)) throw new InvalidError('ages are whole years from 0 to 120');
  if (input.ageMin != null && input.ageMax != null && input.ageMin > input.ageMax) throw new InvalidError('the age range is reversed');
}
