import { setFlagsFromString } from 'node:v8';

/**
 * The starting heap of worker threads that churn through large, short-lived objects (the hash pool's workers).
 *
 * Unless an embedder configures an initial heap size, V8 sizes a heap's old generation from what survived its last
 * full collection. A hash worker keeps little (about 8 MB), so its limit settles close above that; yet each file it
 * decodes allocates about 1 MB of short-lived objects, and those of the files still in flight survive scavenges and
 * are promoted. The limit is then reached every few files: measured, 56 full collections for 480 stored and
 * analysed files on two workers, most of their cost on V8's helper threads (about 3 CPU-ms per file). With an
 * initial heap size set, V8 skips full collections below it: 2 for the same files.
 *
 * Node.js has no per-worker setting for this (a Worker's resourceLimits set maxima only), and V8 reads the flag when
 * an isolate's heap is set up, so it is set once before the first such worker starts: it applies to the isolates
 * created after it (worker threads), never to the main thread's heap, which exists already.
 */
export const WORKER_INITIAL_HEAP_MB = 64;

let configured = false;

export function configureWorkerHeaps(): void {
  if (configured) return;
  configured = true;
  setFlagsFromString(`--initial-heap-size=${WORKER_INITIAL_HEAP_MB}`);
}
