import { createHash } from 'node:crypto';
import { closeSync, constants as fsConstants, fsync, linkSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writevSync } from 'node:fs';
import { promisify } from 'node:util';
import { dirname, join } from 'node:path';

import { NotFoundError } from '../core/errors.js';
import { assertSha256, shardedKey } from './blob-store.js';
import { OpenStream, sealBytes, sealWhole, type SealedBlob } from './envelope.js';
import { createKeyring, masterKeyFromBytes, type MasterKeyring } from './master-key.js';
import { errnoCode } from './fs-util.js';
import { tempFileName } from './temp-files.js';

/**
 * What a thread needs to read and write a local blob store's files itself: its root and its keys (the current one
 * first). Plain data, so it can be handed to a worker thread of this process (the keys never leave the process).
 */
export interface LocalBlobAccess {
  readonly root: string;
  /** Master keys, the one new envelopes are sealed under first. */
  readonly keys: readonly Uint8Array[];
  readonly segmentSizeLog2?: number;
}

/** Filesystems without hard links answer one of these; the store then falls back to check-then-rename. */
export const NO_HARD_LINKS: ReadonlySet<string> = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EMLINK']);

/** Where a blob's envelope lives under a local store's root: `root/ab/cd/<sha256>`. */
export function localBlobPath(root: string, sha256: string): string {
  assertSha256(sha256);
  return join(root, ...shardedKey(sha256).split('/'));
}

/** The keys of a keyring as plain data, the current one first. */
export function keyringKeys(keyring: MasterKeyring): Uint8Array[] {
  return [keyring.current.key, ...keyring.ids.filter((id) => id !== keyring.current.id).map((id) => keyring.find(id)!.key)];
}

/** The directories whose entries a link at `dir` changed and that must be synced: it, and those mkdir created. */
export function directoriesToSync(dir: string, firstCreated: string | undefined): string[] {
  const dirs = [dir];
  if (firstCreated) {
    for (let current = dir; current !== dirname(firstCreated); current = dirname(current)) dirs.push(dirname(current));
  }
  return dirs;
}

/**
 * A local blob store's files, read and written with blocking calls: for a thread that does nothing else (a hash
 * worker analysing stored images), where each file operation then costs a system call and no hand-off to libuv's
 * thread pool. The exception is fsync, which waits on the disk (a journal commit, often milliseconds under load): it
 * runs on libuv's pool, so the thread works on its other task meanwhile. Same envelopes and the same publishing
 * protocol as LocalBlobStore.put (sealed to a private temporary file, fsynced, hard-linked to its address, directory
 * fsynced), so the two can work on one store at once. Never use it on a thread that serves requests.
 */
export class LocalBlobFiles {
  private readonly root: string;
  private readonly tmpDir: string;
  private readonly keyring: MasterKeyring;
  private readonly segmentSizeLog2: number | undefined;
  private readonly knownDirs = new Set<string>();

  constructor(access: LocalBlobAccess) {
    if (access.keys.length === 0) throw new RangeError('local blob access needs at least one master key');
    const [current, ...previous] = access.keys.map((key) => masterKeyFromBytes(Buffer.from(key)));
    this.root = access.root;
    this.tmpDir = join(access.root, 'tmp');
    this.keyring = createKeyring(current, ...previous);
    this.segmentSizeLog2 = access.segmentSizeLog2;
  }

  /** The whole plaintext, verified against its address (IntegrityError when altered). NotFoundError when absent. */
  read(sha256: string): Buffer {
    let envelope: Buffer;
    try {
      envelope = readFileSync(localBlobPath(this.root, sha256));
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') throw new NotFoundError(`blob ${sha256} not found`, { sha256 });
      throw error;
    }
    return OpenStream.openBytes(this.keyring, envelope, { blob: sha256, expectedSha256: sha256 });
  }

  /** Whether a blob is stored under this address. */
  has(sha256: string): boolean {
    return exists(localBlobPath(this.root, sha256));
  }

  /** Seals small bytes whole under the current key, to be kept in the database (as BlobStore.sealInline does). */
  sealInline(bytes: Buffer): SealedBlob {
    return sealWhole(this.keyring, bytes, { segmentSizeLog2: this.segmentSizeLog2 });
  }

  /**
   * Stores bytes under their SHA-256 unless already stored; durable when it resolves. `sha256`: their digest when the
   * caller has just computed it from these bytes (not computed again).
   */
  async put(bytes: Buffer, sha256?: string): Promise<PutFile> {
    return (await this.putAll([{ bytes, sha256 }]))[0];
  }

