import { formatHash256, hammingDistance256, parseHash256 } from '../../core/hash256.js';
import type { SignalType } from '../signal-type.js';
import { PdqHasher } from './pdq-hasher.js';

/** Default match threshold: Hamming distance <= 31 of 256 (Meta's recommendation, and what hash lists assume). */
export const PDQ_DEFAULT_THRESHOLD = 31;
/** Hashes of quality below this are too flat to trust for matching. */
export const PDQ_MIN_QUALITY = 50;

export interface PdqSignalType extends SignalType<Uint8Array> {
  readonly minQuality: number;
  /** The hasher the type uses (owns scratch buffers: one signal type instance per thread). */
  readonly hasher: PdqHasher;
}

/** The `pdq` signal type: 32-byte hashes, Hamming distance, 64-hex-digit text. */
export function createPdqSignal(hasher: PdqHasher = new PdqHasher()): PdqSignalType {
  return {
    name: 'pdq',
    contentTypes: ['image'],
    kind: 'perceptual',
    defaultThreshold: PDQ_DEFAULT_THRESHOLD,
    maxDistance: 256,
    minQuality: PDQ_MIN_QUALITY,
    hasher,
    hash: (input) => (input.image ? hasher.hash(input.image).hash : null),
    parse: (text) => parseHash256(text),
    format: (value) => formatHash256(value),
    distance: (a, b) => hammingDistance256(a, b),
  };
}
