import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { sniffArchive } from '../archives/sniff.js';
import { InvalidError } from '../core/errors.js';
import type { LocalBlobFiles } from '../storage/local-blob-files.js';
import { cryptoDigestsOf, type CryptoDigests } from './crypto/crypto-hashes.js';
import type { FileHasher, FileSignalOptions, FileSignals } from './file-hasher.js';

/**
 * The two things a hash worker does with a local blob store for ingest, so that neither the bytes nor their
 * renditions pass through the main thread: store a file from disk (intake) and analyse a stored blob (the ingest
 * job). Blocking file calls: these run on a hash worker thread only (see LocalBlobFiles).
 */

/** A file as stored: its digests (hex), its size, and whether the store did not hold those bytes before. */
export interface StoredFile extends CryptoDigests {
  readonly created: boolean;
}

/** The analysis of a stored blob (HashPool.analyseStored). */
export interface StoredAnalysis {
  /** The first bytes of the plaintext (up to HEAD_BYTES), for the caller's own sniffing. */
  readonly head: Uint8Array;
  /**
   * The signals, with EXIF when asked to extract; null when the blob is an archive (never decoded, whatever else
   * its bytes may look like). The renditions are not in here but stored: see `renditions`.
   */
  readonly signals: Omit<FileSignals, 'renditions'> | null;
  /** Addresses of the stored redacted thumbnail and preview (null: the blob itself is its preview). */
  readonly renditions: { readonly thumbnail: string; readonly preview: string | null } | null;
}

/** How much of a blob's start comes back with its analysis. */
export const HEAD_BYTES = 64 * 1024;

/**
 * Reads a stored blob (verified against its address), analyses it as FileHasher.hashBytes does, and stores the
 * renditions it made. Archives are left alone: their members are what gets analysed.
 */
export async function analyseStoredBlob(hasher: FileHasher, files: LocalBlobFiles, sha256: string, options: FileSignalOptions, recent?: RecentlyStored): Promise<StoredAnalysis> {
  const bytes = recent?.take(sha256) ?? files.read(sha256);
  const head = bytes.subarray(0, HEAD_BYTES).slice();
  if (sniffArchive(head) !== null) return { head, signals: null, renditions: null };
  const { renditions, ...signals } = await hasher.hashBytes(bytes, options);
  if (!renditions) return { head, signals, renditions: null };
  const thumbnail = files.put(asBuffer(renditions.thumbnail)).sha256;
  const preview = renditions.preview ? files.put(asBuffer(renditions.preview)).sha256 : null;
  return { head, signals, renditions: { thumbnail, preview } };
}

/**
 * Reads a regular file of at most `maxBytes` whole, digests it and stores it. Null when the file is larger (or grew
 * past its size while being read): the caller streams it instead.
 */
export function storeLocalFile(files: LocalBlobFiles, path: string, maxBytes: number, recent?: RecentlyStored): StoredFile | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new InvalidError(`${path}: cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { path });
  }
  let bytes: Buffer;
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw new InvalidError(`${path}: not a regular file`, { path });
    if (info.size > maxBytes) return null;
    bytes = Buffer.allocUnsafe(info.size);
    for (let at = 0; at < bytes.length; ) {
      const n = readSync(fd, bytes, at, bytes.length - at, at);
      if (n === 0) throw new InvalidError(`${path}: the file shrank while being read`, { path });
      at += n;
    }
    // One more byte: a file still growing is streamed by the caller rather than cut short here.
    if (readSync(fd, Buffer.allocUnsafe(1), 0, 1, bytes.length) !== 0) return null;
  } finally {
    closeSync(fd);
  }
  const digests = cryptoDigestsOf(bytes);
  const { created } = files.put(bytes, digests.sha256);
  recent?.keep(digests.sha256, bytes);
  return { ...digests, created };
}

/**
 * The plaintexts a worker stored last, kept for the analysis that usually follows at once (the folder door stores
 * a file, then has it analysed): read from memory instead of decrypting and verifying it again from disk. They are
 * the very bytes whose digest is their address. A few at most, bounded in bytes; each is taken once.
 */
export class RecentlyStored {
  private readonly kept = new Map<string, Buffer>();
  private bytes = 0;

  constructor(
    private readonly maxEntries = 8,
    private readonly maxBytes = 64 * 1024 * 1024,
  ) {}

  keep(sha256: string, plaintext: Buffer): void {
    if (plaintext.length > this.maxBytes || this.kept.has(sha256)) return;
    this.kept.set(sha256, plaintext);
    this.bytes += plaintext.length;
    while (this.kept.size > this.maxEntries || this.bytes > this.maxBytes) {
      const [oldest, dropped] = this.kept.entries().next().value!;
      this.kept.delete(oldest);
      this.bytes -= dropped.length;
    }
  }

  take(sha256: string): Buffer | undefined {
    const plaintext = this.kept.get(sha256);
    if (plaintext === undefined) return undefined;
    this.kept.delete(sha256);
    this.bytes -= plaintext.length;
    return plaintext;
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
