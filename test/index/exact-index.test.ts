import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { InvalidError } from '../../src/core/errors.js';
import { DIGEST_BYTES, ExactIndex } from '../../src/index/exact-index.js';
import type { DigestAlgorithm } from '../../src/index/exact-index.js';

function digest(algorithm: DigestAlgorithm, i: number): Uint8Array {
  return new Uint8Array(createHash(algorithm).update(`item-${i}`).digest());
}

describe('ExactIndex', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ariadne-exact-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const algorithm of ['md5', 'sha1', 'sha256'] as const) {
    it(`${algorithm}: add, lookup, remove, grow, save and load against a Map reference`, async () => {
      const index = new ExactIndex(algorithm);
      expect(index.digestBytes).toBe(DIGEST_BYTES[algorithm]);
      const reference = new Map<string, number[]>();
      const key = (d: Uint8Array) => Buffer.from(d).toString('hex');
      const n = 8000;
      for (let i = 0; i < n; i++) {
        const d = digest(algorithm, i % 6000); // 2000 digests get a second id
        const id = i;
        expect(index.add(id, d)).toBe(true);
        reference.set(key(d), [...(reference.get(key(d)) ?? []), id]);
      }
      expect(index.add(0, digest(algorithm, 0))).toBe(false); // the same pair again
      expect(index.size).toBe(n);
      // Remove some by id, some by (digest, id).
      for (let i = 0; i < n; i += 7) {
        expect(index.remove(i)).toBe(1);
        const d = digest(algorithm, i % 6000);
        reference.set(key(d), reference.get(key(d))!.filter((x) => x !== i));
      }
      for (let i = 3; i < n; i += 11) {
        const d = digest(algorithm, i % 6000);
        const present = reference.get(key(d))!.includes(i);
        expect(index.removeEntry(d, i)).toBe(present);
        reference.set(key(d), reference.get(key(d))!.filter((x) => x !== i));
      }
      const expectedSize = [...reference.values()].reduce((a, ids) => a + ids.length, 0);
      expect(index.size).toBe(expectedSize);
      const check = (ix: ExactIndex) => {
        for (let i = 0; i < 6000; i += 3) {
          const d = digest(algorithm, i);
          const expected = reference.get(key(d))!;
          expect(ix.lookup(d).sort((a, b) => a - b)).toEqual(expected);
          expect(ix.has(d)).toBe(expected.length > 0);
          expect(ix.first(d) >= 0 ? expected.includes(ix.first(d)) : expected.length === 0).toBe(true);
        }
        for (let i = 6000; i < 6300; i++) expect(ix.lookup(digest(algorithm, i))).toEqual([]);
      };
      check(index);
      const path = join(dir, `${algorithm}.snap`);
      await index.save(path, 31n);
      const { index: loaded, checkpoint } = await ExactIndex.load(path);
      expect(checkpoint).toBe(31n);
      expect(loaded.algorithm).toBe(algorithm);
      expect(loaded.size).toBe(index.size);
      check(loaded);
      expect(loaded.add(99999, digest(algorithm, 1))).toBe(true);
      expect(loaded.lookup(digest(algorithm, 1))).toContain(99999);
    });
  }

  it('reads digests at an offset and reuses the output array', () => {
    const index = new ExactIndex('md5', { capacity: 100 });
    const packed = new Uint8Array(48);
    packed.set(digest('md5', 1), 0);
    packed.set(digest('md5', 2), 16);
    index.add(5, packed, 16);
    const out = [1, 2, 3];
    expect(index.lookup(packed, 16, out)).toBe(out);
    expect(out).toEqual([5]);
    expect(index.lookup(packed, 0, out)).toEqual([]);
  });

  it('keeps working through many removals and re-adds (tombstones are reclaimed)', () => {
    const index = new ExactIndex('sha256');
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 500; i++) index.add(i, digest('sha256', round * 1000 + i));
      for (let i = 0; i < 500; i++) expect(index.remove(i)).toBe(1);
    }
    expect(index.size).toBe(0);
    // 500 live entries at most: the table never needs more than 2048 slots (32-byte key, 4-byte id, 1 state byte).
    expect(index.memoryBytes()).toBeLessThanOrEqual(2048 * (32 + 4 + 1));
  });

  it('rejects malformed input', () => {
    const index = new ExactIndex('sha1');
    expect(() => index.add(1, new Uint8Array(16))).toThrow(InvalidError);
    expect(() => index.add(-1, new Uint8Array(20))).toThrow(InvalidError);
    expect(() => index.lookup(new Uint8Array(20), 1)).toThrow(InvalidError);
    expect(() => new ExactIndex('crc' as DigestAlgorithm)).toThrow(InvalidError);
  });
});
