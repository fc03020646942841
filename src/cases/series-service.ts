import type { TxContext } from '../auth/actor.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { AccessPolicy } from '../auth/policy.js';
import { ForbiddenError, InvalidError, NotFoundError } from '../core/errors.js';
import type { Executor, IdentificationStatus } from '../db/schema.js';
import { linkedInVisibleInvestigation } from './case-access.js';
import { containsText } from './sql-text.js';

export const IDENTIFICATION_STATUSES = ['unidentified', 'identified', 'safeguarded'] as const satisfies readonly IdentificationStatus[];

/** What every certified investigator sees of a series (matching reports name it). */
export interface SeriesSummary {
  readonly id: number;
  readonly name: string;
  readonly identificationStatus: IdentificationStatus;
  readonly agencyId: number;
  readonly countryCode: string;
  /** Countries where its material was seen: the owner's, every country that submitted one of its items or a match of one. */
  readonly countries: readonly string[];
  readonly items: number;
  readonly updatedAt: number;
}

/** The details, for the owning agency and for whoever sees an investigation that links the series. */
export interface SeriesDetail {
  readonly description: string;
  readonly mediaIds: readonly number[];
  readonly people: ReadonlyArray<{ readonly id: number; readonly kind: 'victim' | 'offender'; readonly label: string; readonly status: IdentificationStatus }>;
}

export interface SeriesView extends SeriesSummary {
  /** Null when the caller may see the summary only. */
  readonly detail: SeriesDetail | null;
  readonly canEdit: boolean;
}

/**
 * Series: a named group of media items of one victim or abuse context, owned by an agency, with an identification
 * status. Visibility (decided, see docs/ARCHITECTURE.md): name, status, owner, countries and item count are visible to
 * every certified investigator, because matching reports name a hit's series and the point is that others learn the
 * material is known; description, item list and linked people only to the owning agency and to those who see an
 * investigation linking the series. Changes: the owning agency. Adding an item makes every later match on it report
 * the series (matching/signal-store.ts itemFacts) and turns such matches *known*.
 */
export class SeriesService {
  constructor(
    private readonly policy: AccessPolicy,
    private readonly audit: AuditLog,
  ) {}

  async create(ctx: TxContext, input: { name: string; description?: string; identificationStatus?: IdentificationStatus; mediaIds?: readonly number[] }): Promise<SeriesView> {
    this.policy.require(ctx.actor, 'cases.write', ctx.now);
    const actor = this.policy.user(ctx.actor);
    const name = input.name.trim();
    if (name.length === 0 || name.length > 200) throw new InvalidError('a series needs a name of 1 to 200 characters');
    const row = await ctx.tx
      .insertInto('series')
      .values({ name, description: input.description ?? '', agency_id: actor.agencyId, country_code: actor.countryCode, identification_status: input.identificationStatus ?? 'unidentified', created_by: actor.userId, created_at: ctx.now, updated_at: ctx.now })
      .returning('id')
      .executeTakeFirstOrThrow();
    const id = Number(row.id);
    await this.record(ctx, 'series.create', id, actor.countryCode, { name, identificationStatus: input.identificationStatus ?? 'unidentified' });
    if (input.mediaIds?.length) await this.insertMedia(ctx, id, input.mediaIds);
    return this.get(ctx, id);
  }

  async get(ctx: TxContext, id: number): Promise<SeriesView> {
    this.policy.require(ctx.actor, 'cases.read', ctx.now);
    const [summary] = await summaries(ctx.tx, [id]);
    if (!summary) throw new NotFoundError('series not found');
    const canEdit = this.owns(ctx, summary);
    const detail = canEdit || (await this.seenThroughInvestigation(ctx, id)) ? await this.detail(ctx.tx, id) : null;
    return { ...summary, detail, canEdit };
  }

  /** Summaries, newest first; optionally by status or name (contains, case-insensitive). */
  async list(ctx: TxContext, input: { status?: IdentificationStatus; name?: string; beforeId?: number; limit?: number }): Promise<SeriesSummary[]> {
    this.policy.require(ctx.actor, 'cases.read', ctx.now);
    let q = ctx.tx.selectFrom('series').select('id').orderBy('id', 'desc').limit(Math.min(Math.max(1, input.limit ?? 50), 500));
    if (input.status) q = q.where('identification_status', '=', input.status);
    if (input.name) q = q.where(containsText('name', input.name));
    if (input.beforeId !== undefined) q = q.where('id', '<', input.beforeId);
    return summaries(ctx.tx, (await q.execute()).map((r) => Number(r.id)));
  }

