import { InvalidError } from '../core/errors.js';
import { scanTopK } from './flat-vector-index.js';
import { SnapshotKind, corruptSnapshot, readSnapshot, writeSnapshot } from './snapshot.js';
import { TopK, VectorMatches, checkK, checkVector, checkVectorId, squaredDistance, type VectorIndex } from './vector-index.js';

export interface IvfOptions {
  /** Number of inverted lists (k-means cells); default about sqrt(n) at build, at least 1. */
  readonly lists?: number;
  /** Lists scanned per query (default 16): more is slower and closer to exact. */
  readonly probes?: number;
  /** Seed of the k-means sampling, so builds are reproducible. */
  readonly seed?: number;
}

/**
 * The approximate vector index for many millions of vectors: an inverted file (IVF-Flat). `build` trains a two-level
 * k-means coarse quantiser on a sample (64 vectors per list, 12 Lloyd iterations per level) and files every vector under its
 * nearest centroid; a query scans the `probes` lists whose centroids are nearest. Distances reported are exact; what
 * it can miss is a neighbour filed under a list that was not probed (recall is measured by `npm run bench -- connect`).
 * `add` files new vectors under the trained centroids; before any build the index has one list and is exact.
 * Removal swaps the list's last entry into the hole.
 */
export class IvfVectorIndex implements VectorIndex {
  readonly dim: number;
  readonly exact = false;
  probes: number;
  private readonly requestedLists: number | undefined;
  private readonly seed: number;
  private centroids: Float32Array;
  private lists: Array<{ ids: Uint32Array; data: Float32Array; count: number }> = [];
  /** id -> list * 2^32 + position. */
  private readonly where = new Map<number, number>();

  constructor(dim: number, options: IvfOptions = {}) {
    if (!Number.isInteger(dim) || dim < 1 || dim > 4096) throw new InvalidError(`vector dimension is 1 to 4096, got ${dim}`);
    this.dim = dim;
    this.probes = options.probes ?? 16;
    this.requestedLists = options.lists;
    this.seed = options.seed ?? 0x9e3779b9;
    this.centroids = new Float32Array(dim);
    this.lists = [emptyList(dim, 16)];
  }

  get size(): number {
    return this.where.size;
  }

  get listCount(): number {
    return this.lists.length;
  }

  add(id: number, vector: ArrayLike<number>, offset = 0): void {
    checkVectorId(id);
    checkVector(vector, offset, this.dim);
    if (this.where.has(id)) this.remove(id);
    const v = Float32Array.from({ length: this.dim }, (_, i) => vector[offset + i]);
    this.file(id, v, 0, this.nearestCentroid(v, 0));
  }

  build(ids: ArrayLike<number>, vectors: Float32Array): void {
    const n = ids.length;
    const dim = this.dim;
    if (vectors.length !== n * dim) throw new InvalidError(`build needs ${n * dim} floats for ${n} vectors, got ${vectors.length}`);
    const lists = Math.max(1, Math.min(this.requestedLists ?? Math.round(Math.sqrt(n)), Math.max(1, Math.floor(n / 8))));
    const quantiser = trainQuantiser(vectors, n, dim, lists, this.seed);
    this.centroids = quantiser.centroids;
    const listCount = this.centroids.length / dim;
    const assigned = new Uint32Array(n);
    const sizes = new Uint32Array(listCount);
    for (let i = 0; i < n; i++) {
      assigned[i] = quantiser.assign(vectors, i * dim);
      sizes[assigned[i]]++;
    }
    this.lists = Array.from(sizes, (s) => emptyList(dim, Math.max(4, s)));
    this.where.clear();
    for (let i = 0; i < n; i++) {
      if (this.where.has(ids[i])) this.remove(ids[i]);
      checkVectorId(ids[i]);
      this.file(ids[i], vectors, i * dim, assigned[i]);
    }
  }

  remove(id: number): number {
    checkVectorId(id);
    const w = this.where.get(id);
    if (w === undefined) return 0;
    this.where.delete(id);
    const listNo = Math.floor(w / 2 ** 32);
    const pos = w % 2 ** 32;
    const list = this.lists[listNo];
    const last = --list.count;
    if (pos !== last) {
      const moved = list.ids[last];
      list.ids[pos] = moved;
      list.data.copyWithin(pos * this.dim, last * this.dim, (last + 1) * this.dim);
      this.where.set(moved, listNo * 2 ** 32 + pos);
    }
    return 1;
  }

  has(id: number): boolean {
    return this.where.has(id);
  }

  get(id: number): Float32Array | undefined {
    const w = this.where.get(id);
    if (w === undefined) return undefined;
    const pos = w % 2 ** 32;
    return this.lists[Math.floor(w / 2 ** 32)].data.slice(pos * this.dim, (pos + 1) * this.dim);
  }

