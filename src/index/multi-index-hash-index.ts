import { InvalidError } from '../core/errors.js';
import { HASH256_BYTES } from '../core/hash256.js';
import { MASKS_BY_WEIGHT, MASK_COUNT_UPTO, POP16, WORDS_PER_HASH, bytesToWords, checkHashAt, checkId, checkRadius, pc32 } from './bits.js';
import { radiusDihedralWith } from './dihedral.js';
import { checkBuildInput, checkK, scanRadius } from './linear-index.js';
import { Matches } from './matches.js';
import type { IndexOptions, LoadedIndex, SignalIndex } from './signal-index.js';
import { SnapshotKind, corruptSnapshot, readSnapshot, writeSnapshot } from './snapshot.js';
import { allocI32, allocU16, allocU32, bytesOf, growI32, growU32 } from './typed.js';

/**
 * Exact radius search over 256-bit codes by multi-index hashing.
 *
 * Slicing. A hash is eight 32-bit words ("pairs"); each pair is two 16-bit slices, lo (slice 2p) and hi (slice
 * 2p+1). For a radius r let T = floor(r / 8) and t = floor(T / 2). Pigeonhole, twice: if d(q, h) <= r then some pair
 * p has d_p <= T (otherwise d >= 8 (T + 1) > r), and within that pair some slice has distance <= t (otherwise
 * d_p >= 2 (t + 1) > T). So every match is found by enumerating, for each of the 16 slices, every 16-bit key within
 * t bits of the query's slice, and keeping the entries of that key whose pair distance is <= T. At r = 31 that is
 * T = 3, t = 1: 17 keys per slice.
 *
 * Postings (the static part, CSR form). For slice 2p: `off[2p]` (65537 offsets) buckets the entries by their lo
 * value, each bucket sorted by hi; `nbr[2p]` holds each posting's hi value and `pos[p]` its entry slot. For slice
 * 2p+1: `off[2p+1]` buckets by hi, each bucket sorted by lo, and `nbr[2p+1]` holds the lo value, without slots: a
 * passing (hi, lo) is looked up by binary search in bucket lo of slice 2p. The neighbour value stored in each posting
 * rejects about 99 % of candidates at r = 31 while scanning a bucket sequentially, before any full hash is touched.
 * Per entry: 32 B hash + 4 B id + 16 x 2 B neighbours + 8 x 4 B slots = 100 B.
 *
 * Duplicates. An entry can be reached from several slices; it is reported only from the first slice (in order
 * 0..15) that reaches it, which is computed from the full hash when it matches. No per-query dedupe array.
 *
 * Updates. New entries go into a delta part (the slots after the static ones) indexed by per-slice chains (a head
 * per slice and key, a next link per entry and slice). Removal marks slots dead in a bitset. When the delta grows
 * past max(mergeAt, static / 16) entries, or dead slots past max(mergeAt, size / 8), the live entries are compacted
 * and the static postings rebuilt (amortised O(1) per update). When the enumeration would cost more than scanning
 * every hash (large radii), the query scans every hash instead: results are the same either way.
 */

const SLICES = 16;
const PAIRS = 8;
const KEYS = 65536;
const DEFAULT_MERGE_AT = 65536;

/** Rough relative costs (estimates, not tuned) for choosing between enumeration and a full scan; results are exact either way. */
const COST_PER_SCANNED_HASH = 4;
const COST_PER_POSTING = 1;
const COST_PER_PROBE = 3;
const COST_PER_CHAIN_NODE = 6;

export interface MultiIndexOptions extends IndexOptions {
  /** Minimum delta size before a merge (default 65536); small values are for tests. */
  mergeAt?: number;
  /**
   * Scan every hash instead of enumerating when that is estimated to be cheaper (default true). Results are the same
   * either way; tests turn it off to exercise the enumeration at every radius.
   */
  linearFallback?: boolean;
}

