import { InvalidError } from './errors.js';

/**
 * 256-bit hashes (PDQ and any other 256-bit binary code) as 32-byte Uint8Arrays.
 *
 * Byte order is big-endian, exactly as the hash is printed: byte 0 holds the first two hex digits. For PDQ this means
 * hash bit k (k = 16 * row + column of the 16x16 DCT) is bit (k & 7) of byte 31 - (k >> 3).
 *
 * Pure functions, no I/O. The distance functions read 32-bit words through DataView-free arithmetic on the bytes, so
 * they allocate nothing and work on any byte offset (hashes packed 32 bytes apart in one large buffer).
 */

export const HASH256_BYTES = 32;
export const HASH256_BITS = 256;
export const HASH256_HEX_LENGTH = 64;

export type Hash256 = Uint8Array;

const HEX_DIGITS = '0123456789abcdef';
const BYTE_TO_HEX: readonly string[] = Array.from({ length: 256 }, (_, b) => HEX_DIGITS[b >> 4] + HEX_DIGITS[b & 15]);

/** Value of one hex digit char code, or -1. */
function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  if (code >= 97 && code <= 102) return code - 87; // a-f
  if (code >= 65 && code <= 70) return code - 55; // A-F
  return -1;
}

/** True when `text` is exactly 64 hex digits (either case). */
export function isHash256Hex(text: string): boolean {
  if (typeof text !== 'string' || text.length !== HASH256_HEX_LENGTH) return false;
  for (let i = 0; i < HASH256_HEX_LENGTH; i++) if (hexValue(text.charCodeAt(i)) < 0) return false;
  return true;
}

/**
 * Parses 64 hex digits (either case) into a new 32-byte hash. Throws InvalidError naming the problem otherwise.
 * `into`/`offset` write the bytes into an existing buffer instead (returns that buffer).
 */
export function parseHash256(text: string, into?: Uint8Array, offset = 0): Hash256 {
  if (typeof text !== 'string') throw new InvalidError('a 256-bit hash must be a string of 64 hex digits');
  if (text.length !== HASH256_HEX_LENGTH) {
    throw new InvalidError(`a 256-bit hash must be 64 hex digits, got ${text.length} characters`, { length: text.length });
  }
  const out = into ?? new Uint8Array(HASH256_BYTES);
  if (into) checkOffset(into, offset);
  for (let i = 0; i < HASH256_BYTES; i++) {
    const hi = hexValue(text.charCodeAt(2 * i));
    const lo = hexValue(text.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) {
      const position = hi < 0 ? 2 * i : 2 * i + 1;
      throw new InvalidError(`a 256-bit hash must be 64 hex digits: invalid character ${JSON.stringify(text[position])} at position ${position}`, {
        position,
      });
    }
    out[offset + i] = (hi << 4) | lo;
  }
  return out;
}

/** Lowercase hex of the 32 bytes at `offset` (64 digits). */
export function formatHash256(hash: Uint8Array, offset = 0): string {
  checkOffset(hash, offset);
  let text = '';
  for (let i = 0; i < HASH256_BYTES; i++) text += BYTE_TO_HEX[hash[offset + i]];
  return text;
}

/** Population count of a 32-bit integer (SWAR). */
export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/**
 * Hamming distance between two 256-bit hashes, each 32 bytes from its offset (default 0). Allocation-free: XORs eight
 * 32-bit words assembled from the bytes and counts their bits.
 */
export function hammingDistance256(a: Uint8Array, b: Uint8Array, aOffset = 0, bOffset = 0): number {
  let distance = 0;
  for (let i = 0; i < HASH256_BYTES; i += 4) {
    const p = aOffset + i;
    const q = bOffset + i;
    const x = ((a[p] << 24) | (a[p + 1] << 16) | (a[p + 2] << 8) | a[p + 3]) ^ ((b[q] << 24) | (b[q + 1] << 16) | (b[q + 2] << 8) | b[q + 3]);
    distance += popcount32(x);
  }
  return distance;
}

/**
 * Hamming distance over 32-bit word views (Uint32Array, 8 words per hash): the fastest form for packed arrays whose
 * byte offset is a multiple of 4. Word byte order does not matter for a distance. Offsets are in words.
 */
