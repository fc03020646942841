import { InvalidError } from '../core/errors.js';
import { HASH256_BYTES } from '../core/hash256.js';

/**
 * Bit tables and word access shared by the 256-bit indexes. Everything here is immutable after module load (lookup
 * tables, not state).
 *
 * Word layout: a 256-bit hash is held as eight 32-bit words, word w = bytes 4w..4w+3 read little-endian
 * (`b0 | b1 << 8 | b2 << 16 | b3 << 24`). The distance does not depend on the layout; the multi-index slices do, and
 * they only need to be consistent between stored hashes and queries.
 */

export const WORDS_PER_HASH = 8;

/** Population count of a 32-bit integer (SWAR). */
export function pc32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** POP16[v] = number of set bits of a 16-bit value. */
export const POP16: Uint8Array = (() => {
  const table = new Uint8Array(65536);
  for (let v = 1; v < 65536; v++) table[v] = table[v >> 1] + (v & 1);
  return table;
})();

/**
 * Every 16-bit mask ordered by weight (number of set bits), then by value. The masks of weight <= t are the prefix
 * `MASKS_BY_WEIGHT[0 .. MASK_COUNT_UPTO[t])`.
 */
export const MASKS_BY_WEIGHT: Uint16Array = (() => {
  const masks = new Uint16Array(65536);
  let at = 0;
  for (let w = 0; w <= 16; w++) for (let v = 0; v < 65536; v++) if (POP16[v] === w) masks[at++] = v;
  return masks;
})();

/** MASK_COUNT_UPTO[t] = number of 16-bit masks of weight <= t (t = 0..16). */
export const MASK_COUNT_UPTO: Uint32Array = (() => {
  const counts = new Uint32Array(17);
  let total = 0;
  for (let w = 0; w <= 16; w++) {
    let c = 0;
    for (let v = 0; v < 65536; v++) if (POP16[v] === w) c++;
    total += c;
    counts[w] = total;
  }
  return counts;
})();

/** Reads the 32 hash bytes at `offset` of `bytes` into eight words at `wordOffset` of `into`. */
export function bytesToWords(bytes: Uint8Array, offset: number, into: Uint32Array, wordOffset: number): void {
  for (let w = 0; w < WORDS_PER_HASH; w++) {
    const p = offset + 4 * w;
    into[wordOffset + w] = (bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16) | (bytes[p + 3] << 24)) >>> 0;
  }
}

/** Writes eight words back as 32 bytes (the inverse of bytesToWords). */
export function wordsToBytes(words: Uint32Array, wordOffset: number, into: Uint8Array, offset: number): void {
  for (let w = 0; w < WORDS_PER_HASH; w++) {
    const v = words[wordOffset + w];
    const p = offset + 4 * w;
    into[p] = v & 0xff;
    into[p + 1] = (v >>> 8) & 0xff;
    into[p + 2] = (v >>> 16) & 0xff;
    into[p + 3] = v >>> 24;
  }
}

/** Throws unless `bytes` holds a full 256-bit hash at `offset`. */
export function checkHashAt(bytes: Uint8Array, offset: number, what = 'hash'): void {
  if (!(bytes instanceof Uint8Array)) throw new InvalidError(`${what} must be a Uint8Array`);
  if (!Number.isInteger(offset) || offset < 0 || offset + HASH256_BYTES > bytes.length) {
    throw new InvalidError(`${what}: no 256-bit hash at byte offset ${offset} of a ${bytes.length}-byte buffer`);
  }
}

/** Throws unless `radius` is an integer 0..256. */
export function checkRadius(radius: number): void {
  if (!Number.isInteger(radius) || radius < 0 || radius > 256) throw new InvalidError(`radius must be an integer 0..256, got ${radius}`);
}

export const MAX_ID = 0xffffffff;

/** Throws unless `id` is an integer 0..2^32-1 (the index stores ids as uint32). */
export function checkId(id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > MAX_ID) throw new InvalidError(`index ids must be integers 0..4294967295, got ${id}`);
}