/** The arrays of a merged index, for read-only copies in worker threads (all on SharedArrayBuffer). */
export interface MultiIndexSharedState {
  count: number;
  words: Uint32Array;
  ids: Uint32Array;
  off: Uint32Array[];
  nbr: Uint16Array[];
  pos: Uint32Array[];
}

export class MultiIndexHashIndex implements SignalIndex {
  private readonly shared: boolean;
  private readonly mergeAt: number;
  private readonly linearFallback: boolean;
  private readOnly = false;

  // Entries: slot i holds words [8 i, 8 i + 8) and ids[i]. Slots < staticCount are in the postings.
  private words: Uint32Array;
  private ids: Uint32Array;
  private count = 0;
  private dead: Uint32Array | null = null;
  private deadCount = 0;

  private staticCount = 0;
  private off: Uint32Array[] = [];
  private nbr: Uint16Array[] = [];
  private pos: Uint32Array[] = [];

  // Delta chains: heads[s * 65536 + key] = delta index of the newest entry with that key, next[j * 16 + s] = the one before.
  private heads: Int32Array | null = null;
  private next: Int32Array = new Int32Array(0);

  private readonly q = new Uint32Array(WORDS_PER_HASH);
  private readonly scratch = new Matches();

  constructor(options: MultiIndexOptions = {}) {
    this.shared = options.shared ?? false;
    const mergeAt = options.mergeAt ?? DEFAULT_MERGE_AT;
    if (!Number.isInteger(mergeAt) || mergeAt < 1) throw new InvalidError(`mergeAt must be a positive integer, got ${mergeAt}`);
    this.mergeAt = mergeAt;
    this.linearFallback = options.linearFallback ?? true;
    this.words = allocU32(16 * WORDS_PER_HASH, this.shared);
    this.ids = allocU32(16, this.shared);
    this.buildStatic();
  }

  get size(): number {
    return this.count - this.deadCount;
  }

  /** Entries in the static postings and in the delta (for monitoring and tests). */
  get parts(): { static: number; delta: number; dead: number } {
    return { static: this.staticCount, delta: this.count - this.staticCount, dead: this.deadCount };
  }

  add(id: number, hash: Uint8Array, offset = 0): void {
    this.checkWritable();
    checkId(id);
    checkHashAt(hash, offset);
    this.reserve(this.count + 1);
    const slot = this.count;
    bytesToWords(hash, offset, this.words, slot * WORDS_PER_HASH);
    this.ids[slot] = id;
    this.count++;
    const j = slot - this.staticCount;
    if (j >= Math.max(this.mergeAt, this.staticCount >>> 4)) {
      this.merge();
      return;
    }
    this.link(j);
  }

  build(ids: ArrayLike<number>, packed: Uint8Array): void {
    this.checkWritable();
    const n = checkBuildInput(ids, packed);
    const capacity = Math.max(16, n);
    const words = allocU32(capacity * WORDS_PER_HASH, this.shared);
    const idArray = allocU32(capacity, this.shared);
    for (let i = 0; i < n; i++) {
      bytesToWords(packed, i * HASH256_BYTES, words, i * WORDS_PER_HASH);
      idArray[i] = ids[i];
    }
    this.words = words;
    this.ids = idArray;
    this.count = n;
    this.dead = null;
    this.deadCount = 0;
    this.buildStatic();
  }

  remove(id: number): number {
    this.checkWritable();
    checkId(id);
    const ids = this.ids;
    const n = this.count;
    let removed = 0;
    for (let i = 0; i < n; i++) {
      if (ids[i] !== id) continue;
      if (this.dead === null) this.dead = allocU32((this.ids.length + 31) >>> 5, false);
      const bit = 1 << (i & 31);
      if ((this.dead[i >>> 5] & bit) !== 0) continue;
      this.dead[i >>> 5] |= bit;
      removed++;
    }
    this.deadCount += removed;
    if (removed > 0 && this.deadCount >= Math.max(this.mergeAt, this.size >>> 3)) this.merge();
    return removed;
  }

