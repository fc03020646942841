import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticJpeg } from '../../bench/hash-corpus.js';
import { ARCHIVE_SNIFF_BYTES } from '../../src/archives/sniff.js';
import { InvalidError, UnavailableError } from '../../src/core/errors.js';
import { cryptoDigestsOf } from '../../src/signals/crypto/crypto-hashes.js';
import { FileHasher } from '../../src/signals/file-hasher.js';
import { HashPool } from '../../src/signals/hash-pool.js';
import { analyseStoredBlob, HEAD_BYTES, storeLocalFile } from '../../src/signals/stored-blobs.js';
import { LocalBlobFiles } from '../../src/storage/local-blob-files.js';
import { LocalBlobStore } from '../../src/storage/local-blob-store.js';
import { createKeyring, generateMasterKey } from '../../src/storage/master-key.js';
import { buildZip } from '../archives/support/zip-writer.js';

describe('stored blobs: intake and analysis in the thread that reads and writes the store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ariadne-stored-'));
  let store: LocalBlobStore;
  let files: LocalBlobFiles;
  let jpeg: Buffer;
  const hasher = new FileHasher();

  beforeAll(async () => {
    store = await LocalBlobStore.open({ root: join(dir, 'blobs'), keyring: createKeyring(generateMasterKey()) });
    files = new LocalBlobFiles(store.localAccess());
    jpeg = await syntheticJpeg(640, 480, 4242);
    mkdirSync(join(dir, 'in'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stores a local file with its three digests, once', async () => {
    const path = join(dir, 'in', 'a.jpg');
    writeFileSync(path, jpeg);
    const first = await storeLocalFile(files, path, 1 << 20);
    expect(first).toEqual({ ...cryptoDigestsOf(jpeg), created: true });
    expect((await store.getBuffer(first!.sha256)).equals(jpeg)).toBe(true);
    expect((await storeLocalFile(files, path, 1 << 20))?.created).toBe(false);
  });

  it('leaves files over the limit to the caller, and refuses what it cannot read', async () => {
    const big = join(dir, 'in', 'big.bin');
    writeFileSync(big, Buffer.alloc(2000, 1));
    expect(await storeLocalFile(files, big, 1999)).toBeNull();
    expect(await store.has(createHash('sha256').update(Buffer.alloc(2000, 1)).digest('hex'))).toBe(false);
    await expect(storeLocalFile(files, join(dir, 'in', 'missing.jpg'), 1 << 20)).rejects.toThrow(InvalidError);
    await expect(storeLocalFile(files, join(dir, 'in'), 1 << 20)).rejects.toThrow(InvalidError);
  });

  it('analyses a stored image as hashBytes does, sealing its thumbnail for the database', async () => {
    const { sha256 } = await store.put(jpeg);
    const analysis = await analyseStoredBlob(hasher, files, sha256, { letterbox: true, extract: true });
    const direct = await hasher.hashBytes(jpeg, { letterbox: true, extract: true });
    // With signals (whose mime is the sniffed type), only enough of the head to tell an archive, in memory of its own.
    expect(Buffer.from(analysis.head).equals(jpeg.subarray(0, ARCHIVE_SNIFF_BYTES))).toBe(true);
    expect(analysis.head.buffer.byteLength).toBe(ARCHIVE_SNIFF_BYTES);
    expect(analysis.signals).toMatchObject({ sha256, pdq: direct.pdq, quality: direct.quality, width: 640, height: 480, mime: 'image/jpeg' });
    expect(analysis.signals).not.toHaveProperty('renditions');
    // The thumbnail is sealed under the store's keys, to be kept with the item's row: not a file in the store.
    const sealed = analysis.renditions!.thumbnail;
    const thumbnail = store.openInline(sealed.sha256, sealed.envelope);
    expect(thumbnail.equals(Buffer.from(direct.renditions!.thumbnail))).toBe(true);
    expect(sealed).toMatchObject({ sha256: createHash('sha256').update(thumbnail).digest('hex'), size: thumbnail.length });
    expect(Buffer.from(sealed.envelope).includes(thumbnail.subarray(0, 16))).toBe(false);
    expect(await store.has(sealed.sha256)).toBe(false);
    expect(await sharp(thumbnail).metadata()).toMatchObject({ format: 'png', channels: 1 });
    // A JPEG with nothing to strip is its own preview: nothing more stored.
    expect(analysis.renditions!.preview).toBeNull();
  });

  it('never decodes an archive, and gives a non-image its exact hashes only', async () => {
    const zip = buildZip([{ name: 'inside.jpg', data: jpeg }]);
    const z = await store.put(zip);
    const archive = await analyseStoredBlob(hasher, files, z.sha256, { extract: true });
    expect(archive).toMatchObject({ signals: null, renditions: null });
    // The caller sniffs an archive itself: the longer head, still a copy and not a view of the whole blob.
    expect(Buffer.from(archive.head).equals(zip.subarray(0, HEAD_BYTES))).toBe(true);
    expect(archive.head.buffer.byteLength).toBe(archive.head.byteLength);
    const text = await store.put(Buffer.from('not an image at all'));
    const t = await analyseStoredBlob(hasher, files, text.sha256, { extract: true });
    expect(t.signals).toMatchObject({ pdq: null, sha256: text.sha256 });
    expect(t.renditions).toBeNull();
  });

  it('analyses a file as it stores it when its bytes are new to the store, and only then', async () => {
    const path = join(dir, 'in', 'fresh.jpg');
    const bytes = await syntheticJpeg(200, 150, 31);
    writeFileSync(path, bytes);
    const first = await storeLocalFile(files, path, 1 << 20, { hasher, options: { letterbox: true, extract: true } });
    const direct = await hasher.hashBytes(bytes, { letterbox: true, extract: true });
    expect(first).toMatchObject({ ...cryptoDigestsOf(bytes), created: true });
    expect(first!.analysis!.signals).toMatchObject({ sha256: first!.sha256, md5: first!.md5, pdq: direct.pdq, width: 200, height: 150 });
    expect(Buffer.from(first!.analysis!.head).equals(bytes.subarray(0, ARCHIVE_SNIFF_BYTES))).toBe(true);
    const sealed = first!.analysis!.renditions!.thumbnail;
    expect(store.openInline(sealed.sha256, sealed.envelope).equals(Buffer.from(direct.renditions!.thumbnail))).toBe(true);
    // Stored already (most likely a known item's bytes): the caller decides, nothing is decoded here.
    const again = await storeLocalFile(files, path, 1 << 20, { hasher, options: { extract: true } });
    expect(again).toEqual({ ...cryptoDigestsOf(bytes), created: false });
    // Not asked to analyse: stored only.
    const other = join(dir, 'in', 'plain.jpg');
    writeFileSync(other, await syntheticJpeg(120, 90, 32));
    expect(await storeLocalFile(files, other, 1 << 20)).not.toHaveProperty('analysis');
    expect(await storeLocalFile(files, join(dir, 'in', 'plain.jpg'), 10, { hasher, options: { extract: true } })).toBeNull();
    // An analysis that fails leaves the file stored, unanalysed (the job analyses it again and records why).
    const failing = { hashBytes: () => Promise.reject(new Error('decoder crashed')) } as unknown as FileHasher;
    const odd = join(dir, 'in', 'odd.jpg');
    writeFileSync(odd, await syntheticJpeg(100, 80, 33));
    const stored = await storeLocalFile(files, odd, 1 << 20, { hasher: failing, options: { extract: true } });
    expect(stored).toMatchObject({ created: true });
    expect(stored).not.toHaveProperty('analysis');
    expect(await store.has(stored!.sha256)).toBe(true);
  });

  it('runs in the hash pool when it has the store, and is refused without one', async () => {
    const pool = new HashPool({ size: 1, blobs: store.localAccess() });
    const bare = new HashPool({ size: 1 });
    try {
      const path = join(dir, 'in', 'pool.jpg');
      const other = await syntheticJpeg(320, 240, 99);
      writeFileSync(path, other);
      const stored = await pool.storeFile(path);
      expect(stored).toMatchObject({ sha256: cryptoDigestsOf(other).sha256, created: true });
      expect(stored).not.toHaveProperty('analysis');
      const next = join(dir, 'in', 'pool-next.jpg');
      writeFileSync(next, await syntheticJpeg(160, 120, 100));
      const analysed = await pool.storeFile(next, { extract: true });
      expect(analysed?.analysis?.signals?.pdq).toBe((await hasher.hashBytes(await syntheticJpeg(160, 120, 100))).pdq);
      const thumb = analysed!.analysis!.renditions!.thumbnail;
      expect((await sharp(store.openInline(thumb.sha256, thumb.envelope)).metadata()).channels).toBe(1);
      // Transferred from the worker: the head alone, not the file's memory it was read into.
      expect(analysed!.analysis!.head.buffer.byteLength).toBe(ARCHIVE_SNIFF_BYTES);
      const analysis = await pool.analyseStored(stored!.sha256, { extract: true });
      expect(analysis.signals?.pdq).toBe((await hasher.hashBytes(other)).pdq);
      expect(store.openInline(analysis.renditions!.thumbnail.sha256, analysis.renditions!.thumbnail.envelope).length).toBe(analysis.renditions!.thumbnail.size);
      await expect(bare.storeFile(path)).rejects.toThrow(UnavailableError);
      await expect(bare.analyseStored(stored!.sha256)).rejects.toThrow(UnavailableError);
      expect([pool.storesBlobs, bare.storesBlobs]).toEqual([true, false]);
    } finally {
      await Promise.all([pool.close(), bare.close()]);
    }
  });
});
