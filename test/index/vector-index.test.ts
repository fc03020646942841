import { describe, expect, it } from 'vitest';
import { FlatVectorIndex } from '../../src/index/flat-vector-index.js';
import { IvfVectorIndex } from '../../src/index/ivf-vector-index.js';
import { TopK, VectorMatches } from '../../src/index/vector-index.js';
import { randomVectors, seeded, vectorIndexContract } from './vector-index.contract.js';

vectorIndexContract({ name: 'FlatVectorIndex', exact: true, create: (dim) => new FlatVectorIndex(dim), load: (p) => FlatVectorIndex.load(p) });
// Probing every list, the inverted file must answer exactly; with fewer probes it is approximate (below).
vectorIndexContract({ name: 'IvfVectorIndex (all lists probed)', exact: true, create: (dim) => new IvfVectorIndex(dim, { lists: 16, probes: 16 }), load: (p) => IvfVectorIndex.load(p) });
vectorIndexContract({ name: 'IvfVectorIndex (4 of 16 lists probed)', exact: false, create: (dim) => new IvfVectorIndex(dim, { lists: 16, probes: 4 }), load: (p) => IvfVectorIndex.load(p) });

describe('IvfVectorIndex on clustered data', () => {
  it('finds the true nearest neighbour of most queries while scanning a fraction of the lists', () => {
    const dim = 32;
    const random = seeded(3);
    const centres = randomVectors(50, dim, random);
    const n = 5000;
    const vectors = new Float32Array(n * dim);
    for (let i = 0; i < n; i++) {
      const c = i % 50;
      for (let j = 0; j < dim; j++) vectors[i * dim + j] = centres[c * dim + j] + (random() - 0.5) * 0.2;
    }
    const ids = Array.from({ length: n }, (_, i) => i);
    const exact = new FlatVectorIndex(dim);
    exact.build(ids, vectors);
    const ivf = new IvfVectorIndex(dim, { lists: 64, probes: 8 });
    ivf.build(ids, vectors);
    expect(ivf.listCount).toBeGreaterThan(8);
    let hits = 0;
    for (let t = 0; t < 100; t++) {
      const q = vectors.slice((t * 37) * dim, (t * 37 + 1) * dim).map((x) => x + (random() - 0.5) * 0.05);
      if (ivf.nearest(q, 1).ids[0] === exact.nearest(q, 1).ids[0]) hits++;
    }
    expect(hits).toBeGreaterThanOrEqual(95);
  });
});

describe('TopK', () => {
  it('keeps the k smallest keys, ties broken by id', () => {
    const top = new TopK(3);
    for (const [key, id] of [[5, 1], [1, 9], [3, 2], [1, 4], [0.5, 7], [3, 1]] as const) top.offer(key, id);
    expect(top.drain(new VectorMatches()).toArray()).toEqual([
      { id: 7, distance: Math.fround(Math.sqrt(0.5)) },
      { id: 4, distance: 1 },
      { id: 9, distance: 1 },
    ]);
  });
});