  /**
   * Stores several blobs together (a file and its renditions), each as `put` would, answering in the same order. The
   * steps that wait on the disk are taken for all of them at once: every temporary file is written, then all are
   * fsynced together, hard-linked to their addresses, and the directories those links changed are fsynced together.
   * Filesystems commit concurrent fsyncs in one journal commit, so a file and its thumbnail cost about as much
   * waiting and kernel work as one blob, where one after the other cost twice. A failure fails the whole call; a
   * blob already published stays, as a complete blob (publishing is atomic per blob), and nothing else is left.
   */
  async putAll(blobs: ReadonlyArray<{ readonly bytes: Buffer; readonly sha256?: string }>): Promise<PutFile[]> {
    const results: PutFile[] = [];
    const writes: Array<{ readonly at: number; readonly tmpPath: string; readonly finalPath: string; fd: number | null }> = [];
    const addresses = new Set<string>();
    try {
      for (const { bytes, sha256 = createHash('sha256').update(bytes).digest('hex') } of blobs) {
        const finalPath = localBlobPath(this.root, sha256);
        results.push({ sha256, size: bytes.length, created: false });
        if (addresses.has(sha256) || exists(finalPath)) continue;
        addresses.add(sha256);
        const sealed = sealBytes(this.keyring, bytes, { segmentSizeLog2: this.segmentSizeLog2 }, sha256);
        const write = { at: results.length - 1, tmpPath: join(this.tmpDir, tempFileName()), finalPath, fd: null as number | null };
        writes.push(write);
        write.fd = openSync(write.tmpPath, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
        for (let buffers = sealed.pieces, left = sealed.envelopeBytes; left > 0; ) {
          const written = writevSync(write.fd, buffers);
          left -= written;
          buffers = dropWritten(buffers, written);
        }
      }
      await Promise.all(writes.map((w) => fsyncAsync(w.fd!)));
      closeAll(writes);
      const dirs = new Set<string>();
      for (const w of writes) {
        const published = this.publish(w.tmpPath, w.finalPath);
        if (!published) continue;
        results[w.at] = { ...results[w.at], created: true };
        for (const d of published) dirs.add(d);
      }
      await Promise.all([...dirs].map(syncDirectory));
      return results;
    } finally {
      closeAll(writes);
      for (const w of writes) {
        try {
          unlinkSync(w.tmpPath);
        } catch {
          // Not created, already gone (renamed into place), or left for the next open's sweep of stale temporary files.
        }
      }
    }
  }

  /**
   * Links a durable temporary file to its address. The directories whose entries changed, to be synced; null when
   * the address was taken meanwhile (by another writer of the same bytes).
   */
  private publish(tmpPath: string, finalPath: string): string[] | null {
    const dir = dirname(finalPath);
    let firstCreated = this.knownDirs.has(dir) ? undefined : this.makeDir(dir);
    try {
      try {
        linkSync(tmpPath, finalPath);
      } catch (error) {
        if (errnoCode(error) !== 'ENOENT' || !this.knownDirs.has(dir)) throw error;
        this.knownDirs.delete(dir);
        firstCreated = this.makeDir(dir);
        linkSync(tmpPath, finalPath);
      }
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'EEXIST') return null;
      if (!code || !NO_HARD_LINKS.has(code)) throw error;
      if (exists(finalPath)) return null;
      renameSync(tmpPath, finalPath);
    }
    return directoriesToSync(dir, firstCreated);
  }

  private makeDir(dir: string): string | undefined {
    const firstCreated = mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (this.knownDirs.size >= 65_536) this.knownDirs.clear();
    this.knownDirs.add(dir);
    return firstCreated;
  }
}

/** What `put` answers for each blob: its address and size, and whether this call stored it. */
export interface PutFile {
  readonly sha256: string;
  readonly size: number;
  readonly created: boolean;
}

/** Closes the temporary files still open, once. */
function closeAll(writes: Array<{ fd: number | null }>): void {
  for (const w of writes) {
    if (w.fd === null) continue;
    const fd = w.fd;
    w.fd = null;
    closeSync(fd);
  }
}

/** Whether a path exists. A missing one is the usual answer (a new blob): no error is made for it. */
function exists(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false }) !== undefined;
}

const fsyncAsync = promisify(fsync);

async function syncDirectory(path: string): Promise<void> {
  if (process.platform === 'win32') return;
  const fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
  try {
    await fsyncAsync(fd);
  } finally {
    closeSync(fd);
  }
}

/** writev may write fewer bytes than asked; returns what is left. */
export function dropWritten(buffers: Buffer[], written: number): Buffer[] {
  let index = 0;
  while (index < buffers.length && written >= buffers[index].length) {
    written -= buffers[index].length;
    index++;
  }
  const rest = buffers.slice(index);
  if (rest.length && written > 0) rest[0] = rest[0].subarray(written);
  return rest;
}
