import { parentPort, workerData } from 'node:worker_threads';
import { AriadneError } from '../core/errors.js';
import { LocalBlobFiles, type LocalBlobAccess } from '../storage/local-blob-files.js';
import { FileHasher } from './file-hasher.js';
import type { WorkerReply, WorkerRequest } from './hash-pool.js';
import { analyseStoredBlob, storeLocalFile } from './stored-blobs.js';

/**
 * Worker thread entry of the hash pool: one FileHasher (decoder, PDQ buffers) per thread, and the local blob store's
 * files when the pool was given them. The pool may send a second task before the first is answered: its decode then
 * overlaps the first one's hashing (PdqHasher runs synchronously, so the two never share its buffers at once). The
 * pool resolves this file to its compiled form (dist/…/hash-worker.js).
 */
if (!parentPort) throw new Error('hash-worker must run in a worker thread');
const port = parentPort;
// This thread only hashes: blocking reads keep its file reads out of libuv's pool, where decodes queue.
const hasher = new FileHasher({ blockingReads: true });
const access = (workerData as { blobs?: LocalBlobAccess } | undefined)?.blobs;
const files = access ? new LocalBlobFiles(access) : undefined;
/** Files stored whole by storeLocalFile; larger ones are streamed by the caller. */
const STORE_WHOLE_BYTES = 16 * 1024 * 1024;

port.on('message', (request: WorkerRequest) => {
  void handle(request).then((reply) => {
    const result = reply.ok ? reply.result : null;
    const analysis = result !== null && 'analysis' in result ? result.analysis : result;
    const head = analysis && 'head' in analysis ? analysis.head : undefined;
    port.postMessage(reply, head ? [head.buffer as ArrayBuffer] : []);
  });
});

async function handle(request: WorkerRequest): Promise<WorkerReply> {
  try {
    const source = request.source;
    switch (source.kind) {
      case 'file':
        return { id: request.id, ok: true, result: await hasher.hashFile(source.path, request.options) };
      case 'bytes':
        return { id: request.id, ok: true, result: await hasher.hashBytes(new Uint8Array(source.bytes), request.options) };
      case 'stored':
        return { id: request.id, ok: true, result: await analyseStoredBlob(hasher, blobFiles(), source.sha256, request.options) };
      case 'store-file':
        return { id: request.id, ok: true, result: await storeLocalFile(blobFiles(), source.path, STORE_WHOLE_BYTES, source.analyse ? { hasher, options: request.options } : undefined) };
    }
  } catch (error) {
    if (error instanceof AriadneError) return { id: request.id, ok: false, error: { kind: error.kind, message: error.message, details: error.details } };
    return { id: request.id, ok: false, error: { kind: 'internal', message: error instanceof Error ? (error.stack ?? error.message) : String(error) } };
  }
}

function blobFiles(): LocalBlobFiles {
  if (!files) throw new Error('this hash worker was given no blob store');
  return files;
}