  /** Compacts removed entries and moves the delta into the static postings. */
  merge(): void {
    this.checkWritable();
    if (this.deadCount > 0 && this.dead) {
      const dead = this.dead;
      const words = this.words;
      const ids = this.ids;
      let out = 0;
      for (let i = 0; i < this.count; i++) {
        if ((dead[i >>> 5] & (1 << (i & 31))) !== 0) continue;
        if (out !== i) {
          ids[out] = ids[i];
          words.copyWithin(out * WORDS_PER_HASH, i * WORDS_PER_HASH, (i + 1) * WORDS_PER_HASH);
        }
        out++;
      }
      this.count = out;
    }
    this.dead = null;
    this.deadCount = 0;
    this.buildStatic();
  }

  radius(query: Uint8Array, radius: number, out: Matches = new Matches(), offset = 0): Matches {
    checkHashAt(query, offset, 'query');
    checkRadius(radius);
    out.clear();
    const q = this.q;
    bytesToWords(query, offset, q, 0);
    const T = radius >>> 3;
    const t = T >>> 1;
    if (this.linearFallback && this.enumerationCost(t) > this.count * COST_PER_SCANNED_HASH) {
      scanRadius(this.words, this.ids, 0, this.count, q, radius, out, this.deadCount > 0 ? this.dead : null);
      return out;
    }
    const keys = MASK_COUNT_UPTO[t];
    if (this.staticCount > 0) for (let p = 0; p < PAIRS; p++) this.searchPair(p, q, radius, T, t, keys, out);
    if (this.count > this.staticCount) this.searchDelta(q, radius, T, t, keys, out);
    return out;
  }

  nearest(query: Uint8Array, k: number, out: Matches = new Matches(), offset = 0): Matches {
    checkHashAt(query, offset, 'query');
    checkK(k);
    out.clear();
    if (k === 0 || this.size === 0) return out;
    // The k nearest lie within any radius that already holds k entries; grow the radius until one does.
    for (const r of [15, 31, 47, 63, 95, 127, 256]) {
      this.radius(query, r, out, offset);
      if (out.count >= k || r === 256) break;
    }
    return out.sort().truncate(k);
  }

  radiusDihedral(queries8: Uint8Array, radius: number, out: Matches = new Matches()): Matches {
    return radiusDihedralWith(queries8, radius, out, this.scratch, (q, r, o, offset) => this.radius(q, r, o, offset));
  }

  memoryBytes(): number {
    return bytesOf(this.words, this.ids, this.dead, this.off, this.nbr, this.pos, this.heads, this.next);
  }

  /**
   * Merges, then returns the arrays for `fromSharedState` in worker threads. Requires `shared: true`. The copies see
   * this index as it is now; after further updates export again (updates may reallocate the arrays).
   */
  exportShared(): MultiIndexSharedState {
    if (!this.shared) throw new InvalidError('exportShared needs an index created with { shared: true }');
    if (this.count !== this.staticCount || this.deadCount > 0) this.merge();
    return { count: this.count, words: this.words, ids: this.ids, off: this.off, nbr: this.nbr, pos: this.pos };
  }

  /** A read-only index over arrays exported by `exportShared` (in another thread). */
  static fromSharedState(state: MultiIndexSharedState): MultiIndexHashIndex {
    const index = new MultiIndexHashIndex({ shared: true });
    index.install(state.count, state.words, state.ids, state.off, state.nbr, state.pos);
    index.readOnly = true;
    return index;
  }

  async save(path: string, checkpoint: bigint | number): Promise<void> {
    if (!this.readOnly && (this.count !== this.staticCount || this.deadCount > 0)) this.merge();
    const n = this.count;
    await writeSnapshot(path, {
      kind: SnapshotKind.MultiIndex256,
      entryCount: n,
      checkpoint,
      params: [SLICES],
      sections: [this.words.subarray(0, n * WORDS_PER_HASH), this.ids.subarray(0, n), ...this.off, ...this.nbr, ...this.pos],
    });
  }

