import { sql, type Expression, type SqlBool } from 'kysely';
import type { TxContext } from '../auth/actor.js';
import type { AccessPolicy } from '../auth/policy.js';
import { InvalidError } from '../core/errors.js';
import type { IdentificationStatus, InvestigationStatus } from '../db/schema.js';
import { visibleInvestigationIds } from './case-access.js';
import { containsText } from './sql-text.js';

export type SearchKind = 'media' | 'investigations' | 'series' | 'comments';

export interface SearchQuery {
  readonly kind: SearchKind;
  /** Text: investigation titles, references and tags; series names and descriptions; comment text; for media, the names of their series. */
  readonly q?: string;
  /** Media: settled VICS category. */
  readonly category?: number;
  /** Investigations: open/closed/archived; series and media: the series' identification status. */
  readonly status?: string;
  /** Media: first country; investigations and series: owning country. */
  readonly country?: string;
  /** Media: camera body serial (exact). */
  readonly cameraSerial?: string;
  /** Time range, epoch ms (from inclusive, to exclusive): media first seen, investigations and comments created, series updated. */
  readonly from?: number;
  readonly to?: number;
  /**
   * Keyset paging: the previous answer's `next`, passed back unchanged with the same filters. Without a time range
   * results are ordered by id and the cursor is that id (`"123"`); with `from` or `to` they are ordered by (time, id)
   * on the kind's time index and the cursor is `"<time>.<id>"` (`"1700000000000.123"`). A cursor of the other
   * ordering is refused (InvalidError).
   */
  readonly before?: string;
  readonly limit?: number;
}

export interface SearchHit {
  readonly kind: SearchKind;
  readonly id: number;
  readonly title: string;
  readonly status: string | null;
  readonly country: string | null;
  readonly at: number;
  /** Investigation of a comment. */
  readonly investigationId?: number;
}

export interface SearchResult {
  readonly hits: readonly SearchHit[];
  /** Pass as `before` for the next page (see SearchQuery.before); null on the last page. */
  readonly next: string | null;
}

const INVESTIGATION_STATUSES: readonly InvestigationStatus[] = ['open', 'closed', 'archived'];
const SERIES_STATUSES: readonly IdentificationStatus[] = ['unidentified', 'identified', 'safeguarded'];

/** A decoded `before`: an id (id order) or a (time, id) pair (time order, when a range is given). */
type Cursor = { readonly id: number; readonly at?: number };

const ID_CURSOR = /^[1-9][0-9]{0,15}$/;
const TIME_CURSOR = /^(-?[0-9]{1,16})\.([1-9][0-9]{0,15})$/;

export function parseSearchCursor(before: string | undefined, byTime: boolean): Cursor | undefined {
  if (before === undefined) return undefined;
  if (!byTime) {
    if (!ID_CURSOR.test(before)) throw new InvalidError('before: without a time range the cursor is an id (the previous answer\'s next)');
    return { id: Number(before) };
  }
  const m = TIME_CURSOR.exec(before);
  if (!m) throw new InvalidError('before: with a time range the cursor is "<time>.<id>" (the previous answer\'s next)');
  return { at: Number(m[1]), id: Number(m[2]) };
}

/**
 * The page condition on (time, id) as one row-value comparison, which both SQLite and PostgreSQL answer from an
 * index on (time, id) in descending order.
 */
function beforeCursor(timeColumn: string, idColumn: string, cursor: Cursor): Expression<SqlBool> {
  return (cursor.at === undefined ? sql<SqlBool>`${sql.ref(idColumn)} < ${cursor.id}` : sql<SqlBool>`(${sql.ref(timeColumn)}, ${sql.ref(idColumn)}) < (${cursor.at}, ${cursor.id})`);
}

/**
 * Search across what the caller may see, one kind at a time, newest first with keyset paging (`before` an id), so
 * a page costs the same however deep it is. Investigations and comments are limited to the investigations the
 * caller sees (the same subquery as everywhere, case-access.ts); series summaries and media items are visible to
 * every certified investigator (matching material). Each filter on media follows an index of migration 0005
 * (category, first country, camera serial, first-seen time, all with the id), measured in bench/search.ts. With a
 * time range the order is (time, id), so the range is read from the time index instead of filtering the id order
 * (0005 media_items_first_seen; 0007 for investigations, series and comments).
 */
export class SearchService {
  constructor(private readonly policy: AccessPolicy) {}

  async search(ctx: TxContext, query: SearchQuery): Promise<SearchResult> {
    this.policy.require(ctx.actor, 'cases.read', ctx.now);
    const limit = Math.min(Math.max(1, query.limit ?? 50), 200);
    const byTime = query.from !== undefined || query.to !== undefined;
    const cursor = parseSearchCursor(query.before, byTime);
    const hits = await this.run(ctx, query, limit + 1, byTime, cursor);
    const page = hits.slice(0, limit);
    if (hits.length <= limit) return { hits: page, next: null };
    const last = page[page.length - 1];
    return { hits: page, next: byTime ? `${last.at}.${last.id}` : String(last.id) };
  }

