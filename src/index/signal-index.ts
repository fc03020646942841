import type { Matches } from './matches.js';

/**
 * The index over 256-bit codes (PDQ) that matching queries. Two implementations share this contract:
 * LinearIndex (the reference: a scan of every entry) and MultiIndexHashIndex (multi-index hashing, exact and fast).
 *
 * Model
 * - The index holds entries, each a pair (id, hash). Ids are the database's integer ids and must be integers in
 *   0..2^32-1 (stored as uint32). One id may hold several hashes (a video's frames, an image's dihedral variants):
 *   add it once per hash. Adding the same pair twice stores it twice.
 * - `remove(id)` removes every entry of that id and returns how many it removed.
 * - Queries report matching entries: an id appears once per matching hash it holds (`Matches.bestPerId()` collapses
 *   them). Result order is unspecified except for `nearest` (sorted by distance, then id); `Matches.sort()` gives
 *   the canonical order.
 * - Distances are Hamming distances 0..256; `radius(q, r)` returns every entry with distance <= r, exactly as a
 *   linear scan would.
 * - Hashes are 32-byte big-endian codes as `core/hash256.ts` parses and prints them.
 *
 * Indexes are not thread-safe: one writer, and queries from the same thread. MultiIndexHashIndex can export its
 * arrays on SharedArrayBuffer for read-only copies in worker threads.
 */
export interface SignalIndex {
  /** Number of entries (id, hash) held. */
  readonly size: number;

  /** Adds one entry: the 32 bytes at `offset` of `hash`. */
  add(id: number, hash: Uint8Array, offset?: number): void;

  /**
   * Replaces the whole content with `ids.length` entries: entry i is (ids[i], packed[32 i .. 32 i + 32)). Much
   * faster than repeated `add` for loading from the database.
   */
  build(ids: ArrayLike<number>, packed: Uint8Array): void;

  /** Removes every entry of `id`; returns how many were removed. */
  remove(id: number): number;

  /** Every entry within `radius` (0..256) of the query hash at `offset` of `query`. Clears and returns `out`. */
  radius(query: Uint8Array, radius: number, out?: Matches, offset?: number): Matches;

  /** The `k` entries nearest to the query, sorted by (distance, id). */
  nearest(query: Uint8Array, k: number, out?: Matches, offset?: number): Matches;

  /**
   * Radius search with the eight dihedral variants of one image (`queries8`: 8 hashes packed 32 bytes apart, in the
   * conventional order original, rot90, rot180, rot270, flipX, flipY, flipPlus1, flipMinus1). Each matching entry is
   * reported once, with its smallest distance over the variants and `variants[i]` = the variant that gave it
   * (the lowest such variant on ties).
   */
  radiusDihedral(queries8: Uint8Array, radius: number, out?: Matches): Matches;

  /** Writes a snapshot atomically, tagged with the database checkpoint it reflects. */
  save(path: string, checkpoint: bigint | number): Promise<void>;

  /** Bytes held by the index's typed arrays. */
  memoryBytes(): number;
}

/** What `load` returns: the index and the checkpoint stored with it. */
export interface LoadedIndex<T extends SignalIndex = SignalIndex> {
  index: T;
  checkpoint: bigint;
}

export interface IndexOptions {
  /** Allocate the index's arrays on SharedArrayBuffer (for read-only copies in worker threads). */
  shared?: boolean;
}