  static async load(path: string, options: MultiIndexOptions = {}): Promise<LoadedIndex<MultiIndexHashIndex>> {
    const shared = options.shared ?? false;
    const snapshot = await readSnapshot(path, [SnapshotKind.MultiIndex256], (i, byteLength, params, n) => {
      if (params.length !== 1 || params[0] !== SLICES) throw corruptSnapshot(path, 'unexpected slice layout');
      const [expected, make] =
        i === 0 ? [n * WORDS_PER_HASH * 4, allocU32]
        : i === 1 ? [n * 4, allocU32]
        : i < 2 + SLICES ? [(KEYS + 1) * 4, allocU32]
        : i < 2 + 2 * SLICES ? [n * 2, allocU16]
        : i < 2 + 2 * SLICES + PAIRS ? [n * 4, allocU32]
        : [-1, allocU32];
      if (byteLength !== expected) throw corruptSnapshot(path, `section ${i} has ${byteLength} bytes, expected ${expected}`);
      return make(byteLength / (make === allocU16 ? 2 : 4), shared);
    });
    if (snapshot.sections.length !== 2 + 2 * SLICES + PAIRS) throw corruptSnapshot(path, `unexpected section count ${snapshot.sections.length}`);
    const n = snapshot.entryCount;
    const s = snapshot.sections;
    const off = s.slice(2, 2 + SLICES) as Uint32Array[];
    const nbr = s.slice(2 + SLICES, 2 + 2 * SLICES) as Uint16Array[];
    const pos = s.slice(2 + 2 * SLICES) as Uint32Array[];
    for (const o of off) {
      if (o[0] !== 0 || o[KEYS] !== n) throw corruptSnapshot(path, 'posting offsets do not cover the entries');
      for (let k = 0; k < KEYS; k++) if (o[k] > o[k + 1]) throw corruptSnapshot(path, 'posting offsets are not sorted');
    }
    for (const p of pos) for (let i = 0; i < n; i++) if (p[i] >= n) throw corruptSnapshot(path, 'posting slot out of range');
    const index = new MultiIndexHashIndex(options);
    index.install(n, s[0] as Uint32Array, s[1] as Uint32Array, off, nbr, pos);
    return { index, checkpoint: snapshot.checkpoint };
  }

  // ---- internals ---------------------------------------------------------------------------------------------------

  private install(n: number, words: Uint32Array, ids: Uint32Array, off: Uint32Array[], nbr: Uint16Array[], pos: Uint32Array[]): void {
    this.words = words;
    this.ids = ids;
    this.count = n;
    this.staticCount = n;
    this.off = off;
    this.nbr = nbr;
    this.pos = pos;
    this.dead = null;
    this.deadCount = 0;
    this.heads = null;
  }

  private checkWritable(): void {
    if (this.readOnly) throw new InvalidError('this index is a read-only shared copy');
  }

  private enumerationCost(t: number): number {
    const probes = SLICES * MASK_COUNT_UPTO[t];
    const delta = this.count - this.staticCount;
    return (
      probes * (COST_PER_PROBE + (COST_PER_POSTING * this.staticCount) / KEYS) +
      (delta > 0 ? probes * (COST_PER_PROBE + (COST_PER_CHAIN_NODE * delta) / KEYS) : 0)
    );
  }

  private reserve(needed: number): void {
    if (needed <= this.ids.length) return;
    const capacity = Math.max(needed, Math.ceil(this.ids.length * 1.5));
    this.words = growU32(this.words, this.count * WORDS_PER_HASH, capacity * WORDS_PER_HASH, this.shared);
    this.ids = growU32(this.ids, this.count, capacity, this.shared);
    if (this.dead) this.dead = growU32(this.dead, this.dead.length, (capacity + 31) >>> 5, false);
  }

