import { sql, type RawBuilder } from 'kysely';
import type { TxContext } from '../auth/actor.js';
import type { AccessPolicy } from '../auth/policy.js';
import { isCountryCode } from '../auth/countries.js';
import { ForbiddenError, InvalidError } from '../core/errors.js';
import type { Dialect, Executor } from '../db/schema.js';
import { csvField } from '../ingest/report-formats.js';

/** The figures per country and month, in CSV column order. */
export const METRICS = [
  'submissions',
  'items',
  'uniqueItems',
  'newItems',
  'series',
  'victimsIdentified',
  'victimsSafeguarded',
  'offendersIdentified',
  'crossCountryMatches',
  'noticesGreen',
  'noticesYellow',
  'operations',
] as const;
export type Metric = (typeof METRICS)[number];

export type StatisticsRow = { readonly country: string; readonly month: string } & Record<Metric, number>;

export interface Statistics {
  /** First and last month included, `YYYY-MM` (UTC). */
  readonly from: string;
  readonly to: string;
  /** The country the figures are limited to; null for every country. */
  readonly country: string | null;
  /** One row per country and month with anything to count, ordered by country then month. */
  readonly rows: StatisticsRow[];
  readonly totals: Record<Metric, number>;
  readonly generatedAt: number;
}

export interface StatisticsQuery {
  readonly from?: string;
  readonly to?: string;
  readonly country?: string;
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;
const MAX_MONTHS = 120;

/**
 * The picture in numbers, computed from the database by one grouped SQL query per figure (the same SQL on SQLite and
 * PostgreSQL; months are UTC buckets of the epoch-millisecond columns):
 * - submissions: seizures submitted (notice photo submissions are not seizures and are left out);
 * - items / uniqueItems: files of those submissions that became media items / distinct items among them;
 * - newItems: media items first seen in a submission of the country;
 * - series: series created by the country's agencies;
 * - victimsIdentified / victimsSafeguarded / offendersIdentified: people records first identified or safeguarded;
 * - crossCountryMatches: distinct items of the country's submissions that match material another country submitted
 *   earlier: exactly (the same item in an earlier submission of another country) or by PDQ/exact match to an item of
 *   another country's series (the series-match job's `series_sightings`), the match records the system keeps;
 * - noticesGreen / noticesYellow: notices of the country published; operations: operations it takes part in, by
 *   the month they were created.
 * Global admins, auditors and the operator see every country; a country admin sees its own country.
 */
export class StatisticsService {
  constructor(
    private readonly policy: AccessPolicy,
    private readonly dialect: Dialect,
  ) {}

  async compute(ctx: TxContext, query: StatisticsQuery = {}): Promise<Statistics> {
    this.policy.require(ctx.actor, 'stats.read', ctx.now);
    const country = this.scope(ctx, query.country);
    const to = query.to ?? monthOf(ctx.now);
    const from = query.from ?? addMonths(to, -11);
    const start = monthStart(from, '--from');
    const end = monthStart(addMonths(monthStartCheck(to, '--to'), 1), '--to');
    if (start >= end) throw new InvalidError('the first month comes after the last');
    if (monthsBetween(from, to) > MAX_MONTHS) throw new InvalidError(`at most ${MAX_MONTHS} months at a time`);
    const range = { start, end, country };
    const rows = new Map<string, StatisticsRow>();
    const add = (metric: Metric, counts: ReadonlyArray<{ country: string | null; month: string; n: unknown }>) => {
      for (const c of counts) {
        if (c.country === null) continue;
        const key = `${c.country}\u0000${c.month}`;
        let row = rows.get(key);
        if (!row) {
          row = { country: c.country, month: c.month, ...zero() };
          rows.set(key, row);
        }
        (row as Record<Metric, number>)[metric] += Number(c.n);
      }
    };
    const ex = ctx.tx;
    add('submissions', await this.submissions(ex, range));
    const files = await this.files(ex, range);
    add('items', files.map((f) => ({ country: f.country, month: f.month, n: f.files })));
    add('uniqueItems', files.map((f) => ({ country: f.country, month: f.month, n: f.items })));
    add('newItems', await this.grouped(ex.selectFrom('media_items'), 'first_country', 'first_seen_at', range));
    add('series', await this.grouped(ex.selectFrom('series'), 'country_code', 'created_at', range));
    add('victimsIdentified', await this.grouped(ex.selectFrom('people').where('kind', '=', 'victim'), 'country_code', 'identified_at', range));
    add('victimsSafeguarded', await this.grouped(ex.selectFrom('people').where('kind', '=', 'victim'), 'country_code', 'safeguarded_at', range));
    add('offendersIdentified', await this.grouped(ex.selectFrom('people').where('kind', '=', 'offender'), 'country_code', 'identified_at', range));
    add('crossCountryMatches', await this.crossCountry(ex, range));
    add('noticesGreen', await this.grouped(ex.selectFrom('notices').where('kind', '=', 'green'), 'country_code', 'published_at', range));
    add('noticesYellow', await this.grouped(ex.selectFrom('notices').where('kind', '=', 'yellow'), 'country_code', 'published_at', range));
    add('operations', await this.operations(ex, range));
    const sorted = [...rows.values()].sort((a, b) => (a.country === b.country ? a.month.localeCompare(b.month) : a.country.localeCompare(b.country)));
    const totals = zero();
    for (const r of sorted) for (const m of METRICS) totals[m] += r[m];
    return { from, to, country, rows: sorted, totals, generatedAt: ctx.now };
  }

