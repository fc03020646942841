import zlib from 'node:zlib';
import iconv from 'iconv-lite';
import type { ArchiveProblemCode, NameEncoding } from './archive-entry.js';
import { asBuffer } from '../core/bytes.js';

/**
 * Entry names: decoding stored bytes to text (UTF-8, ZIP's CP437 default, the Info-ZIP Unicode Path field) and
 * normalising that text to a safe relative path, or refusing it.
 */

export interface DecodedName {
  readonly name: string;
  readonly encoding: NameEncoding;
  /** Present when the text does not carry the bytes faithfully as UTF-8 (cp437, lossy). */
  readonly rawHex?: string;
}

const MAX_PATH_CHARS = 4096;
const MAX_SEGMENT_CHARS = 1024;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const lossyUtf8 = new TextDecoder('utf-8', { fatal: false });

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** Control characters (C0, DEL, C1) become U+FFFD: names are shown to people and written to logs. */
function replaceControls(name: string): { name: string; replaced: boolean } {
  const out = name.replace(CONTROL, '\ufffd');
  return { name: out, replaced: out !== name };
}

/** Decodes name bytes that should be UTF-8: invalid sequences become U+FFFD and the bytes are kept in hex. */
export function decodeUtf8Name(raw: Uint8Array): DecodedName {
  let name: string;
  let lossy = false;
  try {
    name = strictUtf8.decode(raw);
  } catch {
    name = lossyUtf8.decode(raw);
    lossy = true;
  }
  const cleaned = replaceControls(name);
  if (lossy || cleaned.replaced) return { name: cleaned.name, encoding: 'lossy', rawHex: hex(raw) };
  return { name: cleaned.name, encoding: 'utf-8' };
}

/**
 * A ZIP entry's name: the Info-ZIP Unicode Path extra field when its CRC matches; UTF-8 when general-purpose bit 11
 * says so; otherwise ASCII as is, multi-byte UTF-8 as UTF-8 (many tools write UTF-8 without setting the flag, and
 * such byte sequences are practically never CP437 text), and anything else as CP437.
 */
export function decodeZipName(raw: Buffer, generalPurposeFlags: number, extraFields: readonly { id: number; data: Buffer }[]): DecodedName {
  const unicode = extraFields.find((field) => field.id === 0x7075);
  if (unicode && unicode.data.length >= 5 && unicode.data[0] === 1 && unicode.data.readUInt32LE(1) === crc32(raw)) {
    const decoded = decodeUtf8Name(unicode.data.subarray(5));
    if (decoded.encoding === 'utf-8') return { name: decoded.name, encoding: 'utf-8-extra-field', rawHex: isAscii(raw) ? undefined : hex(raw) };
  }
  if ((generalPurposeFlags & 0x800) !== 0 || isAscii(raw)) return decodeUtf8Name(raw);
  try {
    const name = strictUtf8.decode(raw);
    const cleaned = replaceControls(name);
    if (!cleaned.replaced) return { name, encoding: 'utf-8' };
  } catch {
    // not UTF-8: CP437 below
  }
  const cleaned = replaceControls(iconv.decode(raw, 'cp437'));
  return { name: cleaned.name, encoding: cleaned.replaced ? 'lossy' : 'cp437', rawHex: hex(raw) };
}

export type NormalisedPath = { readonly ok: true; readonly path: string } | { readonly ok: false; readonly code: ArchiveProblemCode; readonly reason: string };

/**
 * A safe relative path from a stored name: backslashes count as separators, empty and '.' segments drop out, and
 * absolute paths (/x, //host, C:), '..' segments anywhere, and empty or over-long names are refused. The result is
 * NFC-normalised and '/'-separated.
 */
export function normaliseEntryPath(name: string): NormalisedPath {
  const slashed = name.replace(/\\/g, '/');
  if (slashed.startsWith('/')) return { ok: false, code: 'absolute_path', reason: 'absolute path' };
  if (/^[A-Za-z]:/.test(slashed)) return { ok: false, code: 'absolute_path', reason: 'absolute path (drive letter)' };
  const segments = slashed.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.some((segment) => segment === '..')) return { ok: false, code: 'path_traversal', reason: "path with a '..' segment" };
  if (segments.length === 0) return { ok: false, code: 'invalid_name', reason: 'empty name' };
  const path = segments.map((segment) => segment.normalize('NFC')).join('/');
  if (path.length > MAX_PATH_CHARS || segments.some((segment) => segment.length > MAX_SEGMENT_CHARS)) {
    return { ok: false, code: 'invalid_name', reason: `name longer than ${MAX_PATH_CHARS} characters (or a segment over ${MAX_SEGMENT_CHARS})` };
  }
  return { ok: true, path };
}

/** A name cut to a length fit for a problem record. */
export function displayName(name: string): string {
  return name.length > 512 ? `${name.slice(0, 512)}…` : name;
}

export function hex(bytes: Uint8Array): string {
  return asBuffer(bytes).toString('hex');
}

function isAscii(bytes: Uint8Array): boolean {
  for (const byte of bytes) if (byte >= 0x80) return false;
  return true;
}

const CRC_TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** CRC-32 (IEEE, as ZIP and gzip use it), continuing from `seed`; zlib's when Node has it (20.15+), else in JS. */
export function crc32(bytes: Uint8Array, seed = 0): number {
  if (nativeCrc32) return nativeCrc32(bytes, seed);
  let crc = ~seed >>> 0;
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}