  /** Links delta entry j (slot staticCount + j) into the chains of its 16 slices. */
  private link(j: number): void {
    if (this.heads === null) {
      this.heads = allocI32(SLICES * KEYS, false);
      this.heads.fill(-1);
    }
    if ((j + 1) * SLICES > this.next.length) {
      this.next = growI32(this.next, j * SLICES, Math.max((j + 1) * SLICES, Math.ceil(this.next.length * 1.5), 1024 * SLICES), false);
    }
    const heads = this.heads;
    const w = (this.staticCount + j) * WORDS_PER_HASH;
    for (let s = 0; s < SLICES; s++) {
      const word = this.words[w + (s >>> 1)];
      const key = (s & 1) === 0 ? word & 0xffff : word >>> 16;
      const h = s * KEYS + key;
      this.next[j * SLICES + s] = heads[h];
      heads[h] = j;
    }
  }

  /** Rebuilds the static postings from every slot (the caller has compacted) and empties the delta. */
  private buildStatic(): void {
    const n = this.count;
    const shared = this.shared;
    const off: Uint32Array[] = [];
    const nbr: Uint16Array[] = [];
    const pos: Uint32Array[] = [];
    const words = this.words;
    const tmpKey = new Uint32Array(n);
    const tmpPos = new Uint32Array(n);
    const keysA = new Uint32Array(n);
    const countHi = new Uint32Array(KEYS + 1);
    const cursor = new Uint32Array(KEYS);
    for (let p = 0; p < PAIRS; p++) {
      // Pass 1: order slots by hi.
      countHi.fill(0);
      for (let i = 0, w = p; i < n; i++, w += WORDS_PER_HASH) countHi[(words[w] >>> 16) + 1]++;
      for (let k = 0; k < KEYS; k++) countHi[k + 1] += countHi[k];
      cursor.set(countHi.subarray(0, KEYS));
      for (let i = 0, w = p; i < n; i++, w += WORDS_PER_HASH) {
        const v = words[w];
        const dst = cursor[v >>> 16]++;
        tmpKey[dst] = v;
        tmpPos[dst] = i;
      }
      // Pass 2: stable by lo, giving slice 2p ordered by (lo, hi).
      const offA = allocU32(KEYS + 1, shared);
      for (let i = 0, w = p; i < n; i++, w += WORDS_PER_HASH) offA[(words[w] & 0xffff) + 1]++;
      for (let k = 0; k < KEYS; k++) offA[k + 1] += offA[k];
      cursor.set(offA.subarray(0, KEYS));
      const posA = allocU32(n, shared);
      const nbrA = allocU16(n, shared);
      for (let i = 0; i < n; i++) {
        const v = tmpKey[i];
        const dst = cursor[v & 0xffff]++;
        keysA[dst] = v;
        posA[dst] = tmpPos[i];
        nbrA[dst] = v >>> 16;
      }
      // Pass 3: slice 2p+1, stable by hi over the (lo, hi) order, so each bucket is sorted by lo.
      const offB = allocU32(KEYS + 1, shared);
      offB.set(countHi);
      cursor.set(countHi.subarray(0, KEYS));
      const nbrB = allocU16(n, shared);
      for (let i = 0; i < n; i++) {
        const v = keysA[i];
        nbrB[cursor[v >>> 16]++] = v & 0xffff;
      }
      off.push(offA, offB);
      nbr.push(nbrA, nbrB);
      pos.push(posA);
    }
    this.off = off;
    this.nbr = nbr;
    this.pos = pos;
    this.staticCount = n;
    if (this.heads) this.heads.fill(-1);
  }

