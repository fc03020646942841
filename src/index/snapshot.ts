import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import { basename, dirname, join } from 'node:path';

import { IntegrityError, InvalidError } from '../core/errors.js';
import { syncDirectory } from '../storage/fs-util.js';

/**
 * Index snapshot files. Layout (little-endian):
 *
 *   0   magic "ARIDXSNP" (8 bytes)
 *   8   format version (u32, currently 1)
 *   12  kind (u32: which index wrote it, see SnapshotKind)
 *   16  entry count (u64)
 *   24  checkpoint (i64: the database change sequence the snapshot reflects)
 *   32  parameter count P (u32, at most 64)
 *   36  section count S (u32, at most 64)
 *   40  SHA-256 (32 bytes) of bytes [0, 40) followed by every byte from 72 to the end of the file
 *   72  P parameters (u32 each), then S section byte lengths (u64 each), zero padding to a multiple of 8
 *       then the sections, each padded with zeros to a multiple of 8 bytes
 *
 * Sections are typed arrays written in the machine's byte order; snapshots are only written and read on
 * little-endian machines (x86-64, arm64), which this module checks. The file is written to a temporary name in the
 * same directory, fsynced, renamed over the destination and the directory fsynced, so a crash leaves either the old
 * snapshot or the new one. Reading verifies the size, the header and the checksum before returning anything; any
 * mismatch is an IntegrityError (the caller rebuilds the index from the database).
 */

export const SNAPSHOT_MAGIC = 'ARIDXSNP';
export const SNAPSHOT_VERSION = 1;
const FIXED_HEADER = 72;
const MAX_PARAMS = 64;
const MAX_SECTIONS = 64;
const IO_CHUNK = 1 << 26; // 64 MiB per read/write call

export enum SnapshotKind {
  Linear256 = 1,
  MultiIndex256 = 2,
  Exact = 3,
  FlatVector = 4,
  IvfVector = 5,
}

export interface SnapshotContent {
  kind: SnapshotKind;
  entryCount: number;
  checkpoint: bigint | number;
  params: readonly number[];
  sections: readonly ArrayBufferView[];
}

export interface LoadedSnapshot {
  kind: SnapshotKind;
  entryCount: number;
  checkpoint: bigint;
  params: number[];
  sections: ArrayBufferView[];
}

/**
 * Allocates the typed array that section `index` (`byteLength` bytes) is read into; it may throw IntegrityError
 * when the length does not fit what the parameters say.
 */
export type SectionAllocator = (index: number, byteLength: number, params: readonly number[], entryCount: number) => ArrayBufferView;

function checkEndianness(): void {
  if (endianness() !== 'LE') throw new InvalidError('index snapshots are only supported on little-endian machines');
}

function toBigCheckpoint(checkpoint: bigint | number): bigint {
  const value = typeof checkpoint === 'bigint' ? checkpoint : Number.isSafeInteger(checkpoint) ? BigInt(checkpoint) : null;
  if (value === null || value < -(1n << 63n) || value >= 1n << 63n) throw new InvalidError(`snapshot checkpoint must be a 64-bit integer, got ${String(checkpoint)}`);
  return value;
}

function pad8(n: number): number {
  return (8 - (n % 8)) % 8;
}

function bytesView(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

function headerBytes(content: SnapshotContent, checkpoint: bigint): Uint8Array {
  const p = content.params.length;
  const s = content.sections.length;
  const length = FIXED_HEADER + 4 * p + 8 * s;
  const header = new Uint8Array(length + pad8(length));
  const view = new DataView(header.buffer);
  for (let i = 0; i < 8; i++) header[i] = SNAPSHOT_MAGIC.charCodeAt(i);
  view.setUint32(8, SNAPSHOT_VERSION, true);
  view.setUint32(12, content.kind, true);
  view.setBigUint64(16, BigInt(content.entryCount), true);
  view.setBigInt64(24, checkpoint, true);
  view.setUint32(32, p, true);
  view.setUint32(36, s, true);
  let at = FIXED_HEADER;
  for (const value of content.params) {
    view.setUint32(at, value, true);
    at += 4;
  }
  for (const section of content.sections) {
    view.setBigUint64(at, BigInt(section.byteLength), true);
    at += 8;
  }
  return header;
}

/** Writes a snapshot atomically (temp file, fsync, rename, directory fsync). */
export async function writeSnapshot(path: string, content: SnapshotContent): Promise<void> {
  checkEndianness();
  if (content.params.length > MAX_PARAMS || content.sections.length > MAX_SECTIONS) throw new InvalidError('too many snapshot parameters or sections');
  for (const value of content.params) {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new InvalidError(`snapshot parameters must be uint32, got ${value}`);
  }
  if (!Number.isSafeInteger(content.entryCount) || content.entryCount < 0) throw new InvalidError(`bad snapshot entry count ${content.entryCount}`);
  const header = headerBytes(content, toBigCheckpoint(content.checkpoint));
  const zeros = new Uint8Array(8);

  const digest = createHash('sha256');
  digest.update(header.subarray(0, 40));
  digest.update(header.subarray(FIXED_HEADER));
  for (const section of content.sections) {
    const bytes = bytesView(section);
    for (let at = 0; at < bytes.length; at += IO_CHUNK) digest.update(bytes.subarray(at, Math.min(bytes.length, at + IO_CHUNK)));
    digest.update(zeros.subarray(0, pad8(bytes.length)));
  }
  header.set(digest.digest(), 40);

  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
  try {
    await writeAll(handle, header);
    for (const section of content.sections) {
      const bytes = bytesView(section);
      for (let at = 0; at < bytes.length; at += IO_CHUNK) await writeAll(handle, bytes.subarray(at, Math.min(bytes.length, at + IO_CHUNK)));
      const padding = pad8(bytes.length);
      if (padding > 0) await writeAll(handle, zeros.subarray(0, padding));
    }
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(dirname(path));
}

async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done);
    done += bytesWritten;
  }
}

