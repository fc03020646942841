/** The in-memory signal indexes: 256-bit codes (PDQ) by radius, cryptographic digests by exact lookup. */
export type { IndexOptions, LoadedIndex, SignalIndex } from './signal-index.js';
export { Matches } from './matches.js';
export { LinearIndex } from './linear-index.js';
export { MultiIndexHashIndex } from './multi-index-hash-index.js';
export type { MultiIndexOptions, MultiIndexSharedState } from './multi-index-hash-index.js';
export { ExactIndex, DIGEST_BYTES } from './exact-index.js';
export type { DigestAlgorithm, ExactIndexOptions } from './exact-index.js';
export { DIHEDRAL_VARIANTS } from './dihedral.js';
export { SnapshotKind, readSnapshot, writeSnapshot } from './snapshot.js';
export type { VectorIndex } from './vector-index.js';
export { VectorMatches } from './vector-index.js';
export { FlatVectorIndex } from './flat-vector-index.js';
export { IvfVectorIndex } from './ivf-vector-index.js';
