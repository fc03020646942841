import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { HASH256_BYTES, parseHash256 } from '../../src/core/hash256.js';
import { LinearIndex } from '../../src/index/linear-index.js';
import { MultiIndexHashIndex } from '../../src/index/multi-index-hash-index.js';
import { missingShared, sharedPath } from '../support/requirements.js';
import { pairs, slowDistance } from './support.js';

/**
 * Meta's MIH regression inputs (pdq/data/reg-test-input): 1350 haystack hashes and 100 needles, one 64-hex-digit
 * hash per line. The expected answers are not in the snapshot, so the expected answer is the definition: every
 * haystack entry within the radius, as a bit-by-bit comparison finds it. Half of the needles are copies of haystack
 * lines; every needle has two or three haystack hashes within 31 bits.
 */
const reason = missingShared('testdata', 'pdq', 'reg-test-input', 'haystack.txt');

function readHashes(name: string): { lines: string[]; packed: Uint8Array } {
  const lines = readFileSync(sharedPath('testdata', 'pdq', 'reg-test-input', name), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  const packed = new Uint8Array(lines.length * HASH256_BYTES);
  lines.forEach((line, i) => parseHash256(line, packed, i * HASH256_BYTES));
  return { lines, packed };
}

describe.skipIf(reason)('PDQ reference haystack and needles', () => {
  it('finds every needle exactly as a bit-by-bit scan does', () => {
    const haystack = readHashes('haystack.txt');
    const needles = readHashes('needles.txt');
    expect(haystack.lines.length).toBe(1350);
    expect(needles.lines.length).toBe(100);
    const ids = haystack.lines.map((_, i) => i);
    const mih = new MultiIndexHashIndex();
    const linear = new LinearIndex();
    mih.build(ids, haystack.packed);
    linear.build(ids, haystack.packed);
    let exactCopies = 0;
    for (let q = 0; q < needles.lines.length; q++) {
      const offset = q * HASH256_BYTES;
      for (const r of [0, 31, 47, 63]) {
        const expected: string[] = [];
        for (let i = 0; i < 1350; i++) {
          const d = slowDistance(needles.packed.subarray(offset, offset + 32), haystack.packed, i * HASH256_BYTES);
          if (d <= r) expected.push(`${i}:${d}`);
        }
        expected.sort();
        expect(pairs(mih.radius(needles.packed, r, undefined, offset))).toEqual(expected);
        expect(pairs(linear.radius(needles.packed, r, undefined, offset))).toEqual(expected);
        if (r === 31) expect(expected.length).toBeGreaterThanOrEqual(2);
      }
      const copy = haystack.lines.indexOf(needles.lines[q]);
      if (copy >= 0) {
        exactCopies++;
        expect(pairs(mih.radius(needles.packed, 0, undefined, offset))).toContain(`${copy}:0`);
      }
    }
    expect(exactCopies).toBe(50);
  });
});
