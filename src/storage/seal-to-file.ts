import { constants as fsConstants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open, unlink } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { InvalidError } from '../core/errors.js';
import { toReadable } from './blob-store.js';
import { SealStream, sealBytes } from './envelope.js';
import { dropWritten } from './local-blob-files.js';
import type { MasterKeyring } from './master-key.js';

export interface SealedFile {
  /** SHA-256 of the plaintext (the blob's address). */
  sha256: string;
  /** Plaintext bytes. */
  size: number;
  /** Envelope bytes written to the file. */
  envelopeBytes: number;
}

/** Buffers up to this size are sealed whole (sealBufferToFile); larger ones stream, so memory stays bounded. */
const WHOLE_BUFFER_BYTES = 16 * 1024 * 1024;

/** Writes are coalesced into writev calls of about this size (the sealer emits each segment and its tag apart). */
const WRITE_BATCH_BYTES = 1024 * 1024;

/**
 * Streams `source` through the sealer into a new private file (mode 0600, created exclusively) and fsyncs it: the
 * one pass that hashes and encrypts a put for both adapters. `plaintextSha256`: a buffer source's digest when the
 * caller has just computed it from those bytes (not computed again). When `expectedSha256` is given and differs, or
 * anything fails, the file is removed and the error thrown; on success the caller owns the file.
 */
export async function sealToFile(
  source: Readable | Buffer,
  path: string,
  keyring: MasterKeyring,
  options: { expectedSha256?: string; segmentSizeLog2?: number; plaintextSha256?: string } = {},
): Promise<SealedFile> {
  if (Buffer.isBuffer(source) && source.length <= WHOLE_BUFFER_BYTES) return sealBufferToFile(source, path, keyring, options);
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
    const seal = new SealStream(keyring, { segmentSizeLog2: options.segmentSizeLog2 });
    const file = handle;
    let envelopeBytes = 0;
    await pipeline(toReadable(source), seal, async (envelope: AsyncIterable<Buffer>) => {
      envelopeBytes = await writeBatched(file, envelope);
    });
    await handle.sync();
    await handle.close();
    handle = undefined;
    const sha256 = seal.sha256();
    if (options.expectedSha256 !== undefined && options.expectedSha256 !== sha256) throw shaMismatch(options.expectedSha256, sha256);
    return { sha256, size: seal.size, envelopeBytes };
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
    throw error;
  }
}

/**
 * A buffer in memory (renditions, small uploads) sealed at once, checked against `expectedSha256` before any file
 * exists, and written with one writev: no stream machinery, which costs more than the encryption for small blobs.
 */
async function sealBufferToFile(
  source: Buffer,
  path: string,
  keyring: MasterKeyring,
  options: { expectedSha256?: string; segmentSizeLog2?: number; plaintextSha256?: string },
): Promise<SealedFile> {
  const sealed = sealBytes(keyring, source, { segmentSizeLog2: options.segmentSizeLog2 }, options.plaintextSha256);
  if (options.expectedSha256 !== undefined && options.expectedSha256 !== sealed.sha256) throw shaMismatch(options.expectedSha256, sealed.sha256);
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
    for (let buffers = sealed.pieces; buffers.length; ) {
      const { bytesWritten } = await handle.writev(buffers);
      buffers = dropWritten(buffers, bytesWritten);
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    return { sha256: sealed.sha256, size: sealed.size, envelopeBytes: sealed.envelopeBytes };
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
    throw error;
  }
}

/** The error of a put whose bytes are not the ones the caller expected. */
export function shaMismatch(expected: string, actual: string): InvalidError {
  return new InvalidError(`content SHA-256 is ${actual}, expected ${expected}; nothing was stored`, { expectedSha256: expected, actualSha256: actual });
}

async function writeBatched(handle: FileHandle, chunks: AsyncIterable<Buffer>): Promise<number> {
  let batch: Buffer[] = [];
  let batchBytes = 0;
  let total = 0;
  const flush = async () => {
    let buffers = batch;
    batch = [];
    batchBytes = 0;
    while (buffers.length) {
      const { bytesWritten } = await handle.writev(buffers);
      total += bytesWritten;
      buffers = dropWritten(buffers, bytesWritten);
    }
  };
  for await (const chunk of chunks) {
    batch.push(chunk);
    batchBytes += chunk.length;
    if (batchBytes >= WRITE_BATCH_BYTES) await flush();
  }
  await flush();
  return total;
}