  /** The figures as CSV (RFC 4180, CRLF line ends): a header, one line per country and month. */
  static toCsv(stats: Statistics): string {
    const lines = [['country', 'month', ...METRICS].join(',')];
    for (const r of stats.rows) lines.push([r.country, r.month, ...METRICS.map((m) => String(r[m]))].map(csvField).join(','));
    return `${lines.join('\r\n')}\r\n`;
  }

  private scope(ctx: TxContext, asked: string | undefined): string | null {
    const country = asked === undefined ? undefined : asked.toUpperCase();
    if (country !== undefined && !isCountryCode(country)) throw new InvalidError(`unknown country code ${asked}`);
    const actor = ctx.actor;
    if (actor.kind === 'user' && actor.role === 'country_admin') {
      if (country !== undefined && country !== actor.countryCode) throw new ForbiddenError('a country admin sees its own country\'s statistics');
      return actor.countryCode;
    }
    return country ?? null;
  }

  private month(column: string): RawBuilder<string> {
    return this.dialect === 'sqlite'
      ? sql<string>`strftime('%Y-%m', ${sql.ref(column)} / 1000, 'unixepoch')`
      : sql<string>`to_char(to_timestamp(${sql.ref(column)} / 1000.0) at time zone 'UTC', 'YYYY-MM')`;
  }

