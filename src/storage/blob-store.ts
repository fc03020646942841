import { Readable } from 'node:stream';

import { InvalidError } from '../core/errors.js';
import type { SealedBlob } from './envelope.js';
import type { LocalBlobAccess } from './local-blob-files.js';

/**
 * The blob store port. Blobs are content-addressed by the SHA-256 of their plaintext (64 lowercase hex digits),
 * immutable, and encrypted at rest by the adapter. Every adapter passes test/storage/blob-store.contract.ts.
 */
export interface BlobInfo {
  /** SHA-256 of the plaintext, lowercase hex. */
  readonly sha256: string;
  /** Plaintext size in bytes. */
  readonly size: number;
}

export interface PutResult extends BlobInfo {
  /** false when a blob with these bytes was already stored (nothing was written). */
  readonly created: boolean;
}

export interface BlobStore {
  /** Adapter name for health reports and logs: `local` or `s3`. */
  readonly kind: string;
  /**
   * Streams the bytes in, computing their SHA-256 on the way, and stores them under that digest. The blob becomes
   * visible only once completely and durably written (no half-written blob is ever readable). When `expectedSha256`
   * is given and the bytes differ, nothing is stored and an InvalidError is thrown.
   */
  put(source: Readable | Buffer, options?: { expectedSha256?: string }): Promise<PutResult>;
  /** Streams the plaintext. Throws NotFoundError when absent; the stream errors with IntegrityError when altered. */
  get(sha256: string): Promise<Readable>;
  /** Reads the whole plaintext, verified (IntegrityError when the stored bytes were altered). */
  getBuffer(sha256: string): Promise<Buffer>;
  has(sha256: string): Promise<boolean>;
  /** Removes a blob (used by retention and tests); absent blobs are not an error. */
  delete(sha256: string): Promise<void>;
  /**
   * Seals small bytes (a redacted thumbnail) under this store's current key into one envelope that is kept elsewhere,
   * in the database beside the row that names it (storage/inline-blobs.ts); nothing is written to the store.
   */
  sealInline(bytes: Buffer): SealedBlob;
  /** Opens an envelope sealInline made (under any of this store's keys), verified against its address. */
  openInline(sha256: string, envelope: Uint8Array): Buffer;
  /** A cheap round trip that proves the store is reachable and writable. */
  check(): Promise<{ ok: boolean; detail?: string }>;
  close(): Promise<void>;
  /**
   * Local adapters only: what a worker thread of this process needs to read and write the store's files itself
   * (local-blob-files.ts), so that image analysis reads its input and stores its renditions without the main thread.
   */
  localAccess?(): LocalBlobAccess;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

export function isSha256(value: string): boolean {
  return SHA256_HEX.test(value);
}

/** Throws InvalidError unless `value` is a blob address (64 lowercase hex digits). */
export function assertSha256(value: string, what = 'blob address'): void {
  if (typeof value !== 'string' || !SHA256_HEX.test(value)) {
    throw new InvalidError(`${what} must be a SHA-256 as 64 lowercase hex digits`, { value: String(value).slice(0, 80) });
  }
}

/** The content-addressed layout every adapter uses: `ab/cd/<sha256>` (two levels of 256 fan-out). */
export function shardedKey(sha256: string): string {
  return `${sha256.slice(0, 2)}/${sha256.slice(2, 4)}/${sha256}`;
}

/** A put source as a byte stream. */
export function toReadable(source: Readable | Buffer): Readable {
  return Buffer.isBuffer(source) ? Readable.from([source], { objectMode: false }) : source;
}

/** Reads a verified blob stream to the end (getBuffer of every adapter). */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