  nearest(query: ArrayLike<number>, k: number, out = new VectorMatches()): VectorMatches {
    checkVector(query, 0, this.dim, 'query');
    checkK(k);
    const q = Float32Array.from({ length: this.dim }, (_, i) => query[i]);
    const top = new TopK(k);
    if (k > 0) for (const l of this.probeOrder(q)) scanTopK(this.lists[l].data, this.lists[l].ids, 0, this.lists[l].count, this.dim, q, top);
    return top.drain(out);
  }

  radius(query: ArrayLike<number>, radius: number, out = new VectorMatches(), limit = 100_000): VectorMatches {
    checkVector(query, 0, this.dim, 'query');
    if (!(radius >= 0)) throw new InvalidError('radius must be a non-negative number');
    const q = Float32Array.from({ length: this.dim }, (_, i) => query[i]);
    const r2 = radius * radius;
    out.clear();
    for (const l of this.probeOrder(q)) {
      const list = this.lists[l];
      for (let i = 0; i < list.count; i++) {
        const d = squaredDistance(list.data, i * this.dim, q, 0, this.dim);
        if (d <= r2) out.push(list.ids[i], Math.sqrt(d));
      }
    }
    out.sort();
    if (out.count > limit) out.count = limit;
    return out;
  }

  async save(path: string, checkpoint: bigint | number): Promise<void> {
    const sizes = Uint32Array.from(this.lists, (l) => l.count);
    const ids = new Uint32Array(this.size);
    const data = new Float32Array(this.size * this.dim);
    let at = 0;
    for (const l of this.lists) {
      ids.set(l.ids.subarray(0, l.count), at);
      data.set(l.data.subarray(0, l.count * this.dim), at * this.dim);
      at += l.count;
    }
    await writeSnapshot(path, { kind: SnapshotKind.IvfVector, entryCount: this.size, checkpoint, params: [this.dim, this.lists.length, this.probes], sections: [this.centroids, sizes, ids, data] });
  }

  static async load(path: string): Promise<{ index: IvfVectorIndex; checkpoint: bigint }> {
    const snap = await readSnapshot(path, [SnapshotKind.IvfVector], (i, bytes) => {
      if (i > 3) throw corruptSnapshot(path, 'too many sections');
      return i === 0 || i === 3 ? new Float32Array(bytes / 4) : new Uint32Array(bytes / 4);
    });
    const [dim, listCount, probes] = snap.params;
    const [centroids, sizes, ids, data] = snap.sections as [Float32Array, Uint32Array, Uint32Array, Float32Array];
    if (!dim || !listCount || centroids.length !== dim * listCount || sizes.length !== listCount || ids.length !== snap.entryCount || data.length !== snap.entryCount * dim) {
      throw corruptSnapshot(path, 'sections do not fit the parameters');
    }
    const index = new IvfVectorIndex(dim, { probes });
    index.centroids = centroids;
    index.lists = Array.from(sizes, (s) => emptyList(dim, Math.max(4, s)));
    let at = 0;
    for (let l = 0; l < listCount; l++) {
      for (let j = 0; j < sizes[l]; j++, at++) {
        if (at >= ids.length || index.where.has(ids[at])) throw corruptSnapshot(path, 'inconsistent lists');
        index.file(ids[at], data, at * dim, l);
      }
    }
    return { index, checkpoint: snap.checkpoint };
  }

  memoryBytes(): number {
    let total = this.centroids.byteLength + this.where.size * 16;
    for (const l of this.lists) total += l.ids.byteLength + l.data.byteLength;
    return total;
  }

  private probeOrder(q: Float32Array): number[] {
    const n = this.lists.length;
    const probes = Math.min(n, Math.max(1, this.probes));
    if (probes === n) return Array.from({ length: n }, (_, i) => i);
    const top = new TopK(probes);
    for (let c = 0; c < n; c++) top.offer(squaredDistance(this.centroids, c * this.dim, q, 0, this.dim), c);
    const m = top.drain(new VectorMatches(probes));
    return Array.from(m.ids.subarray(0, m.count));
  }

  private nearestCentroid(v: ArrayLike<number>, offset: number): number {
    let best = 0;
    let bestD = Infinity;
    const n = this.centroids.length / this.dim;
    for (let c = 0; c < n; c++) {
      const d = squaredDistance(this.centroids, c * this.dim, v, offset, this.dim);
      if (d < bestD) {
        bestD = d;
        best = c;
      }
    }
    return best;
  }

