import { randomBytes } from 'node:crypto';
import { constants as fsConstants, createReadStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { IntegrityError } from '../core/errors.js';
import { createOpenStream } from '../storage/envelope.js';
import { errnoCode, syncDirectory } from '../storage/fs-util.js';
import type { MasterKeyring } from '../storage/master-key.js';
import { sealToFile } from '../storage/seal-to-file.js';

/** An upload id: 128 random bits as 32 lowercase hex digits (also the name of its directory). */
export const UPLOAD_ID = /^[0-9a-f]{32}$/;

const INFO_FILE = 'info.json';
const CHUNK_FILE = /^(\d{16})-(\d{16})\.chunk$/;
const OFFSET_DIGITS = 16;

const recordSchema = z.strictObject({
  version: z.literal(1),
  id: z.string().regex(UPLOAD_ID),
  userId: z.number().int().positive(),
  submissionId: z.number().int().positive(),
  path: z.string().min(1),
  mtime: z.number().int().nullable(),
  length: z.number().int().nonnegative(),
  offset: z.number().int().nonnegative(),
  metadata: z.record(z.string(), z.string()),
  createdAt: z.number().int(),
  expiresAt: z.number().int(),
  completed: z.strictObject({ fileId: z.number().int(), sha256: z.string().nullable(), added: z.boolean(), at: z.number().int() }).nullable(),
});

/**
 * What `info.json` holds about one upload: who owns it, where it goes, how long it is, how far it got, when it
 * expires. Never any content. `offset` is a cache of what the chunk files prove (see UploadStore.read).
 */
export type UploadRecord = z.infer<typeof recordSchema>;

/** One sealed chunk: the plaintext bytes [start, end) of the upload. */
export interface ChunkRef {
  readonly start: number;
  readonly end: number;
  readonly file: string;
}

export interface StoredUpload {
  readonly record: UploadRecord;
  /** Bytes received so far: the end of the contiguous chain of chunks from 0. */
  readonly offset: number;
  /** The chain, in order. */
  readonly chunks: readonly ChunkRef[];
}

/**
 * Partial uploads on disk, never in plaintext: `<root>/<id>/info.json` (metadata only) and one sealed envelope per
 * received PATCH body, `<start>-<end>.chunk` (zero-padded plaintext offsets), sealed under the master keyring like
 * every blob. A chunk is written to a temporary name, fsynced, then renamed into place and the directory fsynced:
 * a chunk counts only once it is complete, so after a crash the offset is what the renamed chunks prove, whatever
 * info.json last said. Directories are 0700, files 0600.
 */
export class UploadStore {
  constructor(
    readonly root: string,
    private readonly keyring: MasterKeyring,
  ) {}

  async init(): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
  }

  /** Creates the upload's directory (exclusively: ids never repeat) and its info file. */
  async create(record: UploadRecord): Promise<void> {
    await this.init();
    await mkdir(this.dir(record.id), { mode: 0o700 });
    await this.writeRecord(record);
    await syncDirectory(this.root);
  }

  /** Replaces info.json atomically (temporary file, fsync, rename). */
  async writeRecord(record: UploadRecord): Promise<void> {
    const checked = recordSchema.parse(record);
    const dir = this.dir(checked.id);
    const tmp = join(dir, tempName());
    const handle = await open(tmp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
    try {
      await handle.writeFile(JSON.stringify(checked), 'utf8');
      await handle.sync();
    } catch (error) {
      await handle.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      throw error;
    }
    await handle.close();
    await rename(tmp, join(dir, INFO_FILE));
    await syncDirectory(dir);
  }

  /** The record alone, or undefined when the upload does not exist; IntegrityError when info.json is malformed. */
  async readRecord(id: string): Promise<UploadRecord | undefined> {
    if (!UPLOAD_ID.test(id)) return undefined;
    let text: string;
    try {
      text = await readFile(join(this.dir(id), INFO_FILE), 'utf8');
    } catch (error) {
      if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return undefined;
      throw error;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new IntegrityError(`upload ${id}: info.json is not JSON`, { upload: id }, { cause: error });
    }
    const result = recordSchema.safeParse(parsed);
    if (!result.success || result.data.id !== id) throw new IntegrityError(`upload ${id}: info.json is malformed`, { upload: id });
    return result.data;
  }

  /** The record with the chunks that are in place and the offset they prove. */
  async read(id: string): Promise<StoredUpload | undefined> {
    const record = await this.readRecord(id);
    if (!record) return undefined;
    const chunks = chainOf(await this.chunkFiles(id));
    const offset = chunks.length ? chunks[chunks.length - 1].end : 0;
    return { record, offset, chunks };
  }

  /**
   * Seals `source` as the chunk starting at `start` and renames it into place. Returns the plaintext bytes written;
   * an empty source leaves no chunk. On any failure the temporary file is gone and nothing counts.
   */
  async appendChunk(id: string, start: number, source: Readable): Promise<number> {
    const dir = this.dir(id);
    const tmp = join(dir, tempName());
    const sealed = await sealToFile(source, tmp, this.keyring);
    if (sealed.size === 0) {
      await unlink(tmp);
      return 0;
    }
    try {
      await rename(tmp, join(dir, chunkName(start, start + sealed.size)));
    } catch (error) {
      await unlink(tmp).catch(() => undefined);
      throw error;
    }
    await syncDirectory(dir);
    return sealed.size;
  }

  /**
   * The upload's plaintext, decrypted chunk by chunk in order (bounded memory). Every segment is authenticated before
   * it is released, and each chunk must hold exactly the bytes its name says; otherwise the stream fails with
   * IntegrityError.
   */
  plaintext(id: string, chunks: readonly ChunkRef[]): Readable {
    const dir = this.dir(id);
    const keyring = this.keyring;
    async function* bytes(): AsyncGenerator<Buffer> {
      for (const chunk of chunks) {
        const file = createReadStream(join(dir, chunk.file));
        const opened = createOpenStream(keyring, { blob: `upload ${id} chunk ${chunk.start}-${chunk.end}` });
        file.once('error', (error) => opened.destroy(error));
        file.pipe(opened);
        try {
          for await (const piece of opened) yield piece as Buffer;
        } finally {
          file.destroy();
        }
        if (opened.size !== chunk.end - chunk.start) {
          throw new IntegrityError(`upload ${id}: chunk ${chunk.file} holds ${opened.size} bytes, not ${chunk.end - chunk.start}`, { upload: id });
        }
      }
    }
    return Readable.from(bytes(), { objectMode: false });
  }

  /** Removes every chunk and temporary file, keeping info.json (a completed upload's record stays until it expires). */
  async removeChunks(id: string): Promise<void> {
    const dir = this.dir(id);
    for (const name of await readdir(dir)) {
      if (name !== INFO_FILE) await unlink(join(dir, name)).catch((error: unknown) => {
        if (errnoCode(error) !== 'ENOENT') throw error;
      });
    }
    await syncDirectory(dir);
  }

  /** Removes the upload entirely. */
  async remove(id: string): Promise<void> {
    if (!UPLOAD_ID.test(id)) return;
    await rm(this.dir(id), { recursive: true, force: true });
  }

  /** Ids of every upload directory. */
  async list(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.root);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return [];
      throw error;
    }
    return names.filter((n) => UPLOAD_ID.test(n));
  }

  /** Last change of the upload's directory (epoch ms), for directories whose info file cannot be read. */
  async modifiedAt(id: string): Promise<number | undefined> {
    try {
      return (await stat(this.dir(id))).mtimeMs;
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return undefined;
      throw error;
    }
  }

  private async chunkFiles(id: string): Promise<ChunkRef[]> {
    const out: ChunkRef[] = [];
    for (const name of await readdir(this.dir(id))) {
      const m = CHUNK_FILE.exec(name);
      if (!m) continue;
      const start = Number(m[1]);
      const end = Number(m[2]);
      if (end > start) out.push({ start, end, file: name });
    }
    return out;
  }

  private dir(id: string): string {
    if (!UPLOAD_ID.test(id)) throw new RangeError(`not an upload id: ${JSON.stringify(id)}`);
    return join(this.root, id);
  }
}

/**
 * The contiguous chain of chunks from offset 0. Where two chunks start at the same offset (two writers raced in
 * different processes: both hold the client's bytes for that range), the longer one is taken.
 */
export function chainOf(chunks: readonly ChunkRef[]): ChunkRef[] {
  const byStart = new Map<number, ChunkRef>();
  for (const c of chunks) {
    const other = byStart.get(c.start);
    if (!other || c.end > other.end) byStart.set(c.start, c);
  }
  const chain: ChunkRef[] = [];
  let at = 0;
  for (let next = byStart.get(at); next; next = byStart.get(at)) {
    chain.push(next);
    at = next.end;
  }
  return chain;
}

export function chunkName(start: number, end: number): string {
  return `${String(start).padStart(OFFSET_DIGITS, '0')}-${String(end).padStart(OFFSET_DIGITS, '0')}.chunk`;
}

function tempName(): string {
  return `.${randomBytes(8).toString('hex')}.tmp`;
}
