import type { Readable } from 'node:stream';

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
  /** A cheap round trip that proves the store is reachable and writable. */
  check(): Promise<{ ok: boolean; detail?: string }>;
  close(): Promise<void>;
}
