import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { HASH256_BYTES } from '../../src/core/hash256.js';
import { LinearIndex } from '../../src/index/linear-index.js';
import { Matches } from '../../src/index/matches.js';
import { MultiIndexHashIndex } from '../../src/index/multi-index-hash-index.js';
import { clusteredHashes, flipBits, hashAt, ordered, pairs, prng, randomHashes, triples } from './support.js';

/**
 * Property tests: multi-index results must equal the linear scan's (same ids, same distances) for every query, at
 * every radius the pigeonhole arguments treat differently, through adds, removes, merges, save and load.
 */

const RADII = [0, 1, 7, 8, 15, 16, 23, 31, 32, 47, 63, 64, 95, 128, 255, 256];

/** Queries: copies of stored hashes, near-duplicates of them at several distances, and random hashes. */
function queriesFor(packed: Uint8Array, count: number, random: () => number): Uint8Array {
  const n = packed.length / HASH256_BYTES;
  const queries = randomHashes(count, random);
  for (let i = 0; i < count; i++) {
    if (i % 4 === 3) continue;
    const source = (random() * n) | 0;
    queries.set(hashAt(packed, source), i * HASH256_BYTES);
    flipBits(queries, i * HASH256_BYTES, [0, 4, 16, 30, 40, 60][i % 6], random);
  }
  return queries;
}

function expectSame(mih: MultiIndexHashIndex, linear: LinearIndex, queries: Uint8Array, radii: readonly number[]): number {
  const a = new Matches();
  const b = new Matches();
  let total = 0;
  for (let q = 0; q < queries.length / HASH256_BYTES; q++) {
    for (const r of radii) {
      mih.radius(queries, r, a, q * HASH256_BYTES);
      linear.radius(queries, r, b, q * HASH256_BYTES);
      const got = pairs(a);
      if (got.join() !== pairs(b).join()) expect({ query: q, radius: r, got }).toEqual({ query: q, radius: r, got: pairs(b) });
      total += a.count;
    }
  }
  return total;
}

