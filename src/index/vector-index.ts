import { InvalidError } from '../core/errors.js';

/**
 * Indexes over float vectors (face descriptors, scene descriptors), the counterpart of SignalIndex for signals
 * whose distance is Euclidean rather than Hamming. The lifecycle is SignalIndex's (size, add, build, remove, a
 * nearest-k and a radius query, save with a checkpoint, memoryBytes), so the catalog keeps both kinds current the
 * same way; the Hamming-only parts (bit radius 0..256, dihedral variants) have no meaning for vectors and are left
 * out rather than faked.
 *
 * Model
 * - Entries are (id, vector of `dim` float32). Ids are integers 0..2^32-1 and unique: adding an id already held
 *   replaces its vector.
 * - Distances are Euclidean (not squared). `nearest(q, k)` returns the k nearest entries sorted by (distance, id);
 *   `radius(q, r)` every entry with distance <= r, sorted the same way.
 * - An exact index answers exactly as a scan; an approximate one may miss entries (its recall is measured by the
 *   benchmark), never reports an entry that does not satisfy the query, and reports true distances.
 */
export interface VectorIndex {
  readonly dim: number;
  readonly size: number;
  /** Whether answers are exact (true) or approximate. */
  readonly exact: boolean;
  add(id: number, vector: ArrayLike<number>, offset?: number): void;
  /** Replaces the content with `ids.length` entries: entry i is (ids[i], vectors[dim i .. dim i + dim)). */
  build(ids: ArrayLike<number>, vectors: Float32Array): void;
  /** Removes the entry of `id`; returns 1 when it was held, else 0. */
  remove(id: number): number;
  has(id: number): boolean;
  /** The stored vector of `id` (a copy), or undefined. */
  get(id: number): Float32Array | undefined;
  nearest(query: ArrayLike<number>, k: number, out?: VectorMatches): VectorMatches;
  radius(query: ArrayLike<number>, radius: number, out?: VectorMatches, limit?: number): VectorMatches;
  save(path: string, checkpoint: bigint | number): Promise<void>;
  memoryBytes(): number;
}

/** Results as parallel arrays (`ids[i]`, `distances[i]` for i < count), reusable across queries. */
export class VectorMatches {
  count = 0;
  ids: Uint32Array;
  distances: Float32Array;

  constructor(capacity = 16) {
    this.ids = new Uint32Array(Math.max(1, capacity));
    this.distances = new Float32Array(Math.max(1, capacity));
  }

  clear(): this {
    this.count = 0;
    return this;
  }

  push(id: number, distance: number): void {
    if (this.count === this.ids.length) {
      const ids = new Uint32Array(this.count * 2);
      ids.set(this.ids);
      const d = new Float32Array(this.count * 2);
      d.set(this.distances);
      this.ids = ids;
      this.distances = d;
    }
    this.ids[this.count] = id;
    this.distances[this.count] = distance;
    this.count++;
  }

  /** Sorts by (distance, id). */
  sort(): this {
    const n = this.count;
    const order = Array.from({ length: n }, (_, i) => i);
    order.sort((a, b) => this.distances[a] - this.distances[b] || this.ids[a] - this.ids[b]);
    const ids = this.ids.slice(0, n);
    const d = this.distances.slice(0, n);
    for (let i = 0; i < n; i++) {
      this.ids[i] = ids[order[i]];
      this.distances[i] = d[order[i]];
    }
    return this;
  }

  toArray(): Array<{ id: number; distance: number }> {
    const out: Array<{ id: number; distance: number }> = [];
    for (let i = 0; i < this.count; i++) out.push({ id: this.ids[i], distance: this.distances[i] });
    return out;
  }
}

/**
 * Keeps the k smallest (squared distance, id) pairs seen: a binary max-heap on parallel arrays, so a scan of
 * millions of entries allocates nothing per entry.
 */
export class TopK {
  readonly k: number;
  size = 0;
  private readonly keys: Float64Array;
  private readonly ids: Uint32Array;

  constructor(k: number) {
    this.k = k;
    this.keys = new Float64Array(Math.max(1, k));
    this.ids = new Uint32Array(Math.max(1, k));
  }

  /** The largest key held once full (entries at or above it cannot enter), else Infinity. */
  get bound(): number {
    return this.size < this.k ? Infinity : this.keys[0];
  }

  offer(key: number, id: number): void {
    const { keys, ids } = this;
    if (this.size < this.k) {
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!worse(key, id, keys[parent], ids[parent])) break;
        keys[i] = keys[parent];
        ids[i] = ids[parent];
        i = parent;
      }
      keys[i] = key;
      ids[i] = id;
      return;
    }
    if (!worse(keys[0], ids[0], key, id)) return;
    let i = 0;
    const n = this.size;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && worse(keys[r], ids[r], keys[l], ids[l]) ? r : l;
      if (!worse(keys[c], ids[c], key, id)) break;
      keys[i] = keys[c];
      ids[i] = ids[c];
      i = c;
    }
    keys[i] = key;
    ids[i] = id;
  }

  /** Writes the held pairs into `out` as Euclidean distances, sorted by (distance, id). */
  drain(out: VectorMatches): VectorMatches {
    out.clear();
    for (let i = 0; i < this.size; i++) out.push(this.ids[i], Math.sqrt(Math.max(0, this.keys[i])));
    return out.sort();
  }
}

function worse(keyA: number, idA: number, keyB: number, idB: number): boolean {
  return keyA > keyB || (keyA === keyB && idA > idB);
}

export function checkVectorId(id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw new InvalidError(`index ids are integers 0..2^32-1, got ${id}`);
}

export function checkVector(vector: ArrayLike<number>, offset: number, dim: number, what = 'vector'): void {
  if (offset < 0 || vector.length < offset + dim) throw new InvalidError(`${what} needs ${dim} values at offset ${offset}`);
  for (let i = 0; i < dim; i++) if (!Number.isFinite(vector[offset + i])) throw new InvalidError(`${what} holds a value that is not a finite number`);
}

export function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 0 || k > 100_000) throw new InvalidError(`k is 0 to 100000, got ${k}`);
}

/** Squared Euclidean distance between `a[ao..ao+dim)` and `b[bo..bo+dim)`, unrolled by four. */
export function squaredDistance(a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number, dim: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 4 <= dim; i += 4) {
    const d0 = a[ao + i] - b[bo + i];
    const d1 = a[ao + i + 1] - b[bo + i + 1];
    const d2 = a[ao + i + 2] - b[bo + i + 2];
    const d3 = a[ao + i + 3] - b[bo + i + 3];
    s0 += d0 * d0;
    s1 += d1 * d1;
    s2 += d2 * d2;
    s3 += d3 * d3;
  }
  for (; i < dim; i++) {
    const d = a[ao + i] - b[bo + i];
    s0 += d * d;
  }
  return s0 + s1 + s2 + s3;
}
