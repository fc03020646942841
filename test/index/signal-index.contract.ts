import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { InvalidError } from '../../src/core/errors.js';
import { HASH256_BYTES, parseHash256 } from '../../src/core/hash256.js';
import { Matches } from '../../src/index/matches.js';
import type { LoadedIndex, SignalIndex } from '../../src/index/signal-index.js';
import { flipBits, hashAt, ordered, pairs, prng, randomHashes, slowDistance } from './support.js';

export interface IndexFactory {
  name: string;
  create(): SignalIndex;
  load(path: string): Promise<LoadedIndex>;
}

/** The behaviour every SignalIndex must have; each assertion is checked against a bit-by-bit reference. */
export function signalIndexContract(factory: IndexFactory): void {
  describe(`SignalIndex contract: ${factory.name}`, () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'ariadne-index-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    function reference(packed: Uint8Array, ids: number[], query: Uint8Array, radius: number): string[] {
      const out: string[] = [];
      for (let i = 0; i < ids.length; i++) {
        const d = slowDistance(query, packed, i * HASH256_BYTES);
        if (d <= radius) out.push(`${ids[i]}:${d}`);
      }
      return out.sort();
    }

    it('starts empty and answers nothing', () => {
      const index = factory.create();
      expect(index.size).toBe(0);
      expect(index.radius(new Uint8Array(32), 256).count).toBe(0);
      expect(index.nearest(new Uint8Array(32), 5).count).toBe(0);
    });

    it('finds exactly the entries within the radius, with their distances', () => {
      const random = prng(1);
      const packed = randomHashes(300, random);
      const ids = Array.from({ length: 300 }, (_, i) => 1000 + i);
      // Near-duplicates of entry 7 at known distances.
      for (const [i, bits] of [[10, 3], [11, 31], [12, 32], [13, 0]] as const) {
        packed.copyWithin(i * 32, 7 * 32, 8 * 32);
        flipBits(packed, i * 32, bits, random);
      }
      const index = factory.create();
      index.build(ids, packed);
      expect(index.size).toBe(300);
      const query = hashAt(packed, 7);
      const at31 = pairs(index.radius(query, 31));
      expect(at31).toEqual(['1007:0', '1010:3', '1011:31', '1013:0']);
      expect(at31).toEqual(reference(packed, ids, query, 31));
      expect(pairs(index.radius(query, 32))).toEqual(reference(packed, ids, query, 32));
      expect(pairs(index.radius(query, 0))).toEqual(['1007:0', '1013:0']);
      expect(index.radius(query, 256).count).toBe(300);
    });

    it('adds one by one, accepts offsets into packed buffers, and removes every entry of an id', () => {
      const random = prng(2);
      const packed = randomHashes(50, random);
      const index = factory.create();
      for (let i = 0; i < 50; i++) index.add(i % 10, packed, i * 32);
      expect(index.size).toBe(50);
      const query = hashAt(packed, 23);
      const r = index.radius(query, 0);
      expect(pairs(r)).toEqual(['3:0']);
      expect(index.radius(query, 256).count).toBe(50);
      expect(index.remove(3)).toBe(5);
      expect(index.remove(3)).toBe(0);
      expect(index.size).toBe(45);
      expect(index.radius(query, 0).count).toBe(0);
      const all = index.radius(query, 256);
      expect(all.count).toBe(45);
      for (let i = 0; i < all.count; i++) expect(all.ids[i]).not.toBe(3);
    });

    it('an id can hold several hashes; bestPerId keeps the smallest distance', () => {
      const random = prng(3);
      const base = randomHashes(1, random);
      const near = base.slice();
      flipBits(near, 0, 5, random);
      const index = factory.create();
      index.add(42, near);
      index.add(42, base);
      index.add(7, near);
      const result = index.radius(base, 31);
      expect(pairs(result)).toEqual(['42:0', '42:5', '7:5']);
      expect(ordered(result.bestPerId())).toEqual(['42:0', '7:5']);
    });

    it('reuses the result buffer without objects per match', () => {
      const random = prng(4);
      const packed = randomHashes(200, random);
      const index = factory.create();
      index.build(Array.from({ length: 200 }, (_, i) => i), packed);
      const out = new Matches(1);
      const first = index.radius(hashAt(packed, 0), 256, out);
      expect(first).toBe(out);
      expect(out.count).toBe(200);
      index.radius(hashAt(packed, 1), 0, out);
      expect(pairs(out)).toEqual(['1:0']);
    });

    it('nearest returns the k closest sorted by distance then id', () => {
      const random = prng(5);
      const packed = randomHashes(400, random);
      const ids = Array.from({ length: 400 }, (_, i) => (i * 7919) % 400);
      const index = factory.create();
      index.build(ids, packed);
      const query = randomHashes(1, random);
      const all: Array<[number, number]> = ids.map((id, i) => [slowDistance(query, packed, i * 32), id]);
      all.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      for (const k of [1, 5, 17, 400, 1000]) {
        expect(ordered(index.nearest(query, k))).toEqual(all.slice(0, k).map(([d, id]) => `${id}:${d}`));
      }
      expect(index.nearest(query, 0).count).toBe(0);
    });

    it('dihedral queries report each entry once with its smallest distance and the variant', () => {
      const random = prng(6);
      const variants = randomHashes(8, random);
      const packed = randomHashes(100, random);
      // Entry 0 equals variant 2; entry 1 is near variant 5 and variant 6 (closer to 6); entry 2 equals variants 3 and 4.
      packed.set(hashAt(variants, 2), 0);
      packed.set(hashAt(variants, 5), 32);
      flipBits(packed, 32, 4, random);
      variants.set(hashAt(packed, 1), 6 * 32);
      flipBits(variants, 6 * 32, 2, random);
      packed.set(hashAt(variants, 3), 64);
      variants.set(hashAt(variants, 3), 4 * 32);
      const index = factory.create();
      index.build(Array.from({ length: 100 }, (_, i) => i), packed);
      const result = index.radiusDihedral(variants, 31);
      const expected: string[] = [];
      for (let e = 0; e < 100; e++) {
        let best = 999;
        let which = -1;
        for (let v = 0; v < 8; v++) {
          const d = slowDistance(hashAt(variants, v), packed, e * 32);
          if (d < best) [best, which] = [d, v];
        }
        if (best <= 31) expected.push(`${e}:${best}:${which}`);
      }
      const got: string[] = [];
      for (let i = 0; i < result.count; i++) got.push(`${result.ids[i]}:${result.distances[i]}:${result.variants[i]}`);
      expect(got.sort()).toEqual(expected.sort());
      expect(got).toContain('0:0:2');
      expect(got).toContain('2:0:3');
      expect(got.find((g) => g.startsWith('1:'))?.endsWith(':6')).toBe(true);
      expect(() => index.radiusDihedral(new Uint8Array(32), 31)).toThrow(InvalidError);
    });

    it('saves and loads with its checkpoint', async () => {
      const random = prng(7);
      const packed = randomHashes(500, random);
      const ids = Array.from({ length: 500 }, (_, i) => i * 3);
      const index = factory.create();
      index.build(ids, packed);
      index.remove(30);
      index.add(99999, hashAt(packed, 5));
      const path = join(dir, `${factory.name}.snap`);
      await index.save(path, 123456789012345n);
      const { index: loaded, checkpoint } = await factory.load(path);
      expect(checkpoint).toBe(123456789012345n);
      expect(loaded.size).toBe(index.size);
      for (let q = 0; q < 20; q++) {
        const query = hashAt(packed, q * 7);
        expect(pairs(loaded.radius(query, 63))).toEqual(pairs(index.radius(query, 63)));
      }
      expect(pairs(loaded.radius(hashAt(packed, 10), 0))).toEqual([]);
      loaded.add(5, hashAt(packed, 10));
      expect(pairs(loaded.radius(hashAt(packed, 10), 0))).toEqual(['5:0']);
      await index.save(path, 7);
      expect((await factory.load(path)).checkpoint).toBe(7n);
    });

    it('rejects bad input with InvalidError', () => {
      const index = factory.create();
      const hash = parseHash256('f'.repeat(64));
      expect(() => index.add(-1, hash)).toThrow(InvalidError);
      expect(() => index.add(2 ** 32, hash)).toThrow(InvalidError);
      expect(() => index.add(1.5, hash)).toThrow(InvalidError);
      expect(() => index.add(1, new Uint8Array(31))).toThrow(InvalidError);
      expect(() => index.add(1, hash, 1)).toThrow(InvalidError);
      expect(() => index.radius(hash, 257)).toThrow(InvalidError);
      expect(() => index.radius(hash, -1)).toThrow(InvalidError);
      expect(() => index.nearest(hash, -1)).toThrow(InvalidError);
      expect(() => index.build([1, 2], new Uint8Array(32))).toThrow(InvalidError);
      index.add(2 ** 32 - 1, hash);
      expect(pairs(index.radius(hash, 0))).toEqual([`${2 ** 32 - 1}:0`]);
    });
  });
}
