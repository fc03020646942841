import type { Readable } from 'node:stream';
import { splitDelimited } from './delimited.js';
import { InvalidError } from '../core/errors.js';
import { readLines } from './lines.js';
import { emptyEntry, FieldError, hasHash, MAX_TAGS, readBool, readCategory, readHex, readPhotoDna, readText, type ExchangeEntry, type ExchangeRecord } from './entry.js';

/**
 * ICSE-style hash exports: semicolon-separated text with a header row naming the columns
 * (`MD5;SHA1;SHA256;PDQ;PhotoDNA;Category;Series name;Victim identified;Offender identified;Distributed;Tags;
 * File name;Media ID;Media Type;Baseline` when Ariadne writes it). Columns are found by name in any case and order;
 * unknown columns are ignored; fields may be double-quoted. Malformed rows are reported with their line number and
 * the rest is imported. A file whose first line is not such a header is refused before anything is read further.
 */
export const ICSE_COLUMNS = ['MD5', 'SHA1', 'SHA256', 'PDQ', 'PhotoDNA', 'Category', 'Series name', 'Victim identified', 'Offender identified', 'Distributed', 'Tags', 'File name', 'Media ID', 'Media Type', 'Baseline'] as const;

type Column = (typeof ICSE_COLUMNS)[number];
const BY_NAME = new Map<string, Column>(ICSE_COLUMNS.map((c) => [norm(c), c]));
// Spellings other exporters use.
BY_NAME.set('series', 'Series name');
BY_NAME.set('seriesname', 'Series name');
BY_NAME.set('mediatype', 'Media Type');
BY_NAME.set('type', 'Media Type');
BY_NAME.set('isdistributed', 'Distributed');
BY_NAME.set('filename', 'File name');
BY_NAME.set('mediaid', 'Media ID');
BY_NAME.set('id', 'Media ID');

const MAX_LINE = 64 * 1024;

function norm(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

export async function* readIcseCsv(input: Readable, what = 'the ICSE file'): AsyncGenerator<ExchangeRecord> {
  let columns: Array<Column | null> | null = null;
  for await (const { line: lineNo, text, tooLong } of readLines(input, MAX_LINE)) {
    if (!tooLong && text.trim() === '') continue;
    if (columns === null) {
      if (tooLong) throw new InvalidError(`${what}: line ${lineNo}: not an ICSE hash export (no header row)`);
      const header = splitDelimited(text, ';');
      const found = header?.map((h) => BY_NAME.get(norm(h)) ?? null) ?? [];
      if (!found.some((c) => c === 'MD5' || c === 'SHA1' || c === 'SHA256' || c === 'PDQ')) {
        throw new InvalidError(`${what}: line ${lineNo}: not an ICSE hash export: the first line must be a semicolon-separated header naming MD5, SHA1, SHA256 or PDQ`);
      }
      columns = found;
      continue;
    }
    if (tooLong) {
      yield { ok: false, problem: { line: lineNo, message: `line longer than ${MAX_LINE} characters` } };
      continue;
    }
    const fields = splitDelimited(text, ';');
    if (fields === null) {
      yield { ok: false, problem: { line: lineNo, message: 'unbalanced quotes' } };
      continue;
    }
    if (fields.length !== columns.length) {
      yield { ok: false, problem: { line: lineNo, message: `expected ${columns.length} fields, got ${fields.length}` } };
      continue;
    }
    try {
      yield { ok: true, entry: mapRow(columns, fields), line: lineNo };
    } catch (error) {
      if (!(error instanceof FieldError)) throw error;
      yield { ok: false, problem: { line: lineNo, message: error.message } };
    }
  }
  if (columns === null) throw new InvalidError(`${what}: empty (no header row)`);
}

function mapRow(columns: ReadonlyArray<Column | null>, fields: readonly string[]): ExchangeEntry {
  const e = emptyEntry();
  for (let i = 0; i < columns.length; i++) {
    const v = fields[i];
    switch (columns[i]) {
      case 'MD5':
        e.md5 = readHex(v, 'MD5', 32);
        break;
      case 'SHA1':
        e.sha1 = readHex(v, 'SHA1', 40);
        break;
      case 'SHA256':
        e.sha256 = readHex(v, 'SHA256', 64);
        break;
      case 'PDQ':
        e.pdq = readHex(v, 'PDQ', 64);
        break;
      case 'PhotoDNA':
        e.photoDna = readPhotoDna(v);
        break;
      case 'Category':
        e.category = readCategory(v);
        break;
      case 'Series name':
        e.series = readText(v, 'Series name');
        break;
      case 'Victim identified':
        e.victimIdentified = readBool(v, 'Victim identified');
        break;
      case 'Offender identified':
        e.offenderIdentified = readBool(v, 'Offender identified');
        break;
      case 'Distributed':
        e.distributed = readBool(v, 'Distributed');
        break;
      case 'Tags':
        e.tags = [...new Set(v.split(',').map((t) => t.trim()).filter((t) => t !== ''))].slice(0, MAX_TAGS);
        break;
      case 'File name':
        e.fileName = readText(v, 'File name');
        break;
      case 'Media ID':
        e.mediaRef = readText(v, 'Media ID');
        break;
      case 'Media Type':
        e.mediaType = readText(v, 'Media Type');
        break;
      case 'Baseline':
        e.baseline = readBool(v, 'Baseline');
        break;
      case null:
        break;
    }
  }
  if (!hasHash(e)) throw new FieldError('no MD5, SHA1, SHA256 or PDQ hash');
  return e;
}


function quote(value: string): string {
  const flat = value.replace(/[\r\n]+/g, ' ');
  return /[;"]/.test(flat) ? `"${flat.replace(/"/g, '""')}"` : flat;
}

export const ICSE_HEADER = `${ICSE_COLUMNS.join(';')}\n`;

export function icseRow(e: ExchangeEntry): string {
  const b = (v: boolean | null) => (v === null ? '' : v ? 'true' : 'false');
  const fields = [
    e.md5 ?? '',
    e.sha1 ?? '',
    e.sha256 ?? '',
    e.pdq ?? '',
    e.photoDna ?? '',
    e.category === null ? '' : String(e.category),
    quote(e.series ?? ''),
    b(e.victimIdentified),
    b(e.offenderIdentified),
    b(e.distributed),
    quote(e.tags.map((t) => t.replace(/,/g, ' ')).join(',')),
    quote(e.fileName ?? ''),
    quote(e.mediaRef ?? ''),
    quote(e.mediaType ?? ''),
    b(e.baseline),
  ];
  return `${fields.join(';')}\n`;
}
