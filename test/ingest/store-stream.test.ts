import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { storeStream } from '../../src/ingest/store-stream.js';
import { LocalBlobStore } from '../../src/storage/local-blob-store.js';
import { createKeyring, generateMasterKey } from '../../src/storage/master-key.js';

const digest = (name: string, bytes: Buffer) => createHash(name).update(bytes).digest('hex');

describe('storeStream', () => {
  const roots: string[] = [];
  const store = async () => {
    const root = await mkdtemp(join(tmpdir(), 'ariadne-store-stream-'));
    roots.push(root);
    return { root, blobs: await LocalBlobStore.open({ root, keyring: createKeyring(generateMasterKey()) }) };
  };
  afterAll(async () => {
    for (const root of roots) await rm(root, { recursive: true, force: true });
  });

  it.each([0, 1000, 300_000, 9 * 1024 * 1024 + 7])('stores %i bytes once, with their MD5, SHA-1 and SHA-256', async (size) => {
    const { blobs } = await store();
    const bytes = randomBytes(size);
    // Odd chunk sizes, as an upload or a file stream delivers them.
    const chunks = Array.from({ length: Math.ceil(size / 65_000) }, (_, i) => bytes.subarray(i * 65_000, (i + 1) * 65_000));
    const stored = await storeStream(blobs, Readable.from(chunks));
    expect(stored).toEqual({ sha256: digest('sha256', bytes), md5: digest('md5', bytes), sha1: digest('sha1', bytes), size, created: true });
    expect((await blobs.getBuffer(stored.sha256)).equals(bytes)).toBe(true);
    expect((await storeStream(blobs, Readable.from([bytes]))).created).toBe(false);
  });

  it.each([100_000, 6 * 1024 * 1024])('stores nothing when the source fails after %i bytes', async (before) => {
    const { root, blobs } = await store();
    const source = Readable.from(
      (async function* () {
        yield randomBytes(before);
        throw new Error('connection reset');
      })(),
    );
    await expect(storeStream(blobs, source)).rejects.toThrow(/connection reset/);
    const shards = (await readdir(root)).filter((name) => name !== 'tmp');
    expect(shards).toEqual([]);
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
  });
});
