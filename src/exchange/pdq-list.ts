import type { Readable } from 'node:stream';
import { splitDelimited } from './delimited.js';
import { isHash256Hex, parseHash256 } from '../core/hash256.js';
import { readLines } from './lines.js';

/**
 * PDQ hash lists as agencies exchange them: one 64-hex hash per line, optionally followed by `,label` (plain list),
 * or CSV with a `hash,quality,label` header. Blank lines and lines starting with `#` are ignored; a UTF-8 byte order
 * mark is accepted; hex may be upper or lower case. Malformed lines are reported with their line number and the
 * rest of the file is still read.
 */
export interface PdqListEntry {
  readonly line: number;
  readonly hash: Uint8Array;
  readonly quality: number | null;
  readonly label: string | null;
}

export interface PdqListProblem {
  readonly line: number;
  readonly message: string;
}

export type PdqListRecord = { readonly ok: true; readonly entry: PdqListEntry } | { readonly ok: false; readonly problem: PdqListProblem };

const MAX_LABEL_LENGTH = 1000;
const MAX_LINE = 4096;

/** Streams records from a list; memory stays bounded whatever the file size. */
export async function* readPdqList(input: Readable): AsyncGenerator<PdqListRecord> {
  let csv = false;
  for await (const { line: lineNo, text: raw, tooLong } of readLines(input, MAX_LINE)) {
    if (tooLong) {
      yield { ok: false, problem: { line: lineNo, message: `line longer than ${MAX_LINE} characters` } };
      continue;
    }
    const text = raw.trim();
    if (text === '' || text.startsWith('#')) continue;
    if (lineNo === 1 || (!csv && /^hash\s*,/i.test(text))) {
      const header = text.toLowerCase().split(',').map((h) => h.trim());
      if (header[0] === 'hash') {
        if (header.length !== 3 || header[1] !== 'quality' || header[2] !== 'label') {
          yield { ok: false, problem: { line: lineNo, message: `unsupported header "${text}"; expected hash,quality,label` } };
          return;
        }
        csv = true;
        continue;
      }
    }
    yield csv ? parseCsvLine(text, lineNo) : parsePlainLine(text, lineNo);
  }
}

function parsePlainLine(text: string, line: number): PdqListRecord {
  const comma = text.indexOf(',');
  const hex = (comma < 0 ? text : text.slice(0, comma)).trim();
  const label = comma < 0 ? null : text.slice(comma + 1).trim() || null;
  return entry(hex, null, label, line);
}

function parseCsvLine(text: string, line: number): PdqListRecord {
  const fields = splitDelimited(text, ',');
  if (fields === null) return { ok: false, problem: { line, message: 'unbalanced quotes' } };
  if (fields.length < 2 || fields.length > 3) return { ok: false, problem: { line, message: `expected 3 fields (hash,quality,label), got ${fields.length}` } };
  const [hex, q, label] = fields;
  let quality: number | null = null;
  if (q.trim() !== '') {
    if (!/^\d{1,3}$/.test(q.trim()) || Number(q) > 100) return { ok: false, problem: { line, message: `quality must be a whole number 0-100, got "${q}"` } };
    quality = Number(q);
  }
  return entry(hex.trim(), quality, label?.trim() || null, line);
}

function entry(hex: string, quality: number | null, label: string | null, line: number): PdqListRecord {
  if (!isHash256Hex(hex)) {
    return { ok: false, problem: { line, message: `not a PDQ hash (64 hex digits): "${hex.slice(0, 80)}"` } };
  }
  if (label !== null && label.length > MAX_LABEL_LENGTH) {
    return { ok: false, problem: { line, message: `label longer than ${MAX_LABEL_LENGTH} characters` } };
  }
  return { ok: true, entry: { line, hash: parseHash256(hex), quality, label } };
}


/** One line of a plain list: `hex` or `hex,label` (labels with newlines are flattened). */
export function formatPdqListLine(hex: string, label: string | null): string {
  return label ? `${hex},${label.replace(/[\r\n]+/g, ' ')}` : hex;
}

export const PDQ_CSV_HEADER = 'hash,quality,label\n';

/** One row of a `hash,quality,label` CSV list (the label quoted when it needs to be; line breaks flattened). */
export function pdqCsvRow(hex: string, quality: number | null, label: string | null): string {
  const flat = label === null ? '' : label.replace(/[\r\n]+/g, ' ');
  const quoted = /[",]/.test(flat) ? `"${flat.replace(/"/g, '""')}"` : flat;
  return `${hex},${quality ?? ''},${quoted}\n`;
}
