import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';

/**
 * MD5, SHA-1 and SHA-256 of the same bytes in one pass: each chunk is fed to the three digests as it arrives, so a
 * file is read once however large it is. (MD5 and SHA-1 are kept because hash lists exchanged between agencies still
 * use them; SHA-256 identifies media items.)
 */
export interface CryptoDigests {
  /** Number of bytes hashed. */
  readonly size: number;
  /** Lowercase hex digests. */
  readonly md5: string;
  readonly sha1: string;
  readonly sha256: string;
}

export class CryptoHasher {
  private readonly md5: Hash = createHash('md5');
  private readonly sha1: Hash = createHash('sha1');
  private readonly sha256: Hash = createHash('sha256');
  private size = 0;
  private done = false;

  update(chunk: Uint8Array): this {
    if (this.done) throw new Error('CryptoHasher: update() after digest()');
    this.md5.update(chunk);
    this.sha1.update(chunk);
    this.sha256.update(chunk);
    this.size += chunk.length;
    return this;
  }

  digest(): CryptoDigests {
    if (this.done) throw new Error('CryptoHasher: digest() called twice');
    this.done = true;
    return { size: this.size, md5: this.md5.digest('hex'), sha1: this.sha1.digest('hex'), sha256: this.sha256.digest('hex') };
  }
}

export function cryptoDigestsOf(bytes: Uint8Array): CryptoDigests {
  return new CryptoHasher().update(bytes).digest();
}

/** Hashes a stream to its end (the stream's errors reject). */
export async function cryptoDigestsOfStream(stream: Readable | AsyncIterable<Uint8Array | string>): Promise<CryptoDigests> {
  const hasher = new CryptoHasher();
  for await (const chunk of stream as AsyncIterable<Uint8Array | string>) hasher.update(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return hasher.digest();
}
