import type { HashSetItemsTable } from '../db/schema.js';
import { entryKey, type ExchangeEntry } from '../exchange/entry.js';

/** Rows of `hash_set_items` (what a set's entry says beyond its hashes) to and from exchange entries. */

export function toItemRow(setId: number, e: ExchangeEntry, now: number): Omit<HashSetItemsTable, 'id'> {
  const b = (v: boolean | null) => (v === null ? null : v ? (1 as const) : (0 as const));
  return {
    set_id: setId,
    item_key: entryKey(e),
    media_ref: e.mediaRef,
    md5: e.md5,
    sha1: e.sha1,
    sha256: e.sha256,
    pdq: e.pdq,
    pdq_quality: e.pdqQuality,
    photodna: e.photoDna,
    alt_hashes: e.altHashes.length > 0 ? JSON.stringify(e.altHashes) : null,
    category: e.category,
    baseline: b(e.baseline),
    series: e.series,
    victim_identified: b(e.victimIdentified),
    offender_identified: b(e.offenderIdentified),
    distributed: b(e.distributed),
    tags: e.tags.length > 0 ? JSON.stringify(e.tags) : null,
    media_type: e.mediaType,
    file_name: e.fileName,
    label: e.label,
    created_at: now,
  };
}

export function fromItemRow(r: Omit<HashSetItemsTable, 'id'>): ExchangeEntry {
  const b = (v: number | null) => (v === null ? null : Number(v) === 1);
  return {
    mediaRef: r.media_ref,
    md5: r.md5,
    sha1: r.sha1,
    sha256: r.sha256,
    pdq: r.pdq,
    pdqQuality: r.pdq_quality === null ? null : Number(r.pdq_quality),
    photoDna: r.photodna,
    altHashes: r.alt_hashes === null ? [] : (JSON.parse(r.alt_hashes) as Array<{ name: string; value: string }>),
    category: r.category === null ? null : Number(r.category),
    baseline: b(r.baseline),
    series: r.series,
    victimIdentified: b(r.victim_identified),
    offenderIdentified: b(r.offender_identified),
    distributed: b(r.distributed),
    tags: r.tags === null ? [] : (JSON.parse(r.tags) as string[]),
    mediaType: r.media_type,
    fileName: r.file_name,
    label: r.label,
  };
}