export function hammingDistance256Words(a: Uint32Array, b: Uint32Array, aWordOffset = 0, bWordOffset = 0): number {
  return (
    popcount32(a[aWordOffset] ^ b[bWordOffset]) +
    popcount32(a[aWordOffset + 1] ^ b[bWordOffset + 1]) +
    popcount32(a[aWordOffset + 2] ^ b[bWordOffset + 2]) +
    popcount32(a[aWordOffset + 3] ^ b[bWordOffset + 3]) +
    popcount32(a[aWordOffset + 4] ^ b[bWordOffset + 4]) +
    popcount32(a[aWordOffset + 5] ^ b[bWordOffset + 5]) +
    popcount32(a[aWordOffset + 6] ^ b[bWordOffset + 6]) +
    popcount32(a[aWordOffset + 7] ^ b[bWordOffset + 7])
  );
}

/** Number of set bits of a hash. */
export function bitCount256(hash: Uint8Array, offset = 0): number {
  let count = 0;
  for (let i = 0; i < HASH256_BYTES; i += 4) {
    const p = offset + i;
    count += popcount32((hash[p] << 24) | (hash[p + 1] << 16) | (hash[p + 2] << 8) | hash[p + 3]);
  }
  return count;
}

/** True when every bit is zero (PDQ's answer for images too small to hash). */
export function isZeroHash256(hash: Uint8Array, offset = 0): boolean {
  for (let i = 0; i < HASH256_BYTES; i++) if (hash[offset + i] !== 0) return false;
  return true;
}

export function equalsHash256(a: Uint8Array, b: Uint8Array, aOffset = 0, bOffset = 0): boolean {
  for (let i = 0; i < HASH256_BYTES; i++) if (a[aOffset + i] !== b[bOffset + i]) return false;
  return true;
}

/** Value of hash bit k (0 = least significant bit of the last byte, PDQ's bit numbering). */
export function getBit256(hash: Uint8Array, k: number, offset = 0): 0 | 1 {
  return ((hash[offset + 31 - (k >> 3)] >> (k & 7)) & 1) as 0 | 1;
}

/** Sets (value 1) or clears (value 0) hash bit k in place. */
export function setBit256(hash: Uint8Array, k: number, value: 0 | 1 | boolean, offset = 0): void {
  const index = offset + 31 - (k >> 3);
  const mask = 1 << (k & 7);
  if (value) hash[index] |= mask;
  else hash[index] &= ~mask;
}

// ---- packed storage: hash i lives at bytes [32 i, 32 i + 32) -------------------------------------------------------

/** A zeroed buffer for `count` packed hashes. */
export function allocatePacked256(count: number): Uint8Array {
  if (!Number.isInteger(count) || count < 0) throw new InvalidError(`hash count must be a non-negative integer, got ${count}`);
  return new Uint8Array(count * HASH256_BYTES);
}

/** Number of hashes a packed buffer holds (its length must be a multiple of 32). */
export function packedCount256(packed: Uint8Array): number {
  if (packed.length % HASH256_BYTES !== 0) throw new InvalidError(`packed hash buffer length ${packed.length} is not a multiple of 32`);
  return packed.length / HASH256_BYTES;
}

/** Copies hash `index` of a packed buffer into `into` (a new 32-byte array by default). */
export function readPacked256(packed: Uint8Array, index: number, into?: Uint8Array): Hash256 {
  const offset = index * HASH256_BYTES;
  checkOffset(packed, offset);
  const out = into ?? new Uint8Array(HASH256_BYTES);
  if (out.length < HASH256_BYTES) throw new InvalidError('destination for a 256-bit hash must hold 32 bytes');
  out.set(packed.subarray(offset, offset + HASH256_BYTES));
  return out;
}

/** A view (no copy) of hash `index` in a packed buffer. */
export function viewPacked256(packed: Uint8Array, index: number): Hash256 {
  const offset = index * HASH256_BYTES;
  checkOffset(packed, offset);
  return packed.subarray(offset, offset + HASH256_BYTES);
}

/** Writes a 32-byte hash as entry `index` of a packed buffer. */
export function writePacked256(packed: Uint8Array, index: number, hash: Uint8Array): void {
  if (hash.length !== HASH256_BYTES) throw new InvalidError(`a 256-bit hash has 32 bytes, got ${hash.length}`);
  const offset = index * HASH256_BYTES;
  checkOffset(packed, offset);
  packed.set(hash, offset);
}

/** Distance between a query hash and entry `index` of a packed buffer. */
export function packedDistance256(query: Uint8Array, packed: Uint8Array, index: number): number {
  return hammingDistance256(query, packed, 0, index * HASH256_BYTES);
}

function checkOffset(buffer: Uint8Array, offset: number): void {
  if (!Number.isInteger(offset) || offset < 0 || offset + HASH256_BYTES > buffer.length) {
    throw new InvalidError(`no 256-bit hash at byte offset ${offset} of a ${buffer.length}-byte buffer`);
  }
}
