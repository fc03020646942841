import { randomFillSync } from 'node:crypto';

/** Benchmark data for the 256-bit indexes: random hashes plus clusters of near-duplicates. */

export function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

function flip(packed: Uint8Array, offset: number, bits: number, next: () => number): void {
  // Distinct bits: retry a position already flipped in this call (bits <= 24, so a small list is enough).
  const used: number[] = [];
  while (used.length < bits) {
    const b = next() & 255;
    if (used.includes(b)) continue;
    used.push(b);
    packed[offset + (b >> 3)] ^= 1 << (b & 7);
  }
}

/**
 * `n` hashes: about 20 % of them in clusters of 2-20 near-duplicates, each member 4-24 bits from its centre (the
 * first member); the rest uniformly random.
 */
export function makeHashes(n: number, seed: number): Uint8Array {
  const packed = new Uint8Array(n * 32);
  // Filled through 64 MiB views: randomFillSync takes offsets below 2^31 only, and 100 M hashes are 3.2 GB.
  for (let at = 0; at < packed.length; at += 1 << 26) randomFillSync(packed.subarray(at, Math.min(packed.length, at + (1 << 26))));
  const next = xorshift(seed);
  let i = 0;
  while (i < n) {
    if (next() % 100 < 4) {
      // Clusters average 11 members: starting one at 4 % of positions puts about 20 % of entries in clusters... of
      // which the centre stays random.
      const size = Math.min(n - i, 2 + (next() % 19));
      for (let j = 1; j < size; j++) {
        packed.copyWithin((i + j) * 32, i * 32, i * 32 + 32);
        flip(packed, (i + j) * 32, 4 + (next() % 21), next);
      }
      i += size;
    } else i++;
  }
  return packed;
}

/** `count` queries: even ones are stored entries with 0-16 bits flipped, odd ones random. */
export function makeQueries(packed: Uint8Array, count: number, seed: number): Uint8Array {
  const n = packed.length / 32;
  const queries = new Uint8Array(count * 32);
  randomFillSync(queries);
  const next = xorshift(seed);
  for (let q = 0; q < count; q += 2) {
    const source = next() % n;
    queries.set(packed.subarray(source * 32, source * 32 + 32), q * 32);
    flip(queries, q * 32, next() % 17, next);
  }
  return queries;
}
