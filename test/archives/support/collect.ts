import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { readArchive } from '../../../src/archives/read-archive.js';
import type { ArchiveProblem, ArchiveReadOptions } from '../../../src/archives/archive-entry.js';

export interface Collected {
  readonly files: Map<string, Buffer>;
  readonly entries: { path: string; size: number; mtime: Date | null; nameEncoding: string; rawNameHex?: string }[];
  readonly problems: ArchiveProblem[];
  /** Errors the entry streams failed with, by path. */
  readonly streamErrors: Map<string, Error>;
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Reads every item of an archive file, opening and reading every entry. */
export async function collect(path: string, options: ArchiveReadOptions = {}): Promise<Collected> {
  const result: Collected = { files: new Map(), entries: [], problems: [], streamErrors: new Map() };
  for await (const item of readArchive({ path }, options)) {
    if (item.kind === 'problem') {
      result.problems.push(item);
      continue;
    }
    result.entries.push({ path: item.path, size: item.size, mtime: item.mtime, nameEncoding: item.nameEncoding, rawNameHex: item.rawNameHex });
    try {
      result.files.set(item.path, await readAll(item.open()));
    } catch (error) {
      result.streamErrors.set(item.path, error as Error);
    }
  }
  return result;
}

export class TempDir {
  private constructor(readonly path: string) {}
  static async create(): Promise<TempDir> {
    return new TempDir(await mkdtemp(join(tmpdir(), 'ariadne-archive-test-')));
  }
  async write(name: string, bytes: Buffer): Promise<string> {
    const path = join(this.path, name);
    await writeFile(path, bytes);
    return path;
  }
  async remove(): Promise<void> {
    await rm(this.path, { recursive: true, force: true });
  }
}
