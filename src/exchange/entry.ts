import crypto from 'node:crypto';

/**
 * One entry of an exchanged hash set, whatever format it came in: its hashes (hex, lower case) and what the
 * exporting agency said about the material. Ariadne matches on MD5, SHA-1, SHA-256 and PDQ; PhotoDNA and other
 * alternative hashes are kept and exported again but never computed or matched here.
 */
export interface ExchangeEntry {
  /** The entry's id in the file it came from (VICS MediaID). */
  readonly mediaRef: string | null;
  readonly md5: string | null;
  readonly sha1: string | null;
  readonly sha256: string | null;
  readonly pdq: string | null;
  readonly pdqQuality: number | null;
  /** PhotoDNA, base64 of its bytes. */
  readonly photoDna: string | null;
  readonly altHashes: ReadonlyArray<{ readonly name: string; readonly value: string }>;
  /** VICS category 0-5 (0 uncategorised, 1 CSAM, 2 exploitative, 3 CGI/animation, 4 comparison, 5 non-pertinent). */
  readonly category: number | null;
  readonly baseline: boolean | null;
  readonly series: string | null;
  readonly victimIdentified: boolean | null;
  readonly offenderIdentified: boolean | null;
  readonly distributed: boolean | null;
  readonly tags: readonly string[];
  readonly mediaType: string | null;
  readonly fileName: string | null;
  /** Free label (PDQ lists). */
  readonly label: string | null;
}

/** A record that could not be read; `line` is the line the record ended on (0 when not known). */
export interface ExchangeProblem {
  readonly line: number;
  readonly message: string;
}

export type ExchangeRecord = { readonly ok: true; readonly entry: ExchangeEntry; readonly line: number } | { readonly ok: false; readonly problem: ExchangeProblem };

export const EXCHANGE_FORMATS = ['vics', 'icse', 'pdq'] as const;
export type ExchangeFormat = (typeof EXCHANGE_FORMATS)[number];

export const MAX_TEXT = 1000;
export const MAX_TAGS = 64;
export const MAX_ALT_HASHES = 32;

export function emptyEntry(): { -readonly [K in keyof ExchangeEntry]: ExchangeEntry[K] } {
  return {
    mediaRef: null,
    md5: null,
    sha1: null,
    sha256: null,
    pdq: null,
    pdqQuality: null,
    photoDna: null,
    altHashes: [],
    category: null,
    baseline: null,
    series: null,
    victimIdentified: null,
    offenderIdentified: null,
    distributed: null,
    tags: [],
    mediaType: null,
    fileName: null,
    label: null,
  };
}

/** Thrown by field readers; the record is reported with the message and skipped. */
export class FieldError extends Error {}

const HEX = /^[0-9a-fA-F]+$/;

export function readHex(value: unknown, field: string, length: number): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') throw new FieldError(`${field} must be a string of ${length} hex digits`);
  const text = value.trim();
  if (text === '') return null;
  if (text.length !== length || !HEX.test(text)) throw new FieldError(`${field} must be ${length} hex digits, got "${text.slice(0, 80)}"`);
  return text.toLowerCase();
}

/** true/false, "true"/"false" (any case), 1/0, "1"/"0", "yes"/"no". */
export function readBool(value: unknown, field: string): boolean | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === 0) return value === 1;
  if (typeof value === 'string') {
    const t = value.trim().toLowerCase();
    if (t === '') return null;
    if (t === 'true' || t === '1' || t === 'yes' || t === 'y') return true;
    if (t === 'false' || t === '0' || t === 'no' || t === 'n') return false;
  }
  throw new FieldError(`${field} must be true or false`);
}

export function readCategory(value: unknown, field = 'Category'): number | null {
  if (value === null || value === undefined) return null;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d{1,2}\s*$/.test(value) ? Number(value) : typeof value === 'string' && value.trim() === '' ? null : NaN;
  if (n === null) return null;
  if (!Number.isInteger(n) || n < 0 || n > 5) throw new FieldError(`${field} must be a VICS category 0-5`);
  return n;
}

export function readText(value: unknown, field: string): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') throw new FieldError(`${field} must be text`);
  const t = value.trim();
  if (t === '') return null;
  if (t.length > MAX_TEXT) throw new FieldError(`${field} longer than ${MAX_TEXT} characters`);
  return t;
}

/** PhotoDNA as exporters write it: base64 of its 144 bytes, or the same bytes in hex. Returned as base64. */
export function readPhotoDna(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') throw new FieldError('PhotoDNA must be base64 or hex text');
  const t = value.trim();
  if (t === '') return null;
  if (t.length > 4096) throw new FieldError('PhotoDNA longer than 4096 characters');
  if (t.length % 2 === 0 && HEX.test(t) && t.length >= 64) return Buffer.from(t, 'hex').toString('base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(t) || t.length % 4 !== 0) throw new FieldError('PhotoDNA is neither base64 nor hex');
  return t;
}

export function hasHash(e: ExchangeEntry): boolean {
  return e.md5 !== null || e.sha1 !== null || e.sha256 !== null || e.pdq !== null;
}

/**
 * The entry's identity within its set: its hashes (two records with the same hashes are one entry), as base64url of
 * the first 16 bytes of SHA-256 of `md5:sha1:sha256:pdq`, which keeps the unique index small.
 */
export function entryKey(e: ExchangeEntry): string {
  return sha256(`${e.md5 ?? ''}:${e.sha1 ?? ''}:${e.sha256 ?? ''}:${e.pdq ?? ''}`).toString('base64url', 0, 16);
}

/** One-shot SHA-256 (`crypto.hash`, Node >= 20.12, skips a Hash object per call; createHash before). */
const sha256: (text: string) => Buffer =
  typeof crypto.hash === 'function' ? (text) => crypto.hash('sha256', text, 'buffer') : (text) => crypto.createHash('sha256').update(text).digest();
