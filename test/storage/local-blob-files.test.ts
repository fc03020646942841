import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { IntegrityError, NotFoundError } from '../../src/core/errors.js';
import { LocalBlobFiles } from '../../src/storage/local-blob-files.js';
import { LocalBlobStore } from '../../src/storage/local-blob-store.js';
import { createKeyring, generateMasterKey } from '../../src/storage/master-key.js';
import { sha256Of } from './blob-store.contract.js';

const roots: string[] = [];
afterEach(async () => {
  while (roots.length) await rm(roots.pop() as string, { recursive: true, force: true });
});

async function openStore(keyring = createKeyring(generateMasterKey())) {
  const root = await mkdtemp(join(tmpdir(), 'ariadne-blob-files-'));
  roots.push(root);
  return LocalBlobStore.open({ root, keyring });
}

describe('LocalBlobFiles: a local store read and written by a worker thread', () => {
  it('writes blobs the store reads, and reads blobs the store wrote, under the same addresses', async () => {
    const store = await openStore();
    const files = new LocalBlobFiles(store.localAccess());
    const a = randomBytes(200_000);
    const put = await files.put(a);
    expect(put).toEqual({ sha256: sha256Of(a), size: a.length, created: true });
    expect((await store.getBuffer(put.sha256)).equals(a)).toBe(true);
    expect(files.has(put.sha256)).toBe(true);
    expect((await files.put(a)).created).toBe(false);
    expect((await store.put(a)).created).toBe(false);

    const b = randomBytes(1000);
    const stored = await store.put(b);
    expect(files.read(stored.sha256).equals(b)).toBe(true);
    // Nothing is left in the temporary directory.
    expect(await readdir(join(store.root, 'tmp'))).toEqual([]);
  });

  it('takes a digest the caller computed, and stores the empty blob', async () => {
    const store = await openStore();
    const files = new LocalBlobFiles(store.localAccess());
    const bytes = Buffer.from('known digest');
    expect((await files.put(bytes, sha256Of(bytes))).sha256).toBe(sha256Of(bytes));
    const empty = await files.put(Buffer.alloc(0));
    expect(empty.size).toBe(0);
    expect((await store.getBuffer(empty.sha256)).length).toBe(0);
  });

  it('stores several blobs at once, in order, each once: the same bytes twice, and bytes stored before', async () => {
    const store = await openStore();
    const files = new LocalBlobFiles(store.localAccess());
    const [a, b, before] = [randomBytes(150_000), randomBytes(3000), randomBytes(500)];
    await files.put(before);
    const puts = await files.putAll([{ bytes: a, sha256: sha256Of(a) }, { bytes: b }, { bytes: before }, { bytes: b }]);
    expect(puts).toEqual([
      { sha256: sha256Of(a), size: a.length, created: true },
      { sha256: sha256Of(b), size: b.length, created: true },
      { sha256: sha256Of(before), size: before.length, created: false },
      { sha256: sha256Of(b), size: b.length, created: false },
    ]);
    expect((await store.getBuffer(sha256Of(a))).equals(a)).toBe(true);
    expect(files.read(sha256Of(b)).equals(b)).toBe(true);
    expect(await files.putAll([])).toEqual([]);
    expect(await readdir(join(store.root, 'tmp'))).toEqual([]);
  });

  it('fails the whole call when a blob cannot be written, and leaves no temporary file', async () => {
    const store = await openStore();
    const files = new LocalBlobFiles(store.localAccess());
    const a = randomBytes(1000);
    // A directory where the blob's shard directory must be made: the link cannot be made.
    const blocked = randomBytes(1000);
    await writeFile(join(store.root, sha256Of(blocked).slice(0, 2)), 'not a directory');
    await expect(files.putAll([{ bytes: a }, { bytes: blocked }])).rejects.toThrow();
    expect(await readdir(join(store.root, 'tmp'))).toEqual([]);
    // The failure came before anything was published (the blocked address cannot even be looked at).
    expect(files.has(sha256Of(a))).toBe(false);
  });

  it('reads blobs sealed under an earlier master key, and seals under the current one', async () => {
    const old = generateMasterKey();
    const before = await openStore(createKeyring(old));
    const early = await before.put(Buffer.from('sealed under the old key'));
    const rotated = await LocalBlobStore.open({ root: before.root, keyring: createKeyring(generateMasterKey(), old) });
    const files = new LocalBlobFiles(rotated.localAccess());
    expect(files.read(early.sha256).toString()).toBe('sealed under the old key');
    const late = await files.put(Buffer.from('sealed under the new key'));
    // The old key alone cannot open what was sealed under the new one.
    await expect(before.getBuffer(late.sha256)).rejects.toThrow();
    expect((await rotated.getBuffer(late.sha256)).toString()).toBe('sealed under the new key');
  });

  it('says NotFound for an absent blob and Integrity for an altered one', async () => {
    const store = await openStore();
    const files = new LocalBlobFiles(store.localAccess());
    expect(() => files.read(sha256Of(Buffer.from('never stored')))).toThrow(NotFoundError);
    const { sha256 } = await files.put(randomBytes(5000));
    const path = store.blobPath(sha256);
    const envelope = await readFile(path);
    envelope[envelope.length - 100] ^= 1;
    await writeFile(path, envelope);
    expect(() => files.read(sha256)).toThrow(IntegrityError);
  });

  it('needs a key', () => {
    expect(() => new LocalBlobFiles({ root: tmpdir(), keys: [] })).toThrow(RangeError);
  });
});
