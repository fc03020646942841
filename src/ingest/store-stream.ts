import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { StoredFile } from '../signals/stored-blobs.js';
import type { BlobStore } from '../storage/blob-store.js';

/** Digests, size, and whether the blob store did not hold these bytes before (false: nothing new was written). */
export type StoredBytes = StoredFile;

/** Files up to this size are gathered and stored as one buffer; larger ones stream through. */
const WHOLE_FILE_BYTES = 4 * 1024 * 1024;

/**
 * Stores bytes in the blob store once: the store computes the SHA-256 that addresses them while it encrypts, and MD5
 * and SHA-1 are computed on the way (kept because exchanged hash lists still use them). A small file (most images)
 * is gathered and handed to the store whole, which seals it in one call; anything larger streams, so memory stays
 * bounded whatever the size.
 */
export async function storeStream(blobs: BlobStore, source: Readable): Promise<StoredBytes> {
  const md5 = createHash('md5');
  const sha1 = createHash('sha1');
  const iterator = (source as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let size = 0;
  try {
    while (size <= WHOLE_FILE_BYTES) {
      const next = await iterator.next();
      if (next.done) {
        const whole = head.length === 1 ? head[0] : Buffer.concat(head, size);
        md5.update(whole);
        sha1.update(whole);
        const put = await blobs.put(whole);
        return { sha256: put.sha256, size: put.size, created: put.created, md5: md5.digest('hex'), sha1: sha1.digest('hex') };
      }
      const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
      head.push(chunk);
      size += chunk.length;
    }
  } catch (error) {
    source.destroy();
    throw error;
  }
  // Too large to gather: what was read, then the rest of the source, through the digests into the store (whose
  // pipeline owns the stream's errors).
  const rest = Readable.from(
    (async function* () {
      for (const chunk of head) yield digested(chunk);
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield digested(typeof next.value === 'string' ? Buffer.from(next.value) : next.value);
    })(),
    { objectMode: false },
  );
  const put = await blobs.put(rest);
  return { sha256: put.sha256, size: put.size, created: put.created, md5: md5.digest('hex'), sha1: sha1.digest('hex') };

  function digested(chunk: Buffer): Buffer {
    md5.update(chunk);
    sha1.update(chunk);
    return chunk;
  }
}
