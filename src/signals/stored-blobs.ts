import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { sniffArchive } from '../archives/sniff.js';
import { InvalidError } from '../core/errors.js';
import type { LocalBlobFiles } from '../storage/local-blob-files.js';
import { cryptoDigestsOf, type CryptoDigests } from './crypto/crypto-hashes.js';
import type { FileHasher, FileSignalOptions, FileSignals } from './file-hasher.js';

/**
 * What a hash worker does with a local blob store for ingest, so that neither the bytes nor their renditions pass
 * through the main thread: store a file from disk, analysing it at once when its bytes are new to the store (the
 * folder door), and analyse a stored blob (the ingest job). Blocking file calls: these run on a hash worker thread
 * only (see LocalBlobFiles).
 */

/** A file as stored: its digests (hex), its size, and whether the store did not hold those bytes before. */
export interface StoredFile extends CryptoDigests {
  readonly created: boolean;
}

/** A stored file with, when asked for and its bytes were new to the store, their analysis (from the bytes in hand). */
export interface StoredAndAnalysed extends StoredFile {
  readonly analysis?: StoredAnalysis;
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

/** Reads a stored blob (verified against its address) and analyses it: see analyseBlobBytes. */
export async function analyseStoredBlob(hasher: FileHasher, files: LocalBlobFiles, sha256: string, options: FileSignalOptions): Promise<StoredAnalysis> {
  return analyseBlobBytes(hasher, files, files.read(sha256), options);
}

/**
 * A stored blob's plaintext analysed as FileHasher.hashBytes does, with the renditions it made stored. Archives are
 * left alone: their members are what gets analysed.
 */
async function analyseBlobBytes(hasher: FileHasher, files: LocalBlobFiles, bytes: Buffer, options: FileSignalOptions): Promise<StoredAnalysis> {
  const head = bytes.subarray(0, HEAD_BYTES).slice();
  if (sniffArchive(head) !== null) return { head, signals: null, renditions: null };
  const { renditions, ...signals } = await hasher.hashBytes(bytes, options);
  if (!renditions) return { head, signals, renditions: null };
  const thumbnail = files.put(asBuffer(renditions.thumbnail)).sha256;
  const preview = renditions.preview ? files.put(asBuffer(renditions.preview)).sha256 : null;
  return { head, signals, renditions: { thumbnail, preview } };
}

/**
 * storeLocalFile, then with `analyse` and bytes the store did not hold before, their analysis (analyseBlobBytes)
 * from the plaintext in hand: one request instead of two, and the blob is not read back and decrypted. Bytes that
 * were stored already are most likely a known item's (a sighting): not analysed here.
 */
export async function storeAndAnalyse(hasher: FileHasher, files: LocalBlobFiles, path: string, maxBytes: number, analyse?: FileSignalOptions): Promise<StoredAndAnalysed | null> {
  let plaintext: Buffer | undefined;
  const stored = storeLocalFile(files, path, maxBytes, (bytes) => (plaintext = bytes));
  if (!stored || !stored.created || !analyse || !plaintext) return stored;
  const known = { md5: stored.md5, sha1: stored.sha1, sha256: stored.sha256 };
  return { ...stored, analysis: await analyseBlobBytes(hasher, files, plaintext, { ...analyse, knownDigests: known }) };
}

/**
 * Reads a regular file of at most `maxBytes` whole, digests it and stores it. Null when the file is larger (or grew
 * past its size while being read): the caller streams it instead. `read`: handed the plaintext once it is stored.
 */
export function storeLocalFile(files: LocalBlobFiles, path: string, maxBytes: number, read?: (plaintext: Buffer) => void): StoredFile | null {
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
  read?.(bytes);
  return { ...digests, created };
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