async function readExactly(handle: FileHandle, into: Uint8Array, position: number, path: string): Promise<void> {
  let done = 0;
  while (done < into.length) {
    const length = Math.min(IO_CHUNK, into.length - done);
    const { bytesRead } = await handle.read(into, done, length, position + done);
    if (bytesRead === 0) throw new IntegrityError(`index snapshot ${path} is truncated`, { path });
    done += bytesRead;
  }
}

/**
 * Reads and verifies a snapshot. `kinds` lists the kinds the caller accepts; anything else (another index's file, a
 * newer format, a damaged or truncated file) throws IntegrityError. Sections are read straight into the arrays that
 * `allocate` returns.
 */
export async function readSnapshot(path: string, kinds: readonly SnapshotKind[], allocate: SectionAllocator): Promise<LoadedSnapshot> {
  checkEndianness();
  const handle = await open(path, 'r');
  try {
    const size = (await handle.stat()).size;
    const fail = (message: string): never => {
      throw new IntegrityError(`index snapshot ${path}: ${message}`, { path });
    };
    if (size < FIXED_HEADER) fail(`too short (${size} bytes)`);
    const fixed = new Uint8Array(FIXED_HEADER);
    await readExactly(handle, fixed, 0, path);
    const view = new DataView(fixed.buffer);
    for (let i = 0; i < 8; i++) if (fixed[i] !== SNAPSHOT_MAGIC.charCodeAt(i)) fail('not an index snapshot (bad magic)');
    const version = view.getUint32(8, true);
    if (version !== SNAPSHOT_VERSION) fail(`format version ${version}, expected ${SNAPSHOT_VERSION}`);
    const kind = view.getUint32(12, true) as SnapshotKind;
    if (!kinds.includes(kind)) fail(`kind ${kind}, expected ${kinds.join(' or ')}`);
    const entryCountBig = view.getBigUint64(16, true);
    if (entryCountBig > BigInt(Number.MAX_SAFE_INTEGER)) fail('entry count out of range');
    const entryCount = Number(entryCountBig);
    const checkpoint = view.getBigInt64(24, true);
    const p = view.getUint32(32, true);
    const s = view.getUint32(36, true);
    if (p > MAX_PARAMS || s > MAX_SECTIONS) fail('corrupt header (parameter or section count)');
    const tableLength = 4 * p + 8 * s;
    const headerLength = FIXED_HEADER + tableLength + pad8(FIXED_HEADER + tableLength);
    if (size < headerLength) fail('truncated header');
    const table = new Uint8Array(headerLength - FIXED_HEADER);
    await readExactly(handle, table, FIXED_HEADER, path);
    const tableView = new DataView(table.buffer);
    const params: number[] = [];
    for (let i = 0; i < p; i++) params.push(tableView.getUint32(4 * i, true));
    const lengths: number[] = [];
    let expectedSize = headerLength;
    for (let i = 0; i < s; i++) {
      const length = tableView.getBigUint64(4 * p + 8 * i, true);
      if (length > BigInt(size)) fail(`section ${i} length exceeds the file size`);
      lengths.push(Number(length));
      expectedSize += Number(length) + pad8(Number(length));
    }
    if (size < expectedSize) fail(`truncated: ${size} bytes, expected ${expectedSize}`);
    if (size > expectedSize) fail(`trailing bytes: ${size} bytes, expected ${expectedSize}`);

    const digest = createHash('sha256');
    digest.update(fixed.subarray(0, 40));
    digest.update(table);
    const sections: ArrayBufferView[] = [];
    let position = headerLength;
    const padding = new Uint8Array(8);
    for (let i = 0; i < s; i++) {
      const target = allocate(i, lengths[i], params, entryCount);
      if (target.byteLength !== lengths[i]) fail(`section ${i} has ${lengths[i]} bytes, which does not fit the index`);
      const bytes = bytesView(target);
      for (let at = 0; at < bytes.length; at += IO_CHUNK) {
        const chunk = bytes.subarray(at, Math.min(bytes.length, at + IO_CHUNK));
        await readExactly(handle, chunk, position + at, path);
        digest.update(chunk);
      }
      position += bytes.length;
      const pad = pad8(bytes.length);
      if (pad > 0) {
        const tail = padding.subarray(0, pad);
        await readExactly(handle, tail, position, path);
        digest.update(tail);
        position += pad;
      }
      sections.push(target);
    }
    const actual = digest.digest();
    for (let i = 0; i < 32; i++) if (actual[i] !== fixed[40 + i]) fail('checksum mismatch (the file is damaged)');
    return { kind, entryCount, checkpoint, params, sections };
  } finally {
    await handle.close();
  }
}

/** An IntegrityError for a snapshot whose verified content is nevertheless inconsistent. */
export function corruptSnapshot(path: string, message: string): IntegrityError {
  return new IntegrityError(`index snapshot ${path}: ${message}`, { path });
}
