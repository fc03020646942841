import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import type { BlobStore } from '../storage/blob-store.js';

export interface StoredBytes {
  readonly sha256: string;
  readonly md5: string;
  readonly sha1: string;
  readonly size: number;
  /** False when the blob store already held these bytes (nothing new was written). */
  readonly created: boolean;
}

/**
 * Streams bytes into the blob store once: the store computes the SHA-256 that addresses them while it encrypts, and a
 * pass-through on the way computes MD5 and SHA-1 (kept because exchanged hash lists still use them). Memory stays
 * bounded whatever the size.
 */
export async function storeStream(blobs: BlobStore, source: Readable): Promise<StoredBytes> {
  const md5 = createHash('md5');
  const sha1 = createHash('sha1');
  const tee = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      md5.update(chunk);
      sha1.update(chunk);
      callback(null, chunk);
    },
  });
  source.once('error', (error) => tee.destroy(error));
  const put = await blobs.put(source.pipe(tee));
  return { sha256: put.sha256, size: put.size, created: put.created, md5: md5.digest('hex'), sha1: sha1.digest('hex') };
}
