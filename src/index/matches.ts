/**
 * Query results as parallel typed arrays: `ids[i]`, `distances[i]` and (for dihedral queries) `variants[i]` for
 * i < count. One Matches object can be reused across queries (pass it as `out`): it is cleared, and its arrays grow
 * only when a query returns more results than ever before. No object is created per match.
 */
export class Matches {
  count = 0;
  ids: Uint32Array;
  distances: Uint16Array;
  /** Which of the eight dihedral query variants matched (0 for plain queries). */
  variants: Uint8Array;
  /** Internal entry slot of each match (used to merge dihedral results; meaningless across index changes). */
  slots: Uint32Array;

  constructor(capacity = 64) {
    const c = Math.max(1, capacity | 0);
    this.ids = new Uint32Array(c);
    this.distances = new Uint16Array(c);
    this.variants = new Uint8Array(c);
    this.slots = new Uint32Array(c);
  }

  clear(): this {
    this.count = 0;
    return this;
  }

  push(id: number, distance: number, slot: number, variant = 0): void {
    const i = this.count;
    if (i === this.ids.length) this.grow(i * 2);
    this.ids[i] = id;
    this.distances[i] = distance;
    this.slots[i] = slot;
    this.variants[i] = variant;
    this.count = i + 1;
  }

  /** Ensures room for `capacity` results without losing the current ones. */
  grow(capacity: number): void {
    if (capacity <= this.ids.length) return;
    const ids = new Uint32Array(capacity);
    ids.set(this.ids.subarray(0, this.count));
    const distances = new Uint16Array(capacity);
    distances.set(this.distances.subarray(0, this.count));
    const variants = new Uint8Array(capacity);
    variants.set(this.variants.subarray(0, this.count));
    const slots = new Uint32Array(capacity);
    slots.set(this.slots.subarray(0, this.count));
    this.ids = ids;
    this.distances = distances;
    this.variants = variants;
    this.slots = slots;
  }

  /** Sorts the results in place by (distance, id, variant, slot): the canonical order of `nearest` and of tests. */
  sort(): this {
    const n = this.count;
    if (n < 2) return this;
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    const { ids, distances, variants, slots } = this;
    order.sort((a, b) => distances[a] - distances[b] || ids[a] - ids[b] || variants[a] - variants[b] || slots[a] - slots[b]);
    this.permute(order);
    return this;
  }

  /** Keeps the first `k` results. */
  truncate(k: number): this {
    if (k < this.count) this.count = Math.max(0, k);
    return this;
  }

  /**
   * Collapses results to one per id (an id can hold several hashes): keeps its smallest distance (then smallest
   * variant), ordered by (distance, id).
   */
  bestPerId(): this {
    const n = this.count;
    if (n < 2) return this;
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    const { ids, distances, variants } = this;
    order.sort((a, b) => ids[a] - ids[b] || distances[a] - distances[b] || variants[a] - variants[b]);
    this.permute(order);
    let out = 0;
    for (let i = 0; i < n; i++) {
      if (out > 0 && this.ids[out - 1] === this.ids[i]) continue;
      this.ids[out] = this.ids[i];
      this.distances[out] = this.distances[i];
      this.variants[out] = this.variants[i];
      this.slots[out] = this.slots[i];
      out++;
    }
    this.count = out;
    return this.sort();
  }

  private permute(order: Uint32Array): void {
    const n = this.count;
    const ids = this.ids.slice(0, n);
    const distances = this.distances.slice(0, n);
    const variants = this.variants.slice(0, n);
    const slots = this.slots.slice(0, n);
    for (let i = 0; i < n; i++) {
      const j = order[i];
      this.ids[i] = ids[j];
      this.distances[i] = distances[j];
      this.variants[i] = variants[j];
      this.slots[i] = slots[j];
    }
  }
}

/**
 * Merges results tagged with variants so that each entry slot appears once, with its smallest distance (ties: the
 * lowest variant). Works in place on `m`.
 */
export function dedupeBySlot(m: Matches): void {
  const n = m.count;
  if (n < 2) return;
  // slot < 2^32, distance < 2^9, variant < 2^3: the key fits a double exactly (< 2^44).
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = m.slots[i] * 4096 + m.distances[i] * 8 + m.variants[i];
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => keys[a] - keys[b]);
  const ids = m.ids.slice(0, n);
  let out = 0;
  let previous = -1;
  for (let i = 0; i < n; i++) {
    const j = order[i];
    const key = keys[j];
    const slot = Math.floor(key / 4096);
    if (slot === previous) continue;
    previous = slot;
    m.ids[out] = ids[j];
    m.slots[out] = slot;
    m.distances[out] = Math.floor(key / 8) % 512;
    m.variants[out] = key % 8;
    out++;
  }
  m.count = out;
}