  /** Searches slices 2p and 2p+1 of the static postings. */
  private searchPair(p: number, q: Uint32Array, radius: number, T: number, t: number, keys: number, out: Matches): void {
    const qw = q[p];
    const qlo = qw & 0xffff;
    const qhi = qw >>> 16;
    const offA = this.off[2 * p];
    const nbrA = this.nbr[2 * p];
    const posA = this.pos[p];
    const sliceA = 2 * p;
    for (let m = 0; m < keys; m++) {
      const mask = MASKS_BY_WEIGHT[m];
      const limit = T - POP16[mask];
      const key = qlo ^ mask;
      const end = offA[key + 1];
      for (let i = offA[key]; i < end; i++) {
        if (POP16[nbrA[i] ^ qhi] <= limit) this.verify(posA[i], sliceA, q, radius, T, t, out);
      }
    }
    const offB = this.off[2 * p + 1];
    const nbrB = this.nbr[2 * p + 1];
    const sliceB = sliceA + 1;
    for (let m = 0; m < keys; m++) {
      const mask = MASKS_BY_WEIGHT[m];
      const limit = T - POP16[mask];
      const key = qhi ^ mask;
      const end = offB[key + 1];
      let previous = -1;
      for (let i = offB[key]; i < end; i++) {
        const lo = nbrB[i];
        if (lo === previous) continue;
        previous = lo;
        if (POP16[lo ^ qlo] > limit) continue;
        // Entries with (lo, hi = key): binary search for `key` in bucket `lo` of slice 2p, sorted by hi.
        let a = offA[lo];
        let b = offA[lo + 1];
        while (a < b) {
          const mid = (a + b) >>> 1;
          if (nbrA[mid] < key) a = mid + 1;
          else b = mid;
        }
        for (; a < offA[lo + 1] && nbrA[a] === key; a++) this.verify(posA[a], sliceB, q, radius, T, t, out);
      }
    }
  }

  /** Searches the delta chains. */
  private searchDelta(q: Uint32Array, radius: number, T: number, t: number, keys: number, out: Matches): void {
    const heads = this.heads;
    if (heads === null) return;
    const next = this.next;
    const words = this.words;
    const base = this.staticCount;
    for (let s = 0; s < SLICES; s++) {
      const p = s >>> 1;
      const qp = q[p];
      const qs = (s & 1) === 0 ? qp & 0xffff : qp >>> 16;
      for (let m = 0; m < keys; m++) {
        let j = heads[s * KEYS + (qs ^ MASKS_BY_WEIGHT[m])];
        while (j >= 0) {
          const slot = base + j;
          if (pc32(words[slot * WORDS_PER_HASH + p] ^ qp) <= T) this.verify(slot, s, q, radius, T, t, out);
          j = next[j * SLICES + s];
        }
      }
    }
  }

  /**
   * Full distance of slot `slot`; pushes it when within the radius, alive, and `slice` is the first slice that
   * reaches it (so each entry is reported once).
   */
  private verify(slot: number, slice: number, q: Uint32Array, radius: number, T: number, t: number, out: Matches): void {
    const words = this.words;
    const w = slot * WORDS_PER_HASH;
    const d =
      pc32(words[w] ^ q[0]) + pc32(words[w + 1] ^ q[1]) + pc32(words[w + 2] ^ q[2]) + pc32(words[w + 3] ^ q[3]) +
      pc32(words[w + 4] ^ q[4]) + pc32(words[w + 5] ^ q[5]) + pc32(words[w + 6] ^ q[6]) + pc32(words[w + 7] ^ q[7]);
    if (d > radius) return;
    for (let p = 0; p < PAIRS; p++) {
      const x = words[w + p] ^ q[p];
      if (pc32(x) <= T) {
        const first = POP16[x & 0xffff] <= t ? 2 * p : 2 * p + 1;
        if (first !== slice) return;
        break;
      }
    }
    const dead = this.dead;
    if (dead !== null && this.deadCount > 0 && (dead[slot >>> 5] & (1 << (slot & 31))) !== 0) return;
    out.push(this.ids[slot], d, slot);
  }
}
