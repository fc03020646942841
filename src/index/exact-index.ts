import { randomInt } from 'node:crypto';

import { InvalidError } from '../core/errors.js';
import { checkId } from './bits.js';
import { SnapshotKind, corruptSnapshot, readSnapshot, writeSnapshot } from './snapshot.js';
import { allocU32, allocU8, bytesOf } from './typed.js';

/**
 * Exact lookup of cryptographic digests (md5, sha1, sha256) to ids: an open-addressing hash table (linear probing)
 * over packed typed arrays. Slot i holds the digest as words [W i, W i + W) of `keys` (W = digest bytes / 4), its id
 * in `ids[i]`, and `state[i]` = empty, full or deleted. Per entry: digest + 4 B id + 1 B state, at a load of at most
 * 0.7.
 *
 * Entries are (digest, id) pairs: a digest may map to several ids (md5 and sha1 collisions exist), adding a pair
 * that is already present does nothing. The slot hash mixes the digest's first two words with a per-index random
 * seed, so crafted digests cannot pile onto one probe sequence.
 */

export type DigestAlgorithm = 'md5' | 'sha1' | 'sha256';

export const DIGEST_BYTES: Readonly<Record<DigestAlgorithm, number>> = { md5: 16, sha1: 20, sha256: 32 };

const EMPTY = 0;
const FULL = 1;
const DELETED = 2;
const MAX_LOAD = 0.7;

export interface ExactIndexOptions {
  /** Expected number of entries (avoids rehashing while loading). */
  capacity?: number;
  /** Allocate on SharedArrayBuffer. */
  shared?: boolean;
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function tableSizeFor(entries: number): number {
  let size = 16;
  while (size * MAX_LOAD < entries + 1) size *= 2;
  return size;
}

export class ExactIndex {
  readonly algorithm: DigestAlgorithm;
  readonly digestBytes: number;
  private readonly wordsPerKey: number;
  private readonly shared: boolean;
  private seed: number;
  private capacity: number;
  private keys: Uint32Array;
  private ids: Uint32Array;
  private state: Uint8Array;
  private full = 0;
  private deleted = 0;
  private readonly probe: Uint32Array;

  constructor(algorithm: DigestAlgorithm, options: ExactIndexOptions = {}) {
    if (!(algorithm in DIGEST_BYTES)) throw new InvalidError(`unknown digest algorithm ${String(algorithm)}`);
    this.algorithm = algorithm;
    this.digestBytes = DIGEST_BYTES[algorithm];
    this.wordsPerKey = this.digestBytes / 4;
    this.shared = options.shared ?? false;
    this.seed = randomInt(0, 0xffffffff);
    this.capacity = tableSizeFor(options.capacity ?? 0);
    this.keys = allocU32(this.capacity * this.wordsPerKey, this.shared);
    this.ids = allocU32(this.capacity, this.shared);
    this.state = allocU8(this.capacity, this.shared);
    this.probe = new Uint32Array(this.wordsPerKey);
  }

  get size(): number {
    return this.full;
  }

  /** Adds (digest, id); returns false when that pair was already present. */
  add(id: number, digest: Uint8Array, offset = 0): boolean {
    checkId(id);
    this.readKey(digest, offset);
    if (this.full + this.deleted + 1 > this.capacity * MAX_LOAD) {
      // Grow when live entries fill half the load; when tombstones are what fills the table, rebuild it at its size.
      this.rehash(this.full + 1 > (this.capacity * MAX_LOAD) / 2 ? tableSizeFor(2 * (this.full + 1)) : this.capacity);
    }
    return this.insert(id);
  }

  /** Every id stored with the digest (into `out`, cleared first). */
  lookup(digest: Uint8Array, offset = 0, out: number[] = []): number[] {
    out.length = 0;
    this.readKey(digest, offset);
    const mask = this.capacity - 1;
    for (let i = this.home(); ; i = (i + 1) & mask) {
      const s = this.state[i];
      if (s === EMPTY) return out;
      if (s === FULL && this.keyAt(i)) out.push(this.ids[i]);
    }
  }

  /** The first id stored with the digest, or -1. */
  first(digest: Uint8Array, offset = 0): number {
    this.readKey(digest, offset);
    const mask = this.capacity - 1;
    for (let i = this.home(); ; i = (i + 1) & mask) {
      const s = this.state[i];
      if (s === EMPTY) return -1;
      if (s === FULL && this.keyAt(i)) return this.ids[i];
    }
  }

  has(digest: Uint8Array, offset = 0): boolean {
    return this.first(digest, offset) >= 0;
  }

  /** Removes the pair (digest, id); returns whether it was present. */
  removeEntry(digest: Uint8Array, id: number, offset = 0): boolean {
    checkId(id);
    this.readKey(digest, offset);
    const mask = this.capacity - 1;
    for (let i = this.home(); ; i = (i + 1) & mask) {
      const s = this.state[i];
      if (s === EMPTY) return false;
      if (s === FULL && this.ids[i] === id && this.keyAt(i)) {
        this.state[i] = DELETED;
        this.full--;
        this.deleted++;
        return true;
      }
    }
  }

  /** Removes every entry of `id` (a scan of the table); returns how many. */
  remove(id: number): number {
    checkId(id);
    let removed = 0;
    for (let i = 0; i < this.capacity; i++) {
      if (this.state[i] === FULL && this.ids[i] === id) {
        this.state[i] = DELETED;
        removed++;
      }
    }
    this.full -= removed;
    this.deleted += removed;
    if (this.deleted > this.capacity / 4) this.rehash(tableSizeFor(this.full));
    return removed;
  }

  memoryBytes(): number {
    return bytesOf(this.keys, this.ids, this.state);
  }