  private file(id: number, v: ArrayLike<number>, offset: number, listNo: number): void {
    const list = this.lists[listNo];
    if (list.count === list.ids.length) {
      const ids = new Uint32Array(list.count * 2);
      ids.set(list.ids);
      const data = new Float32Array(list.count * 2 * this.dim);
      data.set(list.data);
      list.ids = ids;
      list.data = data;
    }
    const pos = list.count++;
    list.ids[pos] = id;
    for (let i = 0; i < this.dim; i++) list.data[pos * this.dim + i] = v[offset + i];
    this.where.set(id, listNo * 2 ** 32 + pos);
  }
}

function emptyList(dim: number, capacity: number): { ids: Uint32Array; data: Float32Array; count: number } {
  return { ids: new Uint32Array(capacity), data: new Float32Array(capacity * dim), count: 0 };
}

/** A deterministic xorshift generator in [0, 1). */
function generator(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

/** `size` distinct rows of `vectors` (n rows), chosen by a partial Fisher-Yates shuffle. */
function sampleRows(vectors: Float32Array, n: number, dim: number, size: number, random: () => number): Float32Array {
  const picks = new Uint32Array(n);
  for (let i = 0; i < n; i++) picks[i] = i;
  const out = new Float32Array(size * dim);
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(random() * (n - i));
    const t = picks[i];
    picks[i] = picks[j];
    picks[j] = t;
    out.set(vectors.subarray(picks[i] * dim, picks[i] * dim + dim), i * dim);
  }
  return out;
}

/** Lloyd's k-means on `n` rows, `iterations` rounds; empty cells are re-seeded from a random row. */
export function kMeans(rows: Float32Array, n: number, dim: number, k: number, random: () => number, iterations = 12): Float32Array {
  const centroids = new Float32Array(k * dim);
  if (n === 0) return centroids;
  for (let c = 0; c < k; c++) {
    const i = c < n ? c : Math.floor(random() * n);
    centroids.set(rows.subarray(i * dim, i * dim + dim), c * dim);
  }
  const sums = new Float64Array(k * dim);
  const counts = new Uint32Array(k);
  for (let iter = 0; iter < iterations; iter++) {
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const best = nearestRow(centroids, k, dim, rows, i * dim);
      counts[best]++;
      for (let j = 0; j < dim; j++) sums[best * dim + j] += rows[i * dim + j];
    }
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) {
        const i = Math.floor(random() * n);
        centroids.set(rows.subarray(i * dim, i * dim + dim), c * dim);
        continue;
      }
      for (let j = 0; j < dim; j++) centroids[c * dim + j] = sums[c * dim + j] / counts[c];
    }
  }
  return centroids;
}

function nearestRow(centroids: Float32Array, k: number, dim: number, v: ArrayLike<number>, offset: number): number {
  let best = 0;
  let bestD = Infinity;
  for (let c = 0; c < k; c++) {
    const d = squaredDistance(centroids, c * dim, v, offset, dim);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

/**
 * The coarse quantiser, trained in two levels so that building over millions of vectors stays affordable: about
 * sqrt(lists) top cells by k-means on a sample, then each top cell split by k-means on its share of the sample. The
 * result is `top * sub` centroids; `assign` files a vector under the nearest sub-centroid of its nearest top cell
 * (top + sub distances instead of top * sub).
 */
export function trainQuantiser(vectors: Float32Array, n: number, dim: number, lists: number, seed: number): { centroids: Float32Array; assign: (v: ArrayLike<number>, offset: number) => number } {
  const random = generator(seed);
  const top = Math.max(1, Math.round(Math.sqrt(lists)));
  const sub = Math.max(1, Math.round(lists / top));
  const sampleSize = Math.min(n, top * sub * 64);
  const sample = sampleRows(vectors, n, dim, sampleSize, random);
  const coarse = kMeans(sample, Math.min(sampleSize, top * 256), dim, top, random);
  const members: number[][] = Array.from({ length: top }, () => []);
  for (let i = 0; i < sampleSize; i++) members[nearestRow(coarse, top, dim, sample, i * dim)].push(i);
  const centroids = new Float32Array(top * sub * dim);
  for (let t = 0; t < top; t++) {
    const rows = new Float32Array(Math.max(1, members[t].length) * dim);
    if (members[t].length === 0) rows.set(coarse.subarray(t * dim, t * dim + dim));
    members[t].forEach((i, j) => rows.set(sample.subarray(i * dim, i * dim + dim), j * dim));
    centroids.set(kMeans(rows, Math.max(1, members[t].length), dim, sub, random), t * sub * dim);
  }
  const assign = (v: ArrayLike<number>, offset: number) => {
    const t = nearestRow(coarse, top, dim, v, offset);
    return t * sub + nearestRow(centroids.subarray(t * sub * dim, (t + 1) * sub * dim), sub, dim, v, offset);
  };
  return { centroids, assign };
}
