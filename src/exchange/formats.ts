import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { formatHash256 } from '../core/hash256.js';
import type { ExchangeEntry, ExchangeFormat, ExchangeProblem, ExchangeRecord } from './entry.js';
import { ICSE_HEADER, icseRow, readIcseCsv } from './icse-csv.js';
import { pdqCsvRow, PDQ_CSV_HEADER, readPdqList } from './pdq-list.js';
import { readVics, type VicsHeader } from './vics.js';
import { VICS_CLOSE, VICS_OPEN, vicsMediaJson } from './vics-write.js';

/** The exchange formats behind one reader and one writer: VICS JSON, ICSE semicolon exports, PDQ lists. */

/** A format's name for people, in error messages. */
export function describeFormat(format: ExchangeFormat): string {
  return format === 'vics' ? 'VICS JSON file' : format === 'icse' ? 'ICSE hash export' : 'PDQ list';
}

/**
 * The records of a file in any supported format, after the first `skip` (those are still read, for structure, but
 * VICS records among them are not materialised).
 */
export async function* readRecords(format: ExchangeFormat, input: Readable, onVicsHeader: (h: VicsHeader) => void, skip = 0): AsyncGenerator<ExchangeRecord> {
  let index = 0;
  if (format === 'vics') {
    for await (const event of readVics(input, undefined, { materialise: (record) => record >= skip })) {
      if (event.type === 'header') onVicsHeader(event.header);
      else if (index++ >= skip && event.type === 'record') yield event;
    }
    return;
  }
  for await (const r of format === 'icse' ? readIcseCsv(input) : pdqRecords(input)) if (index++ >= skip) yield r;
}

export interface RecordCheck {
  /** Records in the file, well-formed or not. */
  readonly records: number;
  /** Whether at least one record could be read. */
  readonly anyGood: boolean;
  /** The first record that could not be read, while none could. */
  readonly firstProblem: ExchangeProblem | null;
}

/**
 * Reads a whole file for its structure and record count, as an import's first pass does: structural errors throw
 * as when importing. Once one record has been read well, VICS records are only checked for structure, not built.
 */
export async function checkRecords(format: ExchangeFormat, input: Readable, onVicsHeader: (h: VicsHeader) => void): Promise<RecordCheck> {
  let records = 0;
  let anyGood = false;
  let firstProblem: ExchangeProblem | null = null;
  const note = (r: ExchangeRecord) => {
    records++;
    if (r.ok) anyGood = true;
    else firstProblem ??= r.problem;
  };
  if (format === 'vics') {
    for await (const event of readVics(input, undefined, { materialise: () => !anyGood })) {
      if (event.type === 'header') onVicsHeader(event.header);
      else if (event.type === 'unread') records++;
      else note(event);
    }
  } else for await (const r of format === 'icse' ? readIcseCsv(input) : pdqRecords(input)) note(r);
  return { records, anyGood, firstProblem: anyGood ? null : firstProblem };
}

async function* pdqRecords(input: Readable): AsyncGenerator<ExchangeRecord> {
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
        if (!first) parts.push(',\n');
        parts.push(vicsMediaJson(e, count + 1));
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
