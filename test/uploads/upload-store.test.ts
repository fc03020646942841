import { mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { IntegrityError, InvalidError } from '../../src/core/errors.js';
import { readAll } from '../../src/storage/blob-store.js';
import { createKeyring, generateMasterKey } from '../../src/storage/master-key.js';
import { formatUploadMetadata, parseUploadMetadata } from '../../src/uploads/tus-metadata.js';
import { chainOf, chunkName, UploadStore, type UploadRecord } from '../../src/uploads/upload-store.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('Upload-Metadata', () => {
  it('parses pairs and lone keys, and formats them back', () => {
    const header = `submissionId ${b64('12')},filename ${b64('DCIM/100/été.jpg')},empty`;
    const parsed = parseUploadMetadata(header);
    expect(parsed).toEqual({ submissionId: '12', filename: 'DCIM/100/été.jpg', empty: '' });
    expect(formatUploadMetadata(parsed)).toBe(header);
    expect(parseUploadMetadata(undefined)).toEqual({});
  });

  it('refuses duplicate keys, bad keys, non-base64 and non-UTF-8 values, and oversized headers', () => {
    for (const bad of [
      `a ${b64('1')},a ${b64('2')}`,
      `bad key ${b64('1')}`,
      'a not*base64',
      `a ${Buffer.from([0xff, 0xfe]).toString('base64')}`,
      `a ${b64('x'.repeat(4000))}`,
    ]) {
      expect(() => parseUploadMetadata(bad), bad.slice(0, 40)).toThrow(InvalidError);
    }
  });
});

describe('chainOf', () => {
  const c = (start: number, end: number) => ({ start, end, file: chunkName(start, end) });

  it('follows the contiguous chunks from 0, takes the longer of two at one start, and stops at a gap', () => {
    expect(chainOf([c(10, 20), c(0, 10), c(20, 25), c(30, 40)])).toEqual([c(0, 10), c(10, 20), c(20, 25)]);
    expect(chainOf([c(0, 5), c(0, 10), c(10, 12), c(5, 7)])).toEqual([c(0, 10), c(10, 12)]);
    expect(chainOf([c(5, 10)])).toEqual([]);
  });
});

describe('UploadStore', () => {
  const root = mkdtempSync(join(tmpdir(), 'ariadne-uploads-'));
  const keyring = createKeyring(generateMasterKey());
  const store = new UploadStore(root, keyring);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const record = (id: string, length: number): UploadRecord => ({
    version: 1,
    id,
    userId: 1,
    submissionId: 1,
    path: 'a/b.bin',
    mtime: null,
    length,
    offset: 0,
    metadata: {},
    createdAt: 1,
    expiresAt: 2,
    completed: null,
  });

  it('seals each chunk, proves the offset from the chunks, and decrypts them in order', async () => {
    const id = 'a'.repeat(32);
    const data = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7919) % 251));
    await store.create(record(id, data.length));
    expect(await store.appendChunk(id, 0, Readable.from([data.subarray(0, 70_000)]))).toBe(70_000);
    expect(await store.appendChunk(id, 70_000, Readable.from([Buffer.alloc(0)]))).toBe(0);
    expect(await store.appendChunk(id, 70_000, Readable.from([data.subarray(70_000)]))).toBe(130_000);
    const upload = (await store.read(id))!;
    expect(upload.offset).toBe(200_000);
    expect(upload.chunks.map((ch) => [ch.start, ch.end])).toEqual([[0, 70_000], [70_000, 200_000]]);
    expect((await readAll(store.plaintext(id, upload.chunks))).equals(data)).toBe(true);
    for (const name of readdirSync(join(root, id))) {
      expect(readFileSync(join(root, id, name)).includes(data.subarray(50_000, 50_032)), name).toBe(false);
    }
    await store.removeChunks(id);
    expect(readdirSync(join(root, id))).toEqual(['info.json']);
    expect((await store.read(id))!.offset).toBe(0);
  });

  it('fails with IntegrityError on an altered chunk or a chunk renamed to another range', async () => {
    const id = 'b'.repeat(32);
    await store.create(record(id, 20_000));
    await store.appendChunk(id, 0, Readable.from([Buffer.alloc(10_000, 1)]));
    await store.appendChunk(id, 10_000, Readable.from([Buffer.alloc(10_000, 2)]));
    const second = join(root, id, chunkName(10_000, 20_000));
    const bytes = readFileSync(second);
    bytes[bytes.length - 100] ^= 1;
    writeFileSync(second, bytes);
    let upload = (await store.read(id))!;
    await expect(readAll(store.plaintext(id, upload.chunks))).rejects.toBeInstanceOf(IntegrityError);

    const id2 = 'c'.repeat(32);
    await store.create(record(id2, 20_000));
    await store.appendChunk(id2, 0, Readable.from([Buffer.alloc(5_000, 1)]));
    renameSync(join(root, id2, chunkName(0, 5_000)), join(root, id2, chunkName(0, 20_000)));
    upload = (await store.read(id2))!;
    expect(upload.offset).toBe(20_000);
    await expect(readAll(store.plaintext(id2, upload.chunks))).rejects.toThrow(/holds 5000 bytes, not 20000/);
  });

  it('treats a malformed info file as an integrity problem and an unknown id as absent', async () => {
    const id = 'd'.repeat(32);
    await store.create(record(id, 1));
    writeFileSync(join(root, id, 'info.json'), '{"version":1}');
    await expect(store.readRecord(id)).rejects.toBeInstanceOf(IntegrityError);
    expect(await store.read('e'.repeat(32))).toBeUndefined();
    expect(await store.read('../etc')).toBeUndefined();
  });
});