  async update(ctx: TxContext, id: number, input: { name?: string; description?: string; identificationStatus?: IdentificationStatus }): Promise<SeriesView> {
    const current = await this.requireOwner(ctx, id);
    const changes: { name?: string; description?: string; identification_status?: IdentificationStatus } = {};
    if (input.name !== undefined) {
      if (input.name.trim().length === 0 || input.name.length > 200) throw new InvalidError('a series needs a name of 1 to 200 characters');
      changes.name = input.name.trim();
    }
    if (input.description !== undefined) changes.description = input.description;
    if (input.identificationStatus !== undefined) changes.identification_status = input.identificationStatus;
    await ctx.tx.updateTable('series').set({ ...changes, updated_at: ctx.now }).where('id', '=', id).execute();
    await this.record(ctx, 'series.update', id, current.countryCode, { ...changes, previousStatus: current.identificationStatus });
    return this.get(ctx, id);
  }

  async addMedia(ctx: TxContext, id: number, mediaIds: readonly number[]): Promise<SeriesView> {
    await this.requireOwner(ctx, id);
    await this.insertMedia(ctx, id, mediaIds);
    return this.get(ctx, id);
  }

  async removeMedia(ctx: TxContext, id: number, mediaId: number): Promise<SeriesView> {
    const current = await this.requireOwner(ctx, id);
    const removed = await ctx.tx.deleteFrom('series_media').where('series_id', '=', id).where('media_id', '=', mediaId).executeTakeFirst();
    if (Number(removed.numDeletedRows) === 0) throw new NotFoundError('that item is not in the series');
    await this.record(ctx, 'series.media.remove', id, current.countryCode, { mediaId });
    return this.get(ctx, id);
  }

  /** Raises a series' status (never lowers it): used when a linked victim is identified or safeguarded. */
  async advanceStatus(ctx: TxContext, id: number, to: IdentificationStatus, reason: Record<string, unknown>): Promise<boolean> {
    const row = await ctx.tx.selectFrom('series').select(['identification_status', 'country_code']).where('id', '=', id).executeTakeFirst();
    if (!row || IDENTIFICATION_STATUSES.indexOf(row.identification_status) >= IDENTIFICATION_STATUSES.indexOf(to)) return false;
    await ctx.tx.updateTable('series').set({ identification_status: to, updated_at: ctx.now }).where('id', '=', id).execute();
    await this.record(ctx, 'series.update', id, row.country_code, { identification_status: to, previousStatus: row.identification_status, ...reason });
    return true;
  }

  /**
   * The operator on import (`ariadne ingest --series NAME --agency NAME --country CC`), acting for that national
   * unit: the agency's series of that name (found by name and agency), created for the agency when it has none.
   * System actor only; the creation is audited as the operator, naming the agency.
   */
  async ensureForAgencyAsOperator(ctx: TxContext, input: { name: string; agencyName: string; countryCode: string }): Promise<{ id: number; created: boolean; agencyId: number }> {
    if (ctx.actor.kind !== 'system') throw new ForbiddenError('only the command-line operator creates series for an agency on import');
    const name = input.name.trim();
    if (name.length === 0 || name.length > 200) throw new InvalidError('a series needs a name of 1 to 200 characters');
    const country = input.countryCode.toUpperCase();
    const agency = await ctx.tx.selectFrom('agencies').select('id').where('country_code', '=', country).where('name', '=', input.agencyName).executeTakeFirst();
    if (!agency) throw new NotFoundError(`no agency "${input.agencyName}" in ${country}`);
    const agencyId = Number(agency.id);
    const existing = await ctx.tx.selectFrom('series').select('id').where('agency_id', '=', agencyId).where('name', '=', name).orderBy('id').executeTakeFirst();
    if (existing) return { id: Number(existing.id), created: false, agencyId };
    const row = await ctx.tx
      .insertInto('series')
      .values({ name, description: '', agency_id: agencyId, country_code: country, identification_status: 'unidentified', created_by: null, created_at: ctx.now, updated_at: ctx.now })
      .returning('id')
      .executeTakeFirstOrThrow();
    const id = Number(row.id);
    await this.record(ctx, 'series.create', id, country, { name, identificationStatus: 'unidentified', forAgencyId: agencyId, onImport: true });
    return { id, created: true, agencyId };
  }

  /** The operator on import: adds the submission's items to a series (see ensureForAgencyAsOperator); the number added. System actor only. */
  async addMediaAsOperator(ctx: TxContext, id: number, mediaIds: readonly number[], details: { submissionId: number }): Promise<number> {
    if (ctx.actor.kind !== 'system') throw new ForbiddenError('only the command-line operator adds items for an agency on import');
    const series = await ctx.tx.selectFrom('series').select('agency_id').where('id', '=', id).executeTakeFirst();
    if (!series) throw new NotFoundError('series not found');
    const unique = [...new Set(mediaIds)];
    let added = 0;
    for (let i = 0; i < unique.length; i += 1000) added += await this.insertMedia(ctx, id, unique.slice(i, i + 1000), null, { forAgencyId: Number(series.agency_id), submissionId: details.submissionId });
    return added;
  }

