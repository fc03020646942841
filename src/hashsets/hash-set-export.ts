import type { Db } from '../db/schema.js';
import type { ExchangeEntry } from '../exchange/entry.js';
import { fromItemRow } from './hash-set-items.js';

/**
 * Entries per page when exporting a set: one query each, paged by id. Small pages are much cheaper than large ones:
 * a page's rows, entries and text die young (a scavenge frees them) instead of outliving collections into the old
 * generation (20,000-row pages spent 40% of the export collecting garbage).
 */
const EXPORT_PAGE = 1000;
/** Media items per page when exporting an investigation (ids go into `in (…)` lists). */
const MEDIA_PAGE = 500;

/** The entries of a set in id order, page by page (keyset pagination on the (set_id, id) index). */
export async function* setPages(db: Db, setId: number): AsyncGenerator<ExchangeEntry[]> {
  let after = 0;
  for (;;) {
    const rows = await db
      .selectFrom('hash_set_items')
      .select(['id', 'media_ref', 'md5', 'sha1', 'sha256', 'pdq', 'pdq_quality', 'photodna', 'alt_hashes', 'category', 'baseline', 'series', 'victim_identified', 'offender_identified', 'distributed', 'tags', 'media_type', 'file_name', 'label'])
      .where('set_id', '=', setId)
      .where('id', '>', after)
      .orderBy('id')
      .limit(EXPORT_PAGE)
      .execute();
    if (rows.length === 0) return;
    after = Number(rows[rows.length - 1].id);
    const page = new Array<ExchangeEntry>(rows.length);
    for (let i = 0; i < rows.length; i++) page[i] = fromItemRow(rows[i]);
    yield page;
    if (rows.length < EXPORT_PAGE) return;
  }
}

/** Media items with their hashes, settled category, baseline and first series, page by page in id order. */
export async function* mediaPages(db: Db, mediaIds: readonly number[]): AsyncGenerator<ExchangeEntry[]> {
  for (let i = 0; i < mediaIds.length; i += MEDIA_PAGE) {
    const ids = mediaIds.slice(i, i + MEDIA_PAGE);
    const items = await db.selectFrom('media_items').select(['id', 'md5', 'sha1', 'sha256', 'kind']).where('id', 'in', ids).orderBy('id').execute();
    const pdq = await db.selectFrom('signal_entries').select(['media_id', 'hash', 'quality']).where('media_id', 'in', ids).where('signal', '=', 'pdq').where('variant', '=', 'plain').where('removed_at', 'is', null).execute();
    const categories = await db.selectFrom('media_categories').select(['media_id', 'category', 'baseline']).where('media_id', 'in', ids).execute();
    const series = await db.selectFrom('series_media as sm').innerJoin('series as s', 's.id', 'sm.series_id').select(['sm.media_id', 's.name']).where('sm.media_id', 'in', ids).orderBy('s.id').execute();
    const pdqOf = new Map(pdq.map((r) => [Number(r.media_id), r]));
    const catOf = new Map(categories.map((r) => [Number(r.media_id), r]));
    const seriesOf = new Map<number, string>();
    for (const r of series) if (!seriesOf.has(Number(r.media_id))) seriesOf.set(Number(r.media_id), r.name);
    yield items.map((m) => {
      const id = Number(m.id);
      const p = pdqOf.get(id);
      const c = catOf.get(id);
      return {
        mediaRef: String(id),
        md5: m.md5.toLowerCase(),
        sha1: m.sha1.toLowerCase(),
        sha256: m.sha256.toLowerCase(),
        pdq: p ? Buffer.from(p.hash).toString('hex') : null,
        pdqQuality: p?.quality ?? null,
        photoDna: null,
        altHashes: [],
        category: c?.category ?? null,
        baseline: c?.baseline === null || c === undefined ? null : Number(c.baseline) === 1,
        series: seriesOf.get(id) ?? null,
        victimIdentified: null,
        offenderIdentified: null,
        distributed: null,
        tags: [],
        mediaType: m.kind,
        fileName: null,
        label: null,
      };
    });
  }
}
