import { InvalidError } from '../core/errors.js';
import { HASH256_BYTES } from '../core/hash256.js';
import { WORDS_PER_HASH, bytesToWords, checkHashAt, checkId, checkRadius, pc32 } from './bits.js';
import { radiusDihedralWith } from './dihedral.js';
import { Matches } from './matches.js';
import type { IndexOptions, LoadedIndex, SignalIndex } from './signal-index.js';
import { SnapshotKind, corruptSnapshot, readSnapshot, writeSnapshot } from './snapshot.js';
import { allocU32, growU32 } from './typed.js';

/**
 * The reference index: every hash packed as eight 32-bit words in one Uint32Array, ids beside them, and a popcount
 * scan of all of them per query. Removal moves the last entry into the hole (O(n) to find the id's entries).
 */
export class LinearIndex implements SignalIndex {
  private words: Uint32Array;
  private ids: Uint32Array;
  private count = 0;
  private readonly shared: boolean;
  private readonly query = new Uint32Array(WORDS_PER_HASH);
  private readonly scratch = new Matches();
  private distanceScratch = new Uint16Array(0);

  constructor(options: IndexOptions & { capacity?: number } = {}) {
    this.shared = options.shared ?? false;
    const capacity = Math.max(16, options.capacity ?? 16);
    this.words = allocU32(capacity * WORDS_PER_HASH, this.shared);
    this.ids = allocU32(capacity, this.shared);
  }

  get size(): number {
    return this.count;
  }

  add(id: number, hash: Uint8Array, offset = 0): void {
    checkId(id);
    checkHashAt(hash, offset);
    this.reserve(this.count + 1);
    bytesToWords(hash, offset, this.words, this.count * WORDS_PER_HASH);
    this.ids[this.count] = id;
    this.count++;
  }

  build(ids: ArrayLike<number>, packed: Uint8Array): void {
    const n = checkBuildInput(ids, packed);
    this.words = allocU32(Math.max(16, n) * WORDS_PER_HASH, this.shared);
    this.ids = allocU32(Math.max(16, n), this.shared);
    for (let i = 0; i < n; i++) {
      bytesToWords(packed, i * HASH256_BYTES, this.words, i * WORDS_PER_HASH);
      this.ids[i] = ids[i];
    }
    this.count = n;
  }

  remove(id: number): number {
    checkId(id);
    let removed = 0;
    let i = 0;
    while (i < this.count) {
      if (this.ids[i] !== id) {
        i++;
        continue;
      }
      const last = this.count - 1;
      if (i !== last) {
        this.ids[i] = this.ids[last];
        this.words.copyWithin(i * WORDS_PER_HASH, last * WORDS_PER_HASH, (last + 1) * WORDS_PER_HASH);
      }
      this.count--;
      removed++;
    }
    return removed;
  }

  radius(query: Uint8Array, radius: number, out: Matches = new Matches(), offset = 0): Matches {
    checkHashAt(query, offset, 'query');
    checkRadius(radius);
    out.clear();
    const q = this.query;
    bytesToWords(query, offset, q, 0);
    scanRadius(this.words, this.ids, 0, this.count, q, radius, out);
    return out;
  }

  nearest(query: Uint8Array, k: number, out: Matches = new Matches(), offset = 0): Matches {
    checkHashAt(query, offset, 'query');
    checkK(k);
    out.clear();
    const n = this.count;
    if (k === 0 || n === 0) return out;
    const q = this.query;
    bytesToWords(query, offset, q, 0);
    if (this.distanceScratch.length < n) this.distanceScratch = new Uint16Array(n);
    const distances = this.distanceScratch;
    const histogram = new Uint32Array(257);
    const words = this.words;
    for (let i = 0, w = 0; i < n; i++, w += WORDS_PER_HASH) {
      const d =
        pc32(words[w] ^ q[0]) + pc32(words[w + 1] ^ q[1]) + pc32(words[w + 2] ^ q[2]) + pc32(words[w + 3] ^ q[3]) +
        pc32(words[w + 4] ^ q[4]) + pc32(words[w + 5] ^ q[5]) + pc32(words[w + 6] ^ q[6]) + pc32(words[w + 7] ^ q[7]);
      distances[i] = d;
      histogram[d]++;
    }
    let cutoff = 0;
    for (let total = 0; cutoff <= 256; cutoff++) {
      total += histogram[cutoff];
      if (total >= k) break;
    }
    for (let i = 0; i < n; i++) if (distances[i] <= cutoff) out.push(this.ids[i], distances[i], i);
    return out.sort().truncate(k);
  }