  private async insertMedia(ctx: TxContext, id: number, mediaIds: readonly number[], addedBy: number | null = this.policy.user(ctx.actor).userId, details: Record<string, unknown> = {}): Promise<number> {
    const unique = [...new Set(mediaIds)];
    if (unique.length === 0 || unique.length > 1000) throw new InvalidError('add 1 to 1000 media items at a time');
    const found = await ctx.tx.selectFrom('media_items').select('id').where('id', 'in', unique).execute();
    if (found.length !== unique.length) throw new NotFoundError('media item not found');
    const present = new Set((await ctx.tx.selectFrom('series_media').select('media_id').where('series_id', '=', id).where('media_id', 'in', unique).execute()).map((r) => Number(r.media_id)));
    const added = unique.filter((m) => !present.has(m));
    if (added.length === 0) return 0;
    await ctx.tx.insertInto('series_media').values(added.map((m) => ({ series_id: id, media_id: m, added_by: addedBy, added_at: ctx.now }))).execute();
    await ctx.tx.updateTable('series').set({ updated_at: ctx.now }).where('id', '=', id).execute();
    const row = await ctx.tx.selectFrom('series').select('country_code').where('id', '=', id).executeTakeFirstOrThrow();
    await this.record(ctx, 'series.media.add', id, row.country_code, { mediaIds: added, ...details });
    return added.length;
  }

  private owns(ctx: TxContext, s: { agencyId: number }): boolean {
    return ctx.actor.kind === 'user' && ctx.actor.agencyId === s.agencyId;
  }

  private async requireOwner(ctx: TxContext, id: number): Promise<SeriesSummary> {
    this.policy.require(ctx.actor, 'cases.write', ctx.now);
    const [summary] = await summaries(ctx.tx, [id]);
    if (!summary) throw new NotFoundError('series not found');
    if (!this.owns(ctx, summary)) throw new ForbiddenError('only the owning agency changes a series');
    return summary;
  }

  private seenThroughInvestigation(ctx: TxContext, id: number): Promise<boolean> {
    return linkedInVisibleInvestigation(ctx.tx, this.policy.user(ctx.actor), 'series', id);
  }

  private async detail(ex: Executor, id: number): Promise<SeriesDetail> {
    const s = await ex.selectFrom('series').select('description').where('id', '=', id).executeTakeFirstOrThrow();
    const media = await ex.selectFrom('series_media').select('media_id').where('series_id', '=', id).orderBy('media_id').execute();
    const people = await ex
      .selectFrom('person_links as l')
      .innerJoin('people as p', 'p.id', 'l.person_id')
      .select(['p.id', 'p.kind', 'p.label', 'p.status'])
      .where('l.target_type', '=', 'series')
      .where('l.target_id', '=', id)
      .orderBy('p.id')
      .execute();
    return { description: s.description, mediaIds: media.map((m) => Number(m.media_id)), people: people.map((p) => ({ id: Number(p.id), kind: p.kind, label: p.label, status: p.status })) };
  }

  private async record(ctx: TxContext, action: string, id: number, country: string, details: Record<string, unknown>): Promise<void> {
    await this.audit.append(ctx.tx, { action, actor: ctx.actor, object: { type: 'series', id, country }, address: ctx.address, requestId: ctx.requestId, details });
  }
}

/** Series summaries in the order of `ids` (missing ids are left out). */
export async function summaries(ex: Executor, ids: readonly number[]): Promise<SeriesSummary[]> {
  if (ids.length === 0) return [];
  const rows = await ex.selectFrom('series').selectAll().where('id', 'in', [...ids]).execute();
  const counts = await ex.selectFrom('series_media').select(['series_id', (eb) => eb.fn.countAll<number>().as('n')]).where('series_id', 'in', [...ids]).groupBy('series_id').execute();
  const seen = await ex
    .selectFrom('series_media as sm')
    .innerJoin('submission_files as f', 'f.media_id', 'sm.media_id')
    .innerJoin('submissions as s', 's.id', 'f.submission_id')
    .select(['sm.series_id', 's.country_code'])
    .where('sm.series_id', 'in', [...ids])
    .where('s.country_code', 'is not', null)
    .union(ex.selectFrom('series_sightings').select(['series_id', 'country_code']).where('series_id', 'in', [...ids]).where('country_code', 'is not', null))
    .execute();
  const byId = new Map(rows.map((r) => [Number(r.id), r]));
  return ids.flatMap((id) => {
    const r = byId.get(id);
    if (!r) return [];
    const countries = new Set([r.country_code, ...seen.filter((x) => Number(x.series_id) === id).map((x) => x.country_code!)]);
    return [
      {
        id,
        name: r.name,
        identificationStatus: r.identification_status,
        agencyId: Number(r.agency_id),
        countryCode: r.country_code,
        countries: [...countries].sort(),
        items: Number(counts.find((c) => Number(c.series_id) === id)?.n ?? 0),
        updatedAt: Number(r.updated_at),
      },
    ];
  });
}