  async save(path: string, checkpoint: bigint | number): Promise<void> {
    await writeSnapshot(path, {
      kind: SnapshotKind.Exact,
      entryCount: this.full,
      checkpoint,
      params: [this.digestBytes, this.seed, this.capacity],
      sections: [this.keys, this.ids, this.state],
    });
  }

  static async load(path: string, options: { shared?: boolean } = {}): Promise<{ index: ExactIndex; checkpoint: bigint }> {
    const shared = options.shared ?? false;
    const snapshot = await readSnapshot(path, [SnapshotKind.Exact], (i, byteLength, params) => {
      if (params.length !== 3) throw corruptSnapshot(path, 'unexpected parameters');
      const [digestBytes, , capacity] = params;
      if (!Object.values(DIGEST_BYTES).includes(digestBytes)) throw corruptSnapshot(path, `unknown digest length ${digestBytes}`);
      if (capacity < 16 || (capacity & (capacity - 1)) !== 0) throw corruptSnapshot(path, `table size ${capacity} is not a power of two`);
      const expected = i === 0 ? capacity * digestBytes : i === 1 ? capacity * 4 : i === 2 ? capacity : -1;
      if (byteLength !== expected) throw corruptSnapshot(path, `section ${i} has ${byteLength} bytes, expected ${expected}`);
      return i === 2 ? allocU8(byteLength, shared) : allocU32(byteLength / 4, shared);
    });
    if (snapshot.sections.length !== 3) throw corruptSnapshot(path, `expected 3 sections, found ${snapshot.sections.length}`);
    const [digestBytes, seed, capacity] = snapshot.params;
    const algorithm = (Object.keys(DIGEST_BYTES) as DigestAlgorithm[]).find((a) => DIGEST_BYTES[a] === digestBytes) as DigestAlgorithm;
    const state = snapshot.sections[2] as Uint8Array;
    let full = 0;
    let deleted = 0;
    for (let i = 0; i < capacity; i++) {
      const s = state[i];
      if (s === FULL) full++;
      else if (s === DELETED) deleted++;
      else if (s !== EMPTY) throw corruptSnapshot(path, 'invalid slot state');
    }
    if (full !== snapshot.entryCount) throw corruptSnapshot(path, `holds ${full} entries, header says ${snapshot.entryCount}`);
    if (full + deleted >= capacity) throw corruptSnapshot(path, 'table has no empty slot');
    const index = new ExactIndex(algorithm, { shared });
    index.seed = seed;
    index.capacity = capacity;
    index.keys = snapshot.sections[0] as Uint32Array;
    index.ids = snapshot.sections[1] as Uint32Array;
    index.state = state;
    index.full = full;
    index.deleted = deleted;
    return { index, checkpoint: snapshot.checkpoint };
  }

  // ---- internals ---------------------------------------------------------------------------------------------------

  /** Reads a digest into `probe` (little-endian words). */
  private readKey(digest: Uint8Array, offset: number): void {
    if (!(digest instanceof Uint8Array)) throw new InvalidError(`${this.algorithm} digest must be a Uint8Array`);
    if (!Number.isInteger(offset) || offset < 0 || offset + this.digestBytes > digest.length) {
      throw new InvalidError(`no ${this.digestBytes}-byte ${this.algorithm} digest at offset ${offset} of a ${digest.length}-byte buffer`);
    }
    for (let w = 0; w < this.wordsPerKey; w++) {
      const p = offset + 4 * w;
      this.probe[w] = (digest[p] | (digest[p + 1] << 8) | (digest[p + 2] << 16) | (digest[p + 3] << 24)) >>> 0;
    }
  }

  private home(): number {
    return this.slotFor(this.probe, 0);
  }

  private slotFor(words: Uint32Array, at: number): number {
    return (fmix32(words[at] ^ this.seed) ^ fmix32(words[at + 1] ^ Math.imul(this.seed, 0x9e3779b1))) & (this.capacity - 1);
  }

  private keyAt(slot: number): boolean {
    const W = this.wordsPerKey;
    const base = slot * W;
    for (let w = 0; w < W; w++) if (this.keys[base + w] !== this.probe[w]) return false;
    return true;
  }

  /** Inserts the digest in `probe` with `id` unless the pair exists. */
  private insert(id: number): boolean {
    const mask = this.capacity - 1;
    let target = -1;
    for (let i = this.home(); ; i = (i + 1) & mask) {
      const s = this.state[i];
      if (s === EMPTY) {
        if (target < 0) target = i;
        break;
      }
      if (s === DELETED) {
        if (target < 0) target = i;
      } else if (this.ids[i] === id && this.keyAt(i)) return false;
    }
    if (this.state[target] === DELETED) this.deleted--;
    this.state[target] = FULL;
    this.ids[target] = id;
    this.keys.set(this.probe, target * this.wordsPerKey);
    this.full++;
    return true;
  }

  private rehash(capacity: number): void {
    const W = this.wordsPerKey;
    const oldKeys = this.keys;
    const oldIds = this.ids;
    const oldState = this.state;
    const oldCapacity = this.capacity;
    this.capacity = capacity;
    this.keys = allocU32(capacity * W, this.shared);
    this.ids = allocU32(capacity, this.shared);
    this.state = allocU8(capacity, this.shared);
    this.full = 0;
    this.deleted = 0;
    const mask = capacity - 1;
    for (let i = 0; i < oldCapacity; i++) {
      if (oldState[i] !== FULL) continue;
      let slot = this.slotFor(oldKeys, i * W);
      while (this.state[slot] !== EMPTY) slot = (slot + 1) & mask;
      this.state[slot] = FULL;
      this.ids[slot] = oldIds[i];
      this.keys.set(oldKeys.subarray(i * W, i * W + W), slot * W);
      this.full++;
    }
  }
}
