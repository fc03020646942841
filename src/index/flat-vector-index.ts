import { InvalidError } from '../core/errors.js';
import { SnapshotKind, corruptSnapshot, readSnapshot, writeSnapshot } from './snapshot.js';
import { TopK, VectorMatches, checkK, checkVector, checkVectorId, squaredDistance, type VectorIndex } from './vector-index.js';

/**
 * The exact vector index: every vector in one Float32Array (row-major, `dim` floats per entry), ids beside them, a
 * scan per query with a bounded max-heap. The scan checks the first quarter of each vector against the heap's bound
 * before finishing it, so most entries of a large index cost a quarter of a full distance. Removal moves the last
 * entry into the hole. Good for a few million vectors (1 M x 128 floats = 512 MB); above that, IvfVectorIndex.
 */
export class FlatVectorIndex implements VectorIndex {
  readonly dim: number;
  readonly exact = true;
  private data: Float32Array;
  private ids: Uint32Array;
  private count = 0;
  private readonly slotOf = new Map<number, number>();

  constructor(dim: number, options: { capacity?: number } = {}) {
    if (!Number.isInteger(dim) || dim < 1 || dim > 4096) throw new InvalidError(`vector dimension is 1 to 4096, got ${dim}`);
    this.dim = dim;
    const capacity = Math.max(16, options.capacity ?? 16);
    this.data = new Float32Array(capacity * dim);
    this.ids = new Uint32Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  add(id: number, vector: ArrayLike<number>, offset = 0): void {
    checkVectorId(id);
    checkVector(vector, offset, this.dim);
    let slot = this.slotOf.get(id);
    if (slot === undefined) {
      this.reserve(this.count + 1);
      slot = this.count++;
      this.ids[slot] = id;
      this.slotOf.set(id, slot);
    }
    for (let i = 0; i < this.dim; i++) this.data[slot * this.dim + i] = vector[offset + i];
  }

  build(ids: ArrayLike<number>, vectors: Float32Array): void {
    const n = ids.length;
    if (vectors.length !== n * this.dim) throw new InvalidError(`build needs ${n * this.dim} floats for ${n} vectors, got ${vectors.length}`);
    this.count = 0;
    this.slotOf.clear();
    this.data = new Float32Array(Math.max(16, n) * this.dim);
    this.ids = new Uint32Array(Math.max(16, n));
    for (let i = 0; i < n; i++) this.add(ids[i], vectors, i * this.dim);
  }

  remove(id: number): number {
    checkVectorId(id);
    const slot = this.slotOf.get(id);
    if (slot === undefined) return 0;
    this.slotOf.delete(id);
    const last = --this.count;
    if (slot !== last) {
      const moved = this.ids[last];
      this.ids[slot] = moved;
      this.data.copyWithin(slot * this.dim, last * this.dim, (last + 1) * this.dim);
      this.slotOf.set(moved, slot);
    }
    return 1;
  }

  has(id: number): boolean {
    return this.slotOf.has(id);
  }

  get(id: number): Float32Array | undefined {
    const slot = this.slotOf.get(id);
    return slot === undefined ? undefined : this.data.slice(slot * this.dim, (slot + 1) * this.dim);
  }

  nearest(query: ArrayLike<number>, k: number, out = new VectorMatches()): VectorMatches {
    checkVector(query, 0, this.dim, 'query');
    checkK(k);
    const top = new TopK(k);
    if (k > 0) scanTopK(this.data, this.ids, 0, this.count, this.dim, Float32Array.from({ length: this.dim }, (_, i) => query[i]), top);
    return top.drain(out);
  }

  radius(query: ArrayLike<number>, radius: number, out = new VectorMatches(), limit = 100_000): VectorMatches {
    checkVector(query, 0, this.dim, 'query');
    if (!(radius >= 0)) throw new InvalidError('radius must be a non-negative number');
    const q = Float32Array.from({ length: this.dim }, (_, i) => query[i]);
    const r2 = radius * radius;
    out.clear();
    for (let i = 0; i < this.count; i++) {
      const d = squaredDistance(this.data, i * this.dim, q, 0, this.dim);
      if (d <= r2) out.push(this.ids[i], Math.sqrt(d));
    }
    out.sort();
    if (out.count > limit) out.count = limit;
    return out;
  }

  async save(path: string, checkpoint: bigint | number): Promise<void> {
    await writeSnapshot(path, {
      kind: SnapshotKind.FlatVector,
      entryCount: this.count,
      checkpoint,
      params: [this.dim],
      sections: [this.ids.subarray(0, this.count), this.data.subarray(0, this.count * this.dim)],
    });
  }

  static async load(path: string): Promise<{ index: FlatVectorIndex; checkpoint: bigint }> {
    let index: FlatVectorIndex | undefined;
    const snap = await readSnapshot(path, [SnapshotKind.FlatVector], (i, bytes, params, n) => {
      if (params.length !== 1 || params[0] < 1) throw corruptSnapshot(path, 'bad parameters');
      index ??= new FlatVectorIndex(params[0], { capacity: n });
      if (i === 0 && bytes === n * 4) return index.ids.subarray(0, n);
      if (i === 1 && bytes === n * params[0] * 4) return index.data.subarray(0, n * params[0]);
      throw corruptSnapshot(path, `section ${i} does not fit ${n} vectors`);
    });
    if (!index || snap.sections.length !== 2) throw corruptSnapshot(path, 'missing sections');
    index.count = snap.entryCount;
    for (let i = 0; i < index.count; i++) {
      if (index.slotOf.has(index.ids[i])) throw corruptSnapshot(path, `duplicate id ${index.ids[i]}`);
      index.slotOf.set(index.ids[i], i);
    }
    return { index, checkpoint: snap.checkpoint };
  }

  memoryBytes(): number {
    return this.data.byteLength + this.ids.byteLength + this.slotOf.size * 16;
  }

  private reserve(n: number): void {
    if (n <= this.ids.length) return;
    const capacity = Math.max(n, this.ids.length * 2);
    const data = new Float32Array(capacity * this.dim);
    data.set(this.data.subarray(0, this.count * this.dim));
    const ids = new Uint32Array(capacity);
    ids.set(this.ids.subarray(0, this.count));
    this.data = data;
    this.ids = ids;
  }
}

/**
 * Offers entries [from, to) of a packed block to `top`. The first quarter of the dimensions is summed first: once the
 * heap is full, an entry whose partial sum already exceeds the bound is skipped without reading the rest. The loops
 * are written out here on Float32Arrays only (no call per entry, one array type), which V8 compiles to tight code.
 */
export function scanTopK(data: Float32Array, ids: Uint32Array, from: number, to: number, dim: number, q: Float32Array, top: TopK): void {
  const head = dim >= 32 ? (dim >> 2) & ~3 : dim & ~3;
  let bound = top.bound;
  for (let i = from; i < to; i++) {
    const at = i * dim;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let j = 0;
    for (; j < head; j += 4) {
      const d0 = data[at + j] - q[j];
      const d1 = data[at + j + 1] - q[j + 1];
      const d2 = data[at + j + 2] - q[j + 2];
      const d3 = data[at + j + 3] - q[j + 3];
      s0 += d0 * d0;
      s1 += d1 * d1;
      s2 += d2 * d2;
      s3 += d3 * d3;
    }
    if (s0 + s1 + s2 + s3 > bound) continue;
    for (; j + 4 <= dim; j += 4) {
      const d0 = data[at + j] - q[j];
      const d1 = data[at + j + 1] - q[j + 1];
      const d2 = data[at + j + 2] - q[j + 2];
      const d3 = data[at + j + 3] - q[j + 3];
      s0 += d0 * d0;
      s1 += d1 * d1;
      s2 += d2 * d2;
      s3 += d3 * d3;
    }
    for (; j < dim; j++) {
      const d = data[at + j] - q[j];
      s0 += d * d;
    }
    const s = s0 + s1 + s2 + s3;
    if (s > bound) continue;
    top.offer(s, ids[i]);
    bound = top.bound;
  }
}
