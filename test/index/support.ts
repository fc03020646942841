import { HASH256_BYTES } from '../../src/core/hash256.js';
import type { Matches } from '../../src/index/matches.js';

/** Deterministic generator (mulberry32) so failures reproduce. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomHashes(count: number, random: () => number): Uint8Array {
  const packed = new Uint8Array(count * HASH256_BYTES);
  for (let i = 0; i < packed.length; i++) packed[i] = (random() * 256) | 0;
  return packed;
}

/** Flips `bits` distinct random bits of the hash at `offset` of `packed` (in place). */
export function flipBits(packed: Uint8Array, offset: number, bits: number, random: () => number): void {
  const chosen = new Set<number>();
  while (chosen.size < bits) chosen.add((random() * 256) | 0);
  for (const b of chosen) packed[offset + (b >> 3)] ^= 1 << (b & 7);
}

/** Clusters of near-duplicates: each centre random, members within 1..maxFlip bits of it. */
export function clusteredHashes(count: number, random: () => number, maxFlip = 24, clusterSize = 10): Uint8Array {
  const packed = new Uint8Array(count * HASH256_BYTES);
  let centre = randomHashes(1, random);
  for (let i = 0; i < count; i++) {
    if (i % clusterSize === 0) centre = randomHashes(1, random);
    packed.set(centre, i * HASH256_BYTES);
    flipBits(packed, i * HASH256_BYTES, 1 + ((random() * maxFlip) | 0), random);
  }
  return packed;
}

export function hashAt(packed: Uint8Array, index: number): Uint8Array {
  return packed.slice(index * HASH256_BYTES, (index + 1) * HASH256_BYTES);
}

/** Results as sorted "id:distance" strings (order-free comparison). */
export function pairs(m: Matches): string[] {
  const out: string[] = [];
  for (let i = 0; i < m.count; i++) out.push(`${m.ids[i]}:${m.distances[i]}`);
  return out.sort();
}

/** Results with variants, sorted. */
export function triples(m: Matches): string[] {
  const out: string[] = [];
  for (let i = 0; i < m.count; i++) out.push(`${m.ids[i]}:${m.distances[i]}:${m.variants[i]}`);
  return out.sort();
}

/** Sequential (ordered) "id:distance" list. */
export function ordered(m: Matches): string[] {
  const out: string[] = [];
  for (let i = 0; i < m.count; i++) out.push(`${m.ids[i]}:${m.distances[i]}`);
  return out;
}

/** Reference distance computed bit by bit (independent of the index code). */
export function slowDistance(a: Uint8Array, b: Uint8Array, bOffset = 0): number {
  let d = 0;
  for (let i = 0; i < HASH256_BYTES; i++) {
    let x = a[i] ^ b[bOffset + i];
    while (x) {
      d += x & 1;
      x >>= 1;
    }
  }
  return d;
}
