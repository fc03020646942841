import { parentPort } from 'node:worker_threads';
import { AriadneError } from '../core/errors.js';
import { FileHasher } from './file-hasher.js';
import type { WorkerReply, WorkerRequest } from './hash-pool.js';

/**
 * Worker thread entry of the hash pool: one FileHasher (decoder, PDQ buffers) per thread. The pool
 * may send a second task before the first is answered: its decode then overlaps the first one's hashing (PdqHasher
 * runs synchronously, so the two never share its buffers at once). The
 * pool resolves this file to its compiled form (dist/…/hash-worker.js).
 */
if (!parentPort) throw new Error('hash-worker must run in a worker thread');
const port = parentPort;
// This thread only hashes: blocking reads keep its file reads out of libuv's pool, where decodes queue.
const hasher = new FileHasher({ blockingReads: true });

port.on('message', (request: WorkerRequest) => {
  void handle(request).then((reply) => port.postMessage(reply));
});

async function handle(request: WorkerRequest): Promise<WorkerReply> {
  try {
    const result =
      request.source.kind === 'file'
        ? await hasher.hashFile(request.source.path, request.options)
        : await hasher.hashBytes(new Uint8Array(request.source.bytes), request.options);
    return { id: request.id, ok: true, result };
  } catch (error) {
    if (error instanceof AriadneError) return { id: request.id, ok: false, error: { kind: error.kind, message: error.message, details: error.details } };
    return { id: request.id, ok: false, error: { kind: 'internal', message: error instanceof Error ? (error.stack ?? error.message) : String(error) } };
  }
}