  private async run(ctx: TxContext, query: SearchQuery, take: number, byTime: boolean, cursor: Cursor | undefined): Promise<SearchHit[]> {
    const actor = this.policy.user(ctx.actor);
    const text = query.q?.trim() || undefined;
    const country = query.country?.toUpperCase();
    switch (query.kind) {
      case 'media': {
        if (query.status !== undefined && !(SERIES_STATUSES as readonly string[]).includes(query.status)) throw new InvalidError(`media status is a series status: ${SERIES_STATUSES.join(', ')}`);
        let q = ctx.tx.selectFrom('media_items as m').select(['m.id', 'm.sha256', 'm.first_country', 'm.first_seen_at', 'm.created_at']).$call((b) => (byTime ? b.orderBy('m.first_seen_at', 'desc') : b)).orderBy('m.id', 'desc').limit(take);
        if (query.category !== undefined) q = q.where('m.id', 'in', (eb) => eb.selectFrom('media_categories').select('media_id').where('category', '=', query.category!));
        if (country) q = q.where('m.first_country', '=', country);
        if (query.cameraSerial) q = q.where('m.camera_serial', '=', query.cameraSerial);
        if (query.from !== undefined) q = q.where('m.first_seen_at', '>=', query.from);
        if (query.to !== undefined) q = q.where('m.first_seen_at', '<', query.to);
        if (cursor !== undefined) q = q.where(beforeCursor('m.first_seen_at', 'm.id', cursor));
        if (text !== undefined || query.status !== undefined) {
          q = q.where('m.id', 'in', (eb) => {
            let s = eb.selectFrom('series_media as sm').innerJoin('series as s', 's.id', 'sm.series_id').select('sm.media_id');
            if (text !== undefined) s = s.where(containsText('s.name', text));
            if (query.status !== undefined) s = s.where('s.identification_status', '=', query.status as IdentificationStatus);
            return s;
          });
        }
        return (await q.execute()).map((r) => ({ kind: 'media' as const, id: Number(r.id), title: r.sha256, status: null, country: r.first_country, at: Number(r.first_seen_at ?? r.created_at) }));
      }
      case 'investigations': {
        if (query.status !== undefined && !(INVESTIGATION_STATUSES as readonly string[]).includes(query.status)) throw new InvalidError(`investigation status is one of ${INVESTIGATION_STATUSES.join(', ')}`);
        let q = ctx.tx
          .selectFrom('investigations as i')
          .select(['i.id', 'i.title', 'i.status', 'i.country_code', 'i.created_at'])
          .where('i.id', 'in', visibleInvestigationIds(ctx.tx, actor))
          .$call((b) => (byTime ? b.orderBy('i.created_at', 'desc') : b)).orderBy('i.id', 'desc')
          .limit(take);
        if (text !== undefined) {
          q = q.where((eb) =>
            eb.or([
              containsText('i.title', text),
              containsText('i.reference', text),
              eb.exists(eb.selectFrom('investigation_links as l').select('l.id').whereRef('l.investigation_id', '=', 'i.id').where('l.kind', 'in', ['tag', 'location']).where(containsText('l.label', text))),
            ]),
          );
        }
        if (query.status !== undefined) q = q.where('i.status', '=', query.status as InvestigationStatus);
        if (country) q = q.where('i.country_code', '=', country);
        if (query.from !== undefined) q = q.where('i.created_at', '>=', query.from);
        if (query.to !== undefined) q = q.where('i.created_at', '<', query.to);
        if (cursor !== undefined) q = q.where(beforeCursor('i.created_at', 'i.id', cursor));
        return (await q.execute()).map((r) => ({ kind: 'investigations' as const, id: Number(r.id), title: r.title, status: r.status, country: r.country_code, at: Number(r.created_at) }));
      }
      case 'series': {
        if (query.status !== undefined && !(SERIES_STATUSES as readonly string[]).includes(query.status)) throw new InvalidError(`series status is one of ${SERIES_STATUSES.join(', ')}`);
        let q = ctx.tx.selectFrom('series as s').select(['s.id', 's.name', 's.identification_status', 's.country_code', 's.updated_at']).$call((b) => (byTime ? b.orderBy('s.updated_at', 'desc') : b)).orderBy('s.id', 'desc').limit(take);
        if (text !== undefined) q = q.where((eb) => eb.or([containsText('s.name', text), containsText('s.description', text)]));
        if (query.status !== undefined) q = q.where('s.identification_status', '=', query.status as IdentificationStatus);
        if (country) q = q.where('s.country_code', '=', country);
        if (query.from !== undefined) q = q.where('s.updated_at', '>=', query.from);
        if (query.to !== undefined) q = q.where('s.updated_at', '<', query.to);
        if (cursor !== undefined) q = q.where(beforeCursor('s.updated_at', 's.id', cursor));
        return (await q.execute()).map((r) => ({ kind: 'series' as const, id: Number(r.id), title: r.name, status: r.identification_status, country: r.country_code, at: Number(r.updated_at) }));
      }
      case 'comments': {
        let q = ctx.tx
          .selectFrom('comments as c')
          .innerJoin('users as u', 'u.id', 'c.author_id')
          .select(['c.id', 'c.body', 'c.investigation_id', 'c.created_at', 'u.country_code'])
          .where('c.investigation_id', 'in', visibleInvestigationIds(ctx.tx, actor))
          .where('c.deleted_at', 'is', null)
          .$call((b) => (byTime ? b.orderBy('c.created_at', 'desc') : b)).orderBy('c.id', 'desc')
          .limit(take);
        if (text !== undefined) q = q.where(containsText('c.body', text));
        if (country) q = q.where('u.country_code', '=', country);
        if (query.from !== undefined) q = q.where('c.created_at', '>=', query.from);
        if (query.to !== undefined) q = q.where('c.created_at', '<', query.to);
        if (cursor !== undefined) q = q.where(beforeCursor('c.created_at', 'c.id', cursor));
        return (await q.execute()).map((r) => ({ kind: 'comments' as const, id: Number(r.id), title: r.body.slice(0, 200), status: null, country: r.country_code, at: Number(r.created_at), investigationId: Number(r.investigation_id) }));
      }
    }
  }
}
