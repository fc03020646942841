import type { ExchangeEntry } from './entry.js';

/** VICS 2.0 `#Media` JSON, written as text (the reader is vics.ts). */

const VICS_CONTEXT = 'http://github.com/ICMEC/ProjectVic/DataModels/2.0.xml/CUSTOM/$metadata#Media';

/** The opening of a VICS 2.0 `#Media` document; then `vicsMediaJson` per entry joined by ',', then VICS_CLOSE. */
export const VICS_OPEN = `{"odata.metadata":${JSON.stringify(VICS_CONTEXT)},"value":[`;
export const VICS_CLOSE = ']}\n';

/**
 * One media record as VICS 2.0 JSON (fields that are unknown are left out). Written as text directly (exports write
 * millions): the same text as JSON.stringify of the record object with its keys in this order, every string escaped.
 */
export function vicsMediaJson(e: ExchangeEntry, fallbackId: number): string {
  const ref = e.mediaRef;
  let s = `{"MediaID":${ref === null ? String(fallbackId) : MEDIA_NUMBER.test(ref) ? String(Number(ref)) : JSON.stringify(ref)}`;
  if (e.md5 !== null) s += `,"MD5":${JSON.stringify(e.md5.toUpperCase())}`;
  if (e.sha1 !== null) s += `,"SHA1":${JSON.stringify(e.sha1.toUpperCase())}`;
  if (e.sha256 !== null) s += `,"SHA256":${JSON.stringify(e.sha256.toUpperCase())}`;
  if (e.photoDna !== null) s += `,"PhotoDNA":${JSON.stringify(e.photoDna)}`;
  if (e.category !== null) s += `,"Category":${JSON.stringify(e.category)}`;
  if (e.victimIdentified !== null) s += `,"VictimIdentified":${e.victimIdentified ? 'true' : 'false'}`;
  if (e.offenderIdentified !== null) s += `,"OffenderIdentified":${e.offenderIdentified ? 'true' : 'false'}`;
  if (e.distributed !== null) s += `,"IsDistributed":${e.distributed ? 'true' : 'false'}`;
  if (e.baseline !== null) s += `,"Baseline":${e.baseline ? 'true' : 'false'}`;
  if (e.series !== null) s += `,"Series":${JSON.stringify(e.series)}`;
  if (e.tags.length > 0) s += `,"Tags":${JSON.stringify(e.tags)}`;
  if (e.mediaType !== null) s += `,"MediaType":${JSON.stringify(e.mediaType)}`;
  if (e.fileName !== null) s += `,"MediaFiles":[{"FileName":${JSON.stringify(e.fileName)}}]`;
  if (e.pdq !== null || e.altHashes.length > 0) {
    const alt = [...(e.pdq !== null ? [{ HashName: 'PDQ', HashValue: e.pdq }] : []), ...e.altHashes.map((h) => ({ HashName: h.name, HashValue: h.value }))];
    s += `,"AlternativeHashes":${JSON.stringify(alt)}`;
  }
  return `${s}}`;
}

/** A media reference written as a JSON number (as it was read). */
const MEDIA_NUMBER = /^\d{1,15}$/;
