import { parentPort, workerData } from 'node:worker_threads';

import { Matches } from '../src/index/matches.js';
import { MultiIndexHashIndex } from '../src/index/multi-index-hash-index.js';
import type { MultiIndexSharedState } from '../src/index/multi-index-hash-index.js';

/** Benchmark worker: queries a read-only copy of an index held in SharedArrayBuffers. */
const { state, queries, radius } = workerData as { state: MultiIndexSharedState; queries: Uint8Array; radius: number };
const index = MultiIndexHashIndex.fromSharedState(state);
const out = new Matches();
parentPort?.on('message', (message: { from: number; to: number; rounds: number }) => {
  let found = 0;
  for (let round = 0; round < message.rounds; round++) {
    for (let q = message.from; q < message.to; q++) found += index.radius(queries, radius, out, q * 32).count;
  }
  parentPort?.postMessage({ found });
});
parentPort?.postMessage({ ready: true });
