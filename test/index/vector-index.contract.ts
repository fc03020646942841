import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidError } from '../../src/core/errors.js';
import type { VectorIndex } from '../../src/index/vector-index.js';

export interface VectorIndexFactory {
  name: string;
  /** Whether `nearest` must equal the exact answer on the contract's data (approximate indexes probing every list do). */
  exact: boolean;
  create(dim: number): VectorIndex;
  load(path: string): Promise<{ index: VectorIndex; checkpoint: bigint }>;
}

/** A seeded generator in [0, 1). */
export function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

export function randomVectors(n: number, dim: number, random: () => number): Float32Array {
  const v = new Float32Array(n * dim);
  for (let i = 0; i < v.length; i++) v[i] = random() * 2 - 1;
  return v;
}

function reference(vectors: Float32Array, ids: number[], dim: number, q: Float32Array): Array<{ id: number; distance: number }> {
  return ids
    .map((id, i) => {
      let s = 0;
      for (let j = 0; j < dim; j++) s += (vectors[i * dim + j] - q[j]) ** 2;
      return { id, distance: Math.sqrt(s) };
    })
    .sort((a, b) => a.distance - b.distance || a.id - b.id);
}

/** The behaviour every VectorIndex must have, checked against a brute-force reference in float64. */
export function vectorIndexContract(factory: VectorIndexFactory): void {
  describe(`VectorIndex contract: ${factory.name}`, () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'ariadne-vindex-'));
    });
    afterAll(async () => rm(dir, { recursive: true, force: true }));

    const dim = 16;
    const n = 600;
    const random = seeded(7);
    const vectors = randomVectors(n, dim, random);
    const ids = Array.from({ length: n }, (_, i) => 1000 + i * 3);

    it('starts empty and answers nothing', () => {
      const index = factory.create(dim);
      expect(index.size).toBe(0);
      expect(index.nearest(new Float32Array(dim), 5).count).toBe(0);
      expect(index.radius(new Float32Array(dim), 10).count).toBe(0);
    });

    it('finds the k nearest with true distances, sorted by (distance, id)', () => {
      const index = factory.create(dim);
      index.build(ids, vectors);
      expect(index.size).toBe(n);
      for (let t = 0; t < 20; t++) {
        const q = randomVectors(1, dim, random);
        const got = index.nearest(q, 10).toArray();
        const want = reference(vectors, ids, dim, q);
        if (factory.exact) expect(got.map((g) => g.id)).toEqual(want.slice(0, 10).map((w) => w.id));
        for (let i = 0; i < got.length; i++) {
          const truth = want.find((w) => w.id === got[i].id)!;
          expect(got[i].distance).toBeCloseTo(truth.distance, 4);
          if (i > 0) expect(got[i].distance).toBeGreaterThanOrEqual(got[i - 1].distance);
        }
      }
    });

    it('answers radius queries with every entry inside (exact) and never one outside', () => {
      const index = factory.create(dim);
      index.build(ids, vectors);
      const q = vectors.slice(5 * dim, 6 * dim);
      const want = reference(vectors, ids, dim, q).filter((w) => w.distance <= 1.5);
      const got = index.radius(q, 1.5).toArray();
      for (const g of got) expect(g.distance).toBeLessThanOrEqual(1.5 + 1e-6);
      if (factory.exact) expect(got.map((g) => g.id)).toEqual(want.map((w) => w.id));
      expect(got[0]).toEqual({ id: ids[5], distance: 0 });
    });

    it('adds, replaces and removes single entries', () => {
      const index = factory.create(dim);
      index.build(ids.slice(0, 100), vectors.slice(0, 100 * dim));
      const v = new Float32Array(dim).fill(5);
      index.add(7, v);
      expect(index.nearest(v, 1).toArray()).toEqual([{ id: 7, distance: 0 }]);
      const w = new Float32Array(dim).fill(-5);
      index.add(7, w);
      expect(index.size).toBe(101);
      expect(index.nearest(w, 1).toArray()).toEqual([{ id: 7, distance: 0 }]);
      expect(Array.from(index.get(7)!)).toEqual(Array.from(w));
      expect(index.remove(7)).toBe(1);
      expect(index.remove(7)).toBe(0);
      expect(index.has(7)).toBe(false);
      expect(index.size).toBe(100);
      expect(index.nearest(w, 1).ids[0]).not.toBe(7);
      // Removing in the middle keeps every other entry findable.
      index.remove(ids[10]);
      for (const i of [0, 50, 99]) expect(index.nearest(vectors.slice(i * dim, (i + 1) * dim), 1).ids[0]).toBe(ids[i]);
    });

    it('refuses bad input clearly', () => {
      const index = factory.create(dim);
      expect(() => index.add(-1, new Float32Array(dim))).toThrow(InvalidError);
      expect(() => index.add(1, new Float32Array(dim - 1))).toThrow(InvalidError);
      expect(() => index.add(1, new Float32Array(dim).fill(Number.NaN))).toThrow(InvalidError);
      expect(() => index.nearest(new Float32Array(dim), -1)).toThrow(InvalidError);
      expect(() => index.build([1, 2], new Float32Array(dim))).toThrow(InvalidError);
    });

    it('saves and loads a snapshot with its checkpoint', async () => {
      const index = factory.create(dim);
      index.build(ids, vectors);
      index.remove(ids[3]);
      const path = join(dir, `${factory.name}.snap`);
      await index.save(path, 42);
      const loaded = await factory.load(path);
      expect(loaded.checkpoint).toBe(42n);
      expect(loaded.index.size).toBe(n - 1);
      const q = randomVectors(1, dim, random);
      expect(loaded.index.nearest(q, 5).toArray()).toEqual(index.nearest(q, 5).toArray());
      expect(loaded.index.has(ids[3])).toBe(false);
    });
  });
}
