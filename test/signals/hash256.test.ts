import { describe, expect, it } from 'vitest';
import { InvalidError } from '../../src/core/errors.js';
import {
  HASH256_BYTES,
  allocatePacked256,
  bitCount256,
  equalsHash256,
  formatHash256,
  getBit256,
  hammingDistance256,
  hammingDistance256Words,
  isHash256Hex,
  isZeroHash256,
  packedCount256,
  packedDistance256,
  parseHash256,
  popcount32,
  readPacked256,
  setBit256,
  viewPacked256,
  writePacked256,
} from '../../src/core/hash256.js';

const SAMPLE = 'f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22';

/** A deterministic pseudo-random hash. */
function randomHash(seed: number): Uint8Array {
  const out = new Uint8Array(32);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < 32; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function slowDistance(a: Uint8Array, b: Uint8Array): number {
  let d = 0;
  for (let i = 0; i < 32; i++) for (let bit = 0; bit < 8; bit++) d += ((a[i] ^ b[i]) >> bit) & 1;
  return d;
}

describe('hash256 hex', () => {
  it('parses and formats round trip, big-endian byte order', () => {
    const hash = parseHash256(SAMPLE);
    expect(hash).toHaveLength(HASH256_BYTES);
    expect(hash[0]).toBe(0xf8);
    expect(hash[31]).toBe(0x22);
    expect(formatHash256(hash)).toBe(SAMPLE);
  });

  it('accepts upper case and formats lower case', () => {
    expect(formatHash256(parseHash256(SAMPLE.toUpperCase()))).toBe(SAMPLE);
    expect(isHash256Hex(SAMPLE.toUpperCase())).toBe(true);
  });

  it('refuses wrong lengths and non-hex characters with InvalidError', () => {
    expect(() => parseHash256(SAMPLE.slice(1))).toThrow(InvalidError);
    expect(() => parseHash256(SAMPLE.slice(1))).toThrow(/64 hex digits, got 63/);
    expect(() => parseHash256(SAMPLE + '0')).toThrow(InvalidError);
    expect(() => parseHash256(SAMPLE.slice(0, 10) + 'g' + SAMPLE.slice(11))).toThrow(/invalid character "g" at position 10/);
    expect(() => parseHash256(' ' + SAMPLE.slice(1))).toThrow(/position 0/);
    expect(() => parseHash256(undefined as unknown as string)).toThrow(InvalidError);
    expect(isHash256Hex('xyz')).toBe(false);
    expect(isHash256Hex(SAMPLE.replace('f', 'z'))).toBe(false);
  });

  it('parses into a packed buffer at an offset', () => {
    const packed = allocatePacked256(3);
    parseHash256(SAMPLE, packed, 64);
    expect(formatHash256(packed, 64)).toBe(SAMPLE);
    expect(isZeroHash256(packed, 0)).toBe(true);
    expect(() => parseHash256(SAMPLE, packed, 80)).toThrow(InvalidError);
  });
});

describe('hash256 bits and distance', () => {
  it('popcount32 counts bits of any 32-bit value', () => {
    expect(popcount32(0)).toBe(0);
    expect(popcount32(-1)).toBe(32);
    expect(popcount32(0x80000000)).toBe(1);
    expect(popcount32(0x55555555)).toBe(16);
    for (let i = 0; i < 1000; i++) {
      const v = (Math.imul(i, 2654435761) ^ (i << 7)) >>> 0;
      expect(popcount32(v)).toBe(v.toString(2).split('').filter((c) => c === '1').length);
    }
  });

  it('Hamming distance agrees with a bit-by-bit count, at any offsets', () => {
    const packed = allocatePacked256(50);
    for (let i = 0; i < 50; i++) writePacked256(packed, i, randomHash(i + 1));
    for (let i = 0; i < 50; i++) {
      for (let j = 0; j < 50; j += 7) {
        const a = readPacked256(packed, i);
        const b = readPacked256(packed, j);
        const expected = slowDistance(a, b);
        expect(hammingDistance256(a, b)).toBe(expected);
        expect(packedDistance256(a, packed, j)).toBe(expected);
        expect(hammingDistance256(packed, packed, i * 32, j * 32)).toBe(expected);
        const words = new Uint32Array(packed.buffer, packed.byteOffset, packed.length / 4);
        expect(hammingDistance256Words(words, words, i * 8, j * 8)).toBe(expected);
      }
    }
    expect(hammingDistance256(new Uint8Array(32), new Uint8Array(32).fill(0xff))).toBe(256);
  });

  it('uses PDQ bit numbering: bit k is bit k & 7 of byte 31 - (k >> 3)', () => {
    const hash = new Uint8Array(32);
    setBit256(hash, 0, 1);
    expect(formatHash256(hash)).toBe('0'.repeat(63) + '1');
    setBit256(hash, 255, true);
    expect(formatHash256(hash)).toBe('8' + '0'.repeat(62) + '1');
    expect(getBit256(hash, 255)).toBe(1);
    expect(getBit256(hash, 17)).toBe(0);
    setBit256(hash, 17, 1);
    // bit 17 is word 1 (second-to-last group of four hex digits), position 1
    expect(formatHash256(hash).slice(56, 60)).toBe('0002');
    expect(bitCount256(hash)).toBe(3);
    setBit256(hash, 0, 0);
    expect(bitCount256(hash)).toBe(2);
  });

  it('packed helpers read, write and view without overlap', () => {
    const packed = allocatePacked256(4);
    expect(packedCount256(packed)).toBe(4);
    const h = parseHash256(SAMPLE);
    writePacked256(packed, 2, h);
    expect(equalsHash256(readPacked256(packed, 2), h)).toBe(true);
    expect(isZeroHash256(readPacked256(packed, 1))).toBe(true);
    expect(isZeroHash256(readPacked256(packed, 3))).toBe(true);
    const view = viewPacked256(packed, 2);
    view[0] = 0;
    expect(packed[64]).toBe(0);
    const into = new Uint8Array(32);
    expect(readPacked256(packed, 2, into)).toBe(into);
    expect(() => readPacked256(packed, 4)).toThrow(InvalidError);
    expect(() => writePacked256(packed, 0, new Uint8Array(31))).toThrow(InvalidError);
    expect(() => packedCount256(new Uint8Array(33))).toThrow(InvalidError);
    expect(() => allocatePacked256(-1)).toThrow(InvalidError);
  });
});