  radiusDihedral(queries8: Uint8Array, radius: number, out: Matches = new Matches()): Matches {
    return radiusDihedralWith(queries8, radius, out, this.scratch, (q, r, o, offset) => this.radius(q, r, o, offset));
  }

  memoryBytes(): number {
    return this.words.byteLength + this.ids.byteLength;
  }

  async save(path: string, checkpoint: bigint | number): Promise<void> {
    const n = this.count;
    await writeSnapshot(path, {
      kind: SnapshotKind.Linear256,
      entryCount: n,
      checkpoint,
      params: [],
      sections: [this.words.subarray(0, n * WORDS_PER_HASH), this.ids.subarray(0, n)],
    });
  }

  static async load(path: string, options: IndexOptions = {}): Promise<LoadedIndex<LinearIndex>> {
    const shared = options.shared ?? false;
    const snapshot = await readSnapshot(path, [SnapshotKind.Linear256], (i, byteLength, _params, n) => {
      const expected = i === 0 ? n * WORDS_PER_HASH * 4 : i === 1 ? n * 4 : -1;
      if (byteLength !== expected) throw corruptSnapshot(path, `section ${i} has ${byteLength} bytes, expected ${expected}`);
      return allocU32(byteLength / 4, shared);
    });
    if (snapshot.sections.length !== 2) throw corruptSnapshot(path, `expected 2 sections, found ${snapshot.sections.length}`);
    const index = new LinearIndex({ shared });
    const n = snapshot.entryCount;
    index.words = snapshot.sections[0] as Uint32Array;
    index.ids = snapshot.sections[1] as Uint32Array;
    index.count = n;
    return { index, checkpoint: snapshot.checkpoint };
  }

  private reserve(needed: number): void {
    if (needed <= this.ids.length) return;
    const capacity = Math.max(needed, Math.ceil(this.ids.length * 1.5));
    this.words = growU32(this.words, this.count * WORDS_PER_HASH, capacity * WORDS_PER_HASH, this.shared);
    this.ids = growU32(this.ids, this.count, capacity, this.shared);
  }
}

/**
 * Pushes every entry in [from, to) of `words`/`ids` within `radius` of `q` (eight words). Rejects after the first
 * four words when they already exceed the radius. `alive`, when given, is a bitset of removed slots to skip.
 */
export function scanRadius(
  words: Uint32Array,
  ids: Uint32Array,
  from: number,
  to: number,
  q: Uint32Array,
  radius: number,
  out: Matches,
  dead?: Uint32Array | null,
): void {
  const q0 = q[0], q1 = q[1], q2 = q[2], q3 = q[3], q4 = q[4], q5 = q[5], q6 = q[6], q7 = q[7];
  for (let i = from, w = from * WORDS_PER_HASH; i < to; i++, w += WORDS_PER_HASH) {
    let d = pc32(words[w] ^ q0) + pc32(words[w + 1] ^ q1) + pc32(words[w + 2] ^ q2) + pc32(words[w + 3] ^ q3);
    if (d > radius) continue;
    d += pc32(words[w + 4] ^ q4) + pc32(words[w + 5] ^ q5) + pc32(words[w + 6] ^ q6) + pc32(words[w + 7] ^ q7);
    if (d > radius) continue;
    if (dead && (dead[i >>> 5] & (1 << (i & 31))) !== 0) continue;
    out.push(ids[i], d, i);
  }
}

export function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 0) throw new InvalidError(`k must be a non-negative integer, got ${k}`);
}

/** Validates `build` input and returns the entry count. */
export function checkBuildInput(ids: ArrayLike<number>, packed: Uint8Array): number {
  if (!(packed instanceof Uint8Array)) throw new InvalidError('packed hashes must be a Uint8Array');
  const n = ids.length;
  if (packed.length !== n * HASH256_BYTES) {
    throw new InvalidError(`packed hashes hold ${packed.length} bytes, expected ${n * HASH256_BYTES} for ${n} ids`);
  }
  for (let i = 0; i < n; i++) checkId(ids[i]);
  return n;
}
