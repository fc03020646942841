import type { HashSetItemsTable } from '../db/schema.js';
import type { ExchangeEntry } from '../exchange/entry.js';

/** Rows of `hash_set_items` (what a set's entry says beyond its hashes) to and from exchange entries. */

/** What an entry says, as `hash_set_items` columns (its key excepted), in the order `entryValues` writes them. */
export const ENTRY_COLUMNS = [
  'media_ref',
  'md5',
  'sha1',
  'sha256',
  'pdq',
  'pdq_quality',
  'photodna',
  'alt_hashes',
  'category',
  'baseline',
  'series',
  'victim_identified',
  'offender_identified',
  'distributed',
  'tags',
  'media_type',
  'file_name',
  'label',
] as const satisfies ReadonlyArray<keyof HashSetItemsTable>;

/** A whole row: the set, the entry's key, what the entry says, when it was added. */
export const ITEM_COLUMNS = ['set_id', 'item_key', ...ENTRY_COLUMNS, 'created_at'] as const satisfies ReadonlyArray<keyof HashSetItemsTable>;

/** Where a column's value lies in a row of ITEM_COLUMNS. */
export function itemColumn(name: (typeof ITEM_COLUMNS)[number]): number {
  return ITEM_COLUMNS.indexOf(name);
}

/** Writes an entry's ENTRY_COLUMNS values into `out` from `at` (text, whole numbers or null); returns the next index. */
export function entryValues(out: unknown[], at: number, e: ExchangeEntry): number {
  let i = at;
  out[i++] = e.mediaRef;
  out[i++] = e.md5;
  out[i++] = e.sha1;
  out[i++] = e.sha256;
  out[i++] = e.pdq;
  out[i++] = e.pdqQuality;
  out[i++] = e.photoDna;
  out[i++] = e.altHashes.length > 0 ? JSON.stringify(e.altHashes) : null;
  out[i++] = e.category;
  out[i++] = flag(e.baseline);
  out[i++] = e.series;
  out[i++] = flag(e.victimIdentified);
  out[i++] = flag(e.offenderIdentified);
  out[i++] = flag(e.distributed);
  out[i++] = e.tags.length > 0 ? JSON.stringify(e.tags) : null;
  out[i++] = e.mediaType;
  out[i++] = e.fileName;
  out[i++] = e.label;
  return i;
}

function flag(v: boolean | null): 0 | 1 | null {
  return v === null ? null : v ? 1 : 0;
}

/** The columns `fromItemRow` reads. */
export type ItemFields = Omit<HashSetItemsTable, 'id' | 'set_id' | 'item_key' | 'created_at'>;

const NONE: readonly never[] = Object.freeze([]);

export function fromItemRow(r: ItemFields): ExchangeEntry {
  const b = isSet;
  return {
    mediaRef: r.media_ref,
    md5: r.md5,
    sha1: r.sha1,
    sha256: r.sha256,
    pdq: r.pdq,
    pdqQuality: r.pdq_quality === null ? null : Number(r.pdq_quality),
    photoDna: r.photodna,
    altHashes: r.alt_hashes === null ? NONE : (JSON.parse(r.alt_hashes) as Array<{ name: string; value: string }>),
    category: r.category === null ? null : Number(r.category),
    baseline: b(r.baseline),
    series: r.series,
    victimIdentified: b(r.victim_identified),
    offenderIdentified: b(r.offender_identified),
    distributed: b(r.distributed),
    tags: r.tags === null ? NONE : (JSON.parse(r.tags) as string[]),
    mediaType: r.media_type,
    fileName: r.file_name,
    label: r.label,
  };
}

function isSet(v: number | null): boolean | null {
  return v === null ? null : Number(v) === 1;
}
