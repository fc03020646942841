import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { formatHash256 } from '../core/hash256.js';
import type { ExchangeEntry, ExchangeFormat, ExchangeRecord } from './entry.js';
import { ICSE_HEADER, icseRow, readIcseCsv } from './icse-csv.js';
import { pdqCsvRow, PDQ_CSV_HEADER, readPdqList } from './pdq-list.js';
import { readVics, VICS_CLOSE, VICS_OPEN, vicsMediaJson, type VicsHeader } from './vics.js';

/** The exchange formats behind one reader and one writer: VICS JSON, ICSE semicolon exports, PDQ lists. */

/** A format's name for people, in error messages. */
export function describeFormat(format: ExchangeFormat): string {
  return format === 'vics' ? 'VICS JSON file' : format === 'icse' ? 'ICSE hash export' : 'PDQ list';
}

/** The records of a file in any supported format. */
export async function* readRecords(format: ExchangeFormat, input: Readable, onVicsHeader: (h: VicsHeader) => void): AsyncGenerator<ExchangeRecord> {
  if (format === 'vics') {
    for await (const event of readVics(input)) {
      if (event.type === 'header') onVicsHeader(event.header);
      else yield event;
    }
    return;
  }
  if (format === 'icse') {
    yield* readIcseCsv(input);
    return;
  }
  for await (const r of readPdqList(input)) {
    if (!r.ok) {
      yield r;
      continue;
    }
    const e = r.entry;
    yield {
      ok: true,
      line: e.line,
      entry: { mediaRef: null, md5: null, sha1: null, sha256: null, pdq: formatHash256(e.hash), pdqQuality: e.quality, photoDna: null, altHashes: [], category: null, baseline: null, series: null, victimIdentified: null, offenderIdentified: null, distributed: null, tags: [], mediaType: null, fileName: null, label: e.label },
    };
  }
}

/** Writes pages of entries in a format, honouring back-pressure; returns how many entries were written. */
export async function writeEntries(format: ExchangeFormat, pages: AsyncIterable<readonly ExchangeEntry[]>, out: Writable): Promise<number> {
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  let count = 0;
  let first = true;
  await write(format === 'vics' ? VICS_OPEN : format === 'icse' ? ICSE_HEADER : PDQ_CSV_HEADER);
  for await (const page of pages) {
    const parts: string[] = [];
    for (const e of page) {
      if (format === 'vics') {
        parts.push(first ? vicsMediaJson(e, count + 1) : `,\n${vicsMediaJson(e, count + 1)}`);
        first = false;
      } else if (format === 'icse') parts.push(icseRow(e));
      else if (e.pdq !== null) parts.push(pdqCsvRow(e.pdq, e.pdqQuality, e.label ?? e.series));
      else continue;
      count++;
    }
    if (parts.length > 0) await write(parts.join(''));
  }
  if (format === 'vics') await write(VICS_CLOSE);
  return count;
}