describe('MultiIndexHashIndex equals LinearIndex', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ariadne-mih-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const linearFallback of [true, false])
  for (const [label, make] of [
    ['random data', (n: number, random: () => number) => randomHashes(n, random)],
    ['clustered near-duplicates', (n: number, random: () => number) => clusteredHashes(n, random, 24, 12)],
    ['tight clusters', (n: number, random: () => number) => clusteredHashes(n, random, 4, 20)],
  ] as const) {
    it(`on ${label}, at every radius class${linearFallback ? '' : ', always enumerating'}`, () => {
      const random = prng(label.length * 101);
      const n = 3000;
      const packed = make(n, random);
      const ids = Array.from({ length: n }, (_, i) => (i * 2654435761) % 100000);
      const mih = new MultiIndexHashIndex({ linearFallback });
      const linear = new LinearIndex();
      mih.build(ids, packed);
      linear.build(ids, packed);
      const found = linearFallback
        ? expectSame(mih, linear, queriesFor(packed, 60, random), RADII)
        : expectSame(mih, linear, queriesFor(packed, 24, random), RADII.filter((r) => r < 128)) +
          expectSame(mih, linear, queriesFor(packed, 2, random), [128, 255, 256]);
      expect(found).toBeGreaterThan(60); // the queries do hit something, so equality is not vacuous
    });
  }

  it('through adds (delta chains), removes (tombstones), merges, save and load', async () => {
    const random = prng(77);
    const radii = [0, 31, 47, 63];
    const mih = new MultiIndexHashIndex({ mergeAt: 300, linearFallback: false });
    const linear = new LinearIndex();
    const initial = clusteredHashes(2000, random, 20, 8);
    const initialIds = Array.from({ length: 2000 }, (_, i) => i % 1500);
    mih.build(initialIds, initial);
    linear.build(initialIds, initial);
    let nextId = 5000;
    let sawDelta = false;
    let sawDead = false;
    let merges = 0;
    for (let round = 0; round < 6; round++) {
      const added = clusteredHashes(250, random, 20, 5);
      // Half of the new entries are near-duplicates of stored ones, so delta and static entries match each other.
      for (let i = 0; i < 250; i += 2) {
        added.set(hashAt(initial, (random() * 2000) | 0), i * 32);
        flipBits(added, i * 32, 1 + ((random() * 20) | 0), random);
      }
      for (let i = 0; i < 250; i++) {
        const id = i % 3 === 0 ? (random() * 1500) | 0 : nextId++;
        const before = mih.parts.static;
        mih.add(id, added, i * 32);
        linear.add(id, added, i * 32);
        if (mih.parts.static !== before) merges++;
      }
      for (let i = 0; i < 40; i++) {
        const id = (random() * 1500) | 0;
        expect(mih.remove(id)).toBe(linear.remove(id));
      }
      sawDelta ||= mih.parts.delta > 0;
      sawDead ||= mih.parts.dead > 0;
      expect(mih.size).toBe(linear.size);
      expectSame(mih, linear, queriesFor(added, 12, random), radii);
      expectSame(mih, linear, queriesFor(initial, 12, random), radii);
    }
    expect(sawDelta).toBe(true);
    expect(sawDead).toBe(true);
    expect(merges).toBeGreaterThan(0);

    const path = join(dir, 'mih.snap');
    await mih.save(path, 42);
    const { index: loaded } = await MultiIndexHashIndex.load(path, { linearFallback: false });
    expect(loaded.parts).toEqual({ static: linear.size, delta: 0, dead: 0 });
    expectSame(loaded, linear, queriesFor(initial, 20, random), radii);
    // Keep updating the loaded copy.
    for (let i = 0; i < 100; i++) {
      const h = randomHashes(1, random);
      loaded.add(nextId, h);
      linear.add(nextId++, h);
    }
    expect(loaded.remove(initialIds[3])).toBe(linear.remove(initialIds[3]));
    expectSame(loaded, linear, queriesFor(initial, 20, random), radii);
  });

  it('nearest-k equals the linear answer, ties broken by id', () => {
    const random = prng(91);
    const packed = clusteredHashes(2500, random, 12, 6);
    // Many equal distances: duplicates under different ids.
    for (let i = 0; i < 100; i++) packed.copyWithin((2000 + i) * 32, i * 32, (i + 1) * 32);
    const ids = Array.from({ length: 2500 }, (_, i) => 2500 - i);
    const mih = new MultiIndexHashIndex({ mergeAt: 100 });
    const linear = new LinearIndex();
    mih.build(ids.slice(0, 2000), packed.subarray(0, 2000 * 32));
    linear.build(ids.slice(0, 2000), packed.subarray(0, 2000 * 32));
    for (let i = 2000; i < 2500; i++) {
      mih.add(ids[i], packed, i * 32);
      linear.add(ids[i], packed, i * 32);
    }
    const queries = queriesFor(packed, 30, random);
    for (let q = 0; q < 30; q++) {
      for (const k of [1, 3, 10, 50]) {
        const a = ordered(mih.nearest(queries, k, undefined, q * 32));
        expect(a).toEqual(ordered(linear.nearest(queries, k, undefined, q * 32)));
        expect(a.length).toBe(k);
      }
    }
  });

  it('dihedral results equal the linear answer', () => {
    const random = prng(13);
    const packed = clusteredHashes(2000, random, 16, 8);
    const ids = Array.from({ length: 2000 }, (_, i) => i);
    const mih = new MultiIndexHashIndex({ linearFallback: false });
    const linear = new LinearIndex();
    mih.build(ids, packed);
    linear.build(ids, packed);
    for (let trial = 0; trial < 10; trial++) {
      const variants = queriesFor(packed, 8, random);
      for (const r of [0, 31, 47]) {
        const a = triples(mih.radiusDihedral(variants, r));
        expect(a).toEqual(triples(linear.radiusDihedral(variants, r)));
      }
    }
  });
});
