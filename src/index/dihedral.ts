import { InvalidError } from '../core/errors.js';
import { HASH256_BYTES } from '../core/hash256.js';
import { dedupeBySlot } from './matches.js';
import type { Matches } from './matches.js';

export const DIHEDRAL_VARIANTS = 8;

/**
 * Runs `one` for each of the eight variants, collecting into `out`, then keeps each entry slot once with its
 * smallest distance (lowest variant on ties).
 */
export function radiusDihedralWith(
  queries8: Uint8Array,
  radius: number,
  out: Matches,
  scratch: Matches,
  one: (query: Uint8Array, radius: number, out: Matches, offset: number) => Matches,
): Matches {
  if (!(queries8 instanceof Uint8Array) || queries8.length !== DIHEDRAL_VARIANTS * HASH256_BYTES) {
    throw new InvalidError(`dihedral queries must be 8 hashes packed in ${DIHEDRAL_VARIANTS * HASH256_BYTES} bytes`);
  }
  out.clear();
  for (let v = 0; v < DIHEDRAL_VARIANTS; v++) {
    one(queries8, radius, scratch, v * HASH256_BYTES);
    out.grow(out.count + scratch.count);
    for (let i = 0; i < scratch.count; i++) out.push(scratch.ids[i], scratch.distances[i], scratch.slots[i], v);
  }
  dedupeBySlot(out);
  return out;
}
