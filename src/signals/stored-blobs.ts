import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { ARCHIVE_SNIFF_BYTES, sniffArchive } from '../archives/sniff.js';
import { InvalidError } from '../core/errors.js';
import type { SealedBlob } from '../storage/envelope.js';
import type { LocalBlobFiles, PutFile } from '../storage/local-blob-files.js';
import { cryptoDigestsOf, type CryptoDigests } from './crypto/crypto-hashes.js';
import type { FileHasher, FileSignalOptions, FileSignals } from './file-hasher.js';
import { asBuffer } from '../core/bytes.js';

/**
 * What a hash worker does with a local blob store for ingest, so that neither the bytes nor their renditions pass
 * through the main thread: store a file from disk, analysing it at once when its bytes are new to the store (the
 * folder door), and analyse a stored blob (the ingest job). Blocking file calls (all but the fsyncs, which wait on
 * libuv's pool): these run on a hash worker thread only (see LocalBlobFiles).
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
  /**
   * The first bytes of the plaintext, for the caller's own sniffing: up to HEAD_BYTES for an archive, and with
   * signals (whose `mime` is the sniffed type) up to ARCHIVE_SNIFF_BYTES, enough to tell an archive.
   */
  readonly head: Uint8Array;
  /**
   * The signals, with EXIF when asked to extract; null when the blob is an archive (never decoded, whatever else
   * its bytes may look like). The renditions are not in here but stored: see `renditions`.
   */
  readonly signals: Omit<FileSignals, 'renditions'> | null;
  /**
   * The redacted thumbnail sealed for the database (kept with the item's row: storage/inline-blobs.ts), and the
   * address of the stored preview (null: the blob itself is its preview).
   */
  readonly renditions: { readonly thumbnail: SealedBlob; readonly preview: string | null } | null;
}

/** How much of a blob's start comes back with its analysis. */
export const HEAD_BYTES = 64 * 1024;

/** Reads a stored blob (verified against its address) and analyses it, storing the preview it makes. */
export async function analyseStoredBlob(hasher: FileHasher, files: LocalBlobFiles, sha256: string, options: FileSignalOptions): Promise<StoredAnalysis> {
  const analysed = await analyseBlobBytes(hasher, files.read(sha256), options);
  return stored(files, analysed, await files.putAll(renditionsOf(analysed)));
}

/** An analysis whose renditions are still bytes in memory: stored (renditionsOf) before it is answered (stored). */
interface Analysed extends Omit<StoredAnalysis, 'renditions'> {
  readonly renditions: FileSignals['renditions'] | null;
}

/**
 * A blob's plaintext analysed as FileHasher.hashBytes does, its renditions not stored yet. Archives are left alone:
 * their members are what gets analysed.
 */
async function analyseBlobBytes(hasher: FileHasher, bytes: Buffer, options: FileSignalOptions): Promise<Analysed> {
  if (sniffArchive(bytes) !== null) return { head: headOf(bytes, HEAD_BYTES), signals: null, renditions: null };
  const head = headOf(bytes, ARCHIVE_SNIFF_BYTES);
  const { renditions, ...signals } = await hasher.hashBytes(bytes, options);
  return { head, signals, renditions: renditions ?? null };
}

/**
 * An analysis's renditions that go to the blob store: the preview, when the file is not its own. The redacted
 * thumbnail (a few kilobytes) is sealed for the database instead (see `stored`): a file of its own would cost more
 * than all of its bytes (a file created, fsynced, linked, its directory fsynced).
 */
function renditionsOf(analysed: Analysed): Array<{ bytes: Buffer }> {
  const preview = analysed.renditions?.preview;
  return preview ? [{ bytes: asBuffer(preview) }] : [];
}

/** The analysis as answered: the thumbnail sealed, and the preview's address (from putAll, in renditionsOf's order). */
function stored(files: LocalBlobFiles, analysed: Analysed, puts: readonly PutFile[]): StoredAnalysis {
  const { head, signals, renditions } = analysed;
  if (!renditions) return { head, signals, renditions: null };
  return { head, signals, renditions: { thumbnail: files.sealInline(asBuffer(renditions.thumbnail)), preview: renditions.preview ? puts[0].sha256 : null } };
}

/**
 * Reads a local file whole, digests it and stores it (see readLocalFile). With `analyse`, when the store did not hold
 * its bytes before, they are analysed (analyseBlobBytes) from the plaintext in hand, and stored together with the
 * renditions the analysis made (LocalBlobFiles.putAll: the disk is waited for once): one request instead of two,
 * and the blob is not read back and decrypted. Bytes that were stored already are most likely a known item's (a
 * sighting): not analysed here. An analysis that fails leaves the file stored, without analysis: the caller's job
 * analyses it again and records why it fails.
 */
export async function storeLocalFile(files: LocalBlobFiles, path: string, maxBytes: number, analyse?: { readonly hasher: FileHasher; readonly options: FileSignalOptions }): Promise<StoredAndAnalysed | null> {
  const read = readLocalFile(path, maxBytes);
  if (!read) return null;
  const { bytes, digests } = read;
  const analysed = analyse && !files.has(digests.sha256) ? await analyseBlobBytes(analyse.hasher, bytes, { ...analyse.options, knownDigests: digests }).catch(() => undefined) : undefined;
  const [{ created }, ...renditions] = await files.putAll([{ bytes, sha256: digests.sha256 }, ...(analysed ? renditionsOf(analysed) : [])]);
  return { ...digests, created, ...(analysed ? { analysis: stored(files, analysed, renditions) } : {}) };
}

/**
 * Reads a regular file of at most `maxBytes` whole and digests it. Null when the file is larger (or grew past its
 * size while being read): the caller streams it instead.
 */
function readLocalFile(path: string, maxBytes: number): { bytes: Buffer; digests: CryptoDigests } | null {
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
  return { bytes, digests: cryptoDigestsOf(bytes) };
}

/**
 * The first `n` bytes copied into memory of their own: the head is transferred to the caller, and a view (Buffer's
 * slice and subarray are views) would take the whole file's memory with it, which the receiving thread then counts
 * as external memory until its next full collection.
 */
function headOf(bytes: Uint8Array, n: number): Uint8Array {
  return new Uint8Array(bytes.subarray(0, n));
}

