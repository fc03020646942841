import { createHash, randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { link, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';

import { AriadneError, NotFoundError, UnavailableError } from '../core/errors.js';
import { assertSha256, readAll } from './blob-store.js';
import type { BlobStore, PutResult } from './blob-store.js';
import { OpenStream, openWhole, sealWhole, type SealedBlob } from './envelope.js';
import { sealToFile, shaMismatch } from './seal-to-file.js';
import type { MasterKeyring } from './master-key.js';
import { describeError, errnoCode, syncDirectory } from './fs-util.js';
import { directoriesToSync, keyringKeys, localBlobPath, NO_HARD_LINKS, type LocalBlobAccess } from './local-blob-files.js';
import { DEFAULT_STALE_TEMP_MS, removeStaleTempFiles, tempFileName } from './temp-files.js';

export interface LocalBlobStoreOptions {
  /** Directory holding the blobs (`ab/cd/<sha256>`) and `tmp/`; created 0700 when missing. */
  root: string;
  keyring: MasterKeyring;
  /** log2 of the envelope segment size; default 16 (64 KiB). */
  segmentSizeLog2?: number;
  /** Temporary files untouched this long are removed at open even when their writer may live; default 1 hour. */
  staleTempMs?: number;
}

const READ_CHUNK_BYTES = 1024 * 1024;
/** Blobs up to this size are read whole by getBuffer and opened in one call; larger ones stream. */
const WHOLE_READ_BYTES = 64 * 1024 * 1024;
/** Shard directories remembered as existing (two hex levels: at most 65,536 of them). */
const MAX_KNOWN_DIRS = 65_536;

/**
 * Encrypted, content-addressed blobs on a local filesystem.
 *
 * A put streams the plaintext through the sealer into a temporary file under `root/tmp` (same filesystem, so the
 * final step is atomic), fsyncs it, then hard-links it to `root/ab/cd/<sha256>`: link() fails when the name exists,
 * so of concurrent puts of the same bytes exactly one reports `created: true` and a stored blob is never replaced.
 * The directory is fsynced after the link, and the temporary name removed. Readers therefore see either no blob or
 * a complete, durable one.
 */
export class LocalBlobStore implements BlobStore {
  readonly kind = 'local';
  readonly root: string;
  /** How many crashed writers' temporary files `open` removed (for the start-up log). */
  readonly staleTempFilesRemoved: number;
  private readonly tmpDir: string;
  private readonly keyring: MasterKeyring;
  private readonly segmentSizeLog2: number | undefined;
  private closed = false;
  private readonly knownDirs = new Set<string>();

  private constructor(options: LocalBlobStoreOptions, root: string, staleTempFilesRemoved: number) {
    this.root = root;
    this.tmpDir = join(root, 'tmp');
    this.keyring = options.keyring;
    this.segmentSizeLog2 = options.segmentSizeLog2;
    this.staleTempFilesRemoved = staleTempFilesRemoved;
  }

  /** Creates the root and `tmp/` when missing (mode 0700) and removes temporary files left by crashed writers. */
  static async open(options: LocalBlobStoreOptions): Promise<LocalBlobStore> {
    const root = resolve(options.root);
    try {
      await mkdir(join(root, 'tmp'), { recursive: true, mode: 0o700 });
      const removed = await removeStaleTempFiles(join(root, 'tmp'), options.staleTempMs ?? DEFAULT_STALE_TEMP_MS);
      return new LocalBlobStore(options, root, removed);
    } catch (error) {
      throw new UnavailableError(`local blob store at ${root} cannot be opened: ${describeError(error)}`, { root }, { cause: error });
    }
  }

  /** Where a blob's envelope lives (for maintenance tools and tests). */
  blobPath(sha256: string): string {
    return localBlobPath(this.root, sha256);
  }

  /** Root and keys for a thread that reads and writes this store's files itself (local-blob-files.ts). */
  localAccess(): LocalBlobAccess {
    return { root: this.root, keys: keyringKeys(this.keyring), segmentSizeLog2: this.segmentSizeLog2 };
  }

  async put(source: Readable | Buffer, options: { expectedSha256?: string } = {}): Promise<PutResult> {
    this.assertOpen();
    if (options.expectedSha256 !== undefined) assertSha256(options.expectedSha256, 'expectedSha256');
    // Bytes in memory that are already stored (a rendition seen before, a preview that is the original itself) cost
    // one digest and one stat, not an encryption, a write and two fsyncs.
    let plaintextSha256: string | undefined;
    if (Buffer.isBuffer(source)) {
      plaintextSha256 = createHash('sha256').update(source).digest('hex');
      if (options.expectedSha256 !== undefined && options.expectedSha256 !== plaintextSha256) throw shaMismatch(options.expectedSha256, plaintextSha256);
      if (await exists(this.blobPath(plaintextSha256))) return { sha256: plaintextSha256, size: source.length, created: false };
    }
    const tmpPath = join(this.tmpDir, tempFileName());
    try {
      const sealed = await sealToFile(source, tmpPath, this.keyring, {
        expectedSha256: options.expectedSha256,
        segmentSizeLog2: this.segmentSizeLog2,
        plaintextSha256,
      });
      const created = await this.publish(tmpPath, this.blobPath(sealed.sha256));
      return { sha256: sealed.sha256, size: sealed.size, created };
    } catch (error) {
      throw this.wrap(error, 'put');
    } finally {
      // After a successful link the temporary name is a second link to the blob; after a failure it is garbage.
      // Either way it goes (should unlink itself fail, the next open's stale-file sweep removes it).
      await unlink(tmpPath).catch(() => undefined);
    }
  }

  /** Moves a finished temporary file to its address; false when a blob was already there. */
  private async publish(tmpPath: string, finalPath: string): Promise<boolean> {
    const dir = dirname(finalPath);
    // Shard directories, once made or seen, are remembered: no mkdir call per put. Should one vanish (removed by
    // hand), the link fails with ENOENT and the directory is made again.
    let firstCreated = this.knownDirs.has(dir) ? undefined : await this.makeDir(dir);
    try {
      try {
        await link(tmpPath, finalPath);
      } catch (error) {
        if (errnoCode(error) !== 'ENOENT' || !this.knownDirs.has(dir)) throw error;
        this.knownDirs.delete(dir);
        firstCreated = await this.makeDir(dir);
        await link(tmpPath, finalPath);
      }
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'EEXIST') return false;
      if (!code || !NO_HARD_LINKS.has(code)) throw error;
      // No hard links here: rename cannot refuse to replace, so check first. A concurrent put of the same bytes
      // may then replace the blob with another envelope of the same plaintext, which readers cannot tell apart.
      if (await exists(finalPath)) return false;
      await rename(tmpPath, finalPath);
    }
    // Make the new name durable, and any directory mkdir created on the way (its entry lives in its parent). The
    // directories are independent of one another, so they are synced together: one fsync's latency, not up to three.
    await Promise.all(directoriesToSync(dir, firstCreated).map((d) => syncDirectory(d)));
    return true;
  }

  private async makeDir(dir: string): Promise<string | undefined> {
    const firstCreated = await mkdir(dir, { recursive: true, mode: 0o700 });
    if (this.knownDirs.size >= MAX_KNOWN_DIRS) this.knownDirs.clear();
    this.knownDirs.add(dir);
    return firstCreated;
  }

  async get(sha256: string): Promise<Readable> {
    this.assertOpen();
    const path = this.blobPath(sha256);
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') throw new NotFoundError(`blob ${sha256} not found`, { sha256 });
      throw this.wrap(error, 'get');
    }
    const reader = new OpenStream(this.keyring, { blob: sha256, expectedSha256: sha256 });
    const file = handle.createReadStream({ highWaterMark: READ_CHUNK_BYTES });
    // pipeline forwards a read error into `reader` and closes the file when the consumer stops early.
    pipeline(file, reader, () => undefined);
    return reader;
  }

  async getBuffer(sha256: string): Promise<Buffer> {
    this.assertOpen();
    const path = this.blobPath(sha256);
    let envelope: Buffer;
    try {
      // Whole-blob reads (renditions, images for ingest) open in one call; a large blob streams instead.
      if ((await stat(path)).size > WHOLE_READ_BYTES) return readAll(await this.get(sha256));
      envelope = await readFile(path);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') throw new NotFoundError(`blob ${sha256} not found`, { sha256 });
      throw this.wrap(error, 'get');
    }
    return OpenStream.openBytes(this.keyring, envelope, { blob: sha256, expectedSha256: sha256 });
  }

  sealInline(bytes: Buffer): SealedBlob {
    this.assertOpen();
    return sealWhole(this.keyring, bytes, { segmentSizeLog2: this.segmentSizeLog2 });
  }

  openInline(sha256: string, envelope: Uint8Array): Buffer {
    this.assertOpen();
    return openWhole(this.keyring, sha256, envelope);
  }

  async has(sha256: string): Promise<boolean> {
    this.assertOpen();
    return exists(this.blobPath(sha256));
  }

  async delete(sha256: string): Promise<void> {
    this.assertOpen();
    const path = this.blobPath(sha256);
    try {
      await unlink(path);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return;
      throw this.wrap(error, 'delete');
    }
    await syncDirectory(dirname(path)).catch(() => undefined);
  }

  /** Stores, reads back and deletes a random probe blob. */
  async check(): Promise<{ ok: boolean; detail?: string }> {
    try {
      this.assertOpen();
      const probe = randomBytes(64);
      const { sha256 } = await this.put(probe);
      try {
        const back = await this.getBuffer(sha256);
        if (!back.equals(probe)) return { ok: false, detail: `local blob store at ${this.root}: probe read back different bytes` };
      } finally {
        await this.delete(sha256);
      }
      return { ok: true, detail: `local blob store at ${this.root}` };
    } catch (error) {
      return { ok: false, detail: describeError(error) };
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new UnavailableError(`local blob store at ${this.root} is closed`);
  }

  /** Typed errors pass through; filesystem failures (ENOSPC, EACCES, EIO) become UnavailableError. */
  private wrap(error: unknown, operation: string): Error {
    if (error instanceof AriadneError) return error;
    const code = errnoCode(error);
    if (code && code.startsWith('E')) {
      return new UnavailableError(`local blob store at ${this.root}: ${operation} failed: ${describeError(error)}`, { root: this.root, code }, { cause: error });
    }
    return error instanceof Error ? error : new Error(String(error));
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw error;
  }
}