  /** count(*) per (country column, month of time column) over a table's rows in the range. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- one helper over several tables' builders
  private async grouped(q: any, countryColumn: string, timeColumn: string, range: Range): Promise<Array<{ country: string | null; month: string; n: unknown }>> {
    let b = q
      .select([sql.ref(countryColumn).as('country'), this.month(timeColumn).as('month'), sql`count(*)`.as('n')])
      .where(sql.ref(timeColumn), '>=', range.start)
      .where(sql.ref(timeColumn), '<', range.end)
      .where(sql.ref(countryColumn), 'is not', null);
    if (range.country) b = b.where(sql.ref(countryColumn), '=', range.country);
    return b.groupBy([sql.ref(countryColumn), this.month(timeColumn)]).execute();
  }

  private async submissions(ex: Executor, range: Range) {
    let q = ex
      .selectFrom('submissions as s')
      .select(['s.country_code as country', this.month('s.created_at').as('month'), (eb) => eb.fn.countAll().as('n')])
      .where('s.created_at', '>=', range.start)
      .where('s.created_at', '<', range.end)
      .where('s.country_code', 'is not', null)
      .where(notNoticePhotos);
    if (range.country) q = q.where('s.country_code', '=', range.country);
    return q.groupBy(['s.country_code', this.month('s.created_at')]).execute();
  }

  private async files(ex: Executor, range: Range) {
    let q = ex
      .selectFrom('submission_files as f')
      .innerJoin('submissions as s', 's.id', 'f.submission_id')
      .select(['s.country_code as country', this.month('f.created_at').as('month'), (eb) => eb.fn.countAll().as('files'), (eb) => eb.fn.count('f.media_id').distinct().as('items')])
      .where('f.created_at', '>=', range.start)
      .where('f.created_at', '<', range.end)
      .where('f.media_id', 'is not', null)
      .where('s.country_code', 'is not', null)
      .where(notNoticePhotos);
    if (range.country) q = q.where('s.country_code', '=', range.country);
    return q.groupBy(['s.country_code', this.month('f.created_at')]).execute();
  }

  private async crossCountry(ex: Executor, range: Range) {
    let exact = ex
      .selectFrom('submission_files as f')
      .innerJoin('submissions as s', 's.id', 'f.submission_id')
      .select(['s.country_code as country', this.month('f.created_at').as('month'), 'f.media_id as media_id'])
      .where('f.created_at', '>=', range.start)
      .where('f.created_at', '<', range.end)
      .where('f.media_id', 'is not', null)
      .where('s.country_code', 'is not', null)
      .where(({ exists, selectFrom }) =>
        exists(
          selectFrom('submission_files as f2')
            .innerJoin('submissions as s2', 's2.id', 'f2.submission_id')
            .select('f2.id')
            .whereRef('f2.media_id', '=', 'f.media_id')
            .whereRef('f2.id', '<', 'f.id')
            .whereRef('s2.country_code', '<>', 's.country_code'),
        ),
      );
    let series = ex
      .selectFrom('series_sightings as ss')
      .innerJoin('series as se', 'se.id', 'ss.series_id')
      .select(['ss.country_code as country', this.month('ss.at').as('month'), 'ss.media_id as media_id'])
      .where('ss.at', '>=', range.start)
      .where('ss.at', '<', range.end)
      .where('ss.country_code', 'is not', null)
      .whereRef('ss.country_code', '<>', 'se.country_code');
    if (range.country) {
      exact = exact.where('s.country_code', '=', range.country);
      series = series.where('ss.country_code', '=', range.country);
    }
    return ex
      .selectFrom(exact.union(series).as('x'))
      .select(['x.country', 'x.month', (eb) => eb.fn.countAll().as('n')])
      .groupBy(['x.country', 'x.month'])
      .execute();
  }

  private async operations(ex: Executor, range: Range) {
    let q = ex
      .selectFrom('operation_participants as p')
      .innerJoin('operations as o', 'o.id', 'p.operation_id')
      .select(['p.country_code as country', this.month('o.created_at').as('month'), (eb) => eb.fn.countAll().as('n')])
      .where('o.created_at', '>=', range.start)
      .where('o.created_at', '<', range.end);
    if (range.country) q = q.where('p.country_code', '=', range.country);
    return q.groupBy(['p.country_code', this.month('o.created_at')]).execute();
  }
}

interface Range {
  readonly start: number;
  readonly end: number;
  readonly country: string | null;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- an expression callback shared by two builders
function notNoticePhotos(eb: any) {
  return eb.not(eb.exists(eb.selectFrom('notices as n').select('n.id').whereRef('n.submission_id', '=', 's.id')));
}

function zero(): Record<Metric, number> {
  return Object.fromEntries(METRICS.map((m) => [m, 0])) as Record<Metric, number>;
}

function monthOf(t: number): string {
  return new Date(t).toISOString().slice(0, 7);
}

function monthStartCheck(month: string, option: string): string {
  monthStart(month, option);
  return month;
}

function monthStart(month: string, option: string): number {
  const m = MONTH.exec(month);
  if (!m) throw new InvalidError(`${option}: "${month}" is not a month as YYYY-MM`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, 1);
}

function addMonths(month: string, n: number): string {
  const m = MONTH.exec(month);
  if (!m) throw new InvalidError(`"${month}" is not a month as YYYY-MM`);
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1 + n, 1));
  return d.toISOString().slice(0, 7);
}

function monthsBetween(from: string, to: string): number {
  const [fy, fm] = from.split('-').map(Number);
  const [ty, tm] = to.split('-').map(Number);
  return (ty - fy) * 12 + (tm - fm) + 1;
}
