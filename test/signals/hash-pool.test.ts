import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticJpeg, syntheticPixels } from '../../bench/hash-corpus.js';
import { InvalidError, NotFoundError, UnavailableError } from '../../src/core/errors.js';
import { FileHasher } from '../../src/signals/file-hasher.js';
import { HashPool, resolveWorkerScript } from '../../src/signals/hash-pool.js';
import { cryptoDigestsOf } from '../../src/signals/crypto/crypto-hashes.js';

describe('HashPool', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ariadne-pool-'));
  const files: string[] = [];
  let pool: HashPool;

  beforeAll(async () => {
    for (let i = 0; i < 6; i++) {
      const path = join(dir, `image-${i}.jpg`);
      writeFileSync(path, await syntheticJpeg(320 + i * 16, 240, 100 + i));
      files.push(path);
    }
    const barred = syntheticPixels(300, 200, 9);
    const letterboxed = join(dir, 'letterboxed.png');
    writeFileSync(letterboxed, await sharp(barred.data, { raw: { width: 300, height: 200, channels: 3 } }).extend({ top: 60, bottom: 60, background: '#000' }).png().toBuffer());
    files.push(letterboxed);
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'not an image\n'.repeat(1000));
    files.push(text);
    pool = new HashPool({ size: 2 });
  });

  afterAll(async () => {
    await pool?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('resolves the compiled worker script (dist/) when running from TypeScript sources', () => {
    const url = resolveWorkerScript();
    expect(url.pathname).toMatch(/\/dist\/src\/signals\/hash-worker\.js$/);
  });

  it('hashes files in worker threads exactly as the same code does in this thread', async () => {
    const local = new FileHasher();
    const options = { dihedral: true };
    const [pooled, inThread] = await Promise.all([
      Promise.all(files.map((file) => pool.hashFile(file, options))),
      (async () => {
        const out = [];
        for (const file of files) out.push(await local.hashFile(file, options));
        return out;
      })(),
    ]);
    expect(pooled).toEqual(inThread);
    expect(pooled[0].mime).toBe('image/jpeg');
    expect(pooled[0].pdq).toMatch(/^[0-9a-f]{64}$/);
    expect(pooled[0].pdqDihedral).toHaveLength(8);
    expect(pooled[0].pdqDihedral![0]).toBe(pooled[0].pdq);
    expect(pooled[6].trimmed?.box).toEqual({ left: 0, top: 60, width: 300, height: 200 });
    expect(pooled[7]).toMatchObject({ mime: 'application/octet-stream', pdq: null, quality: null });
    expect(pooled[7].size).toBe(13000);
    const bytes = readFileSync(files[0]);
    expect(pooled[0]).toMatchObject(cryptoDigestsOf(bytes));
  });

  it('hashes buffers, leaving the caller\'s buffer usable', async () => {
    const bytes = readFileSync(files[1]);
    const result = await pool.hashBuffer(bytes);
    expect(bytes.length).toBeGreaterThan(0);
    expect(result).toEqual(await new FileHasher().hashBytes(bytes));
    expect(result.pdqDihedral).toBeUndefined();
  });

  it('moves a handed-over buffer that fills its memory, and copies one that does not', async () => {
    const bytes = readFileSync(files[1]);
    const expected = await pool.hashBuffer(bytes);
    const owned = new Uint8Array(new ArrayBuffer(bytes.length));
    owned.set(bytes);
    await expect(pool.hashBuffer(owned, {}, true)).resolves.toEqual(expected);
    expect(owned.byteLength).toBe(0); // detached: it moved to the worker
    const framed = new Uint8Array(bytes.length + 10);
    framed.set(bytes, 5);
    const view = framed.subarray(5, 5 + bytes.length);
    await expect(pool.hashBuffer(view, {}, true)).resolves.toEqual(expected);
    expect(view.byteLength).toBe(bytes.length); // shared memory: copied, still usable
  });

  it('reports missing and unreadable files as typed errors, and corrupt images as imageError', async () => {
    await expect(pool.hashFile(join(dir, 'missing.jpg'))).rejects.toBeInstanceOf(NotFoundError);
    const sub = join(dir, 'a-folder');
    mkdirSync(sub, { recursive: true });
    await expect(pool.hashFile(sub)).rejects.toBeInstanceOf(InvalidError);
    await expect(pool.hashFile(sub)).rejects.toThrow(/not a regular file/);
    const broken = join(dir, 'broken.jpg');
    const jpeg = readFileSync(files[2]);
    writeFileSync(broken, jpeg.subarray(0, jpeg.length >> 1));
    const result = await pool.hashFile(broken);
    expect(result).toMatchObject({ mime: 'image/jpeg', pdq: null, quality: null });
    expect(result.imageError).toMatch(/cannot decode image/);
    expect(result.sha256).toBe(cryptoDigestsOf(jpeg.subarray(0, jpeg.length >> 1)).sha256);
  });

  it('gives the same answers and errors with blocking reads (as the workers read)', async () => {
    const blocking = new FileHasher({ blockingReads: true });
    const plain = new FileHasher();
    for (const file of files) expect(await blocking.hashFile(file, { dihedral: true })).toEqual(await plain.hashFile(file, { dihedral: true }));
    await expect(blocking.hashFile(join(dir, 'missing.jpg'))).rejects.toBeInstanceOf(NotFoundError);
    await expect(blocking.hashFile(dir)).rejects.toThrow(/not a regular file/);
  });

  it('extracts renditions, sending no preview back when the file itself is the preview', async () => {
    const plain = await syntheticJpeg(400, 300, 21);
    const hasher = new FileHasher();
    const own = await hasher.hashBytes(plain, { extract: true });
    expect(own.renditions?.preview).toBeNull();
    expect((await sharp(Buffer.from(own.renditions!.thumbnail)).metadata()).channels).toBe(1);
    const tagged = await sharp(plain).withExif({ IFD0: { Make: 'Testcam', Model: 'T1' } }).jpeg().toBuffer();
    const stripped = await hasher.hashBytes(tagged, { extract: true });
    expect(stripped.renditions?.preview).not.toBeNull();
    expect(stripped.renditions!.preview!.length).toBeLessThan(tagged.length);
    expect(stripped.exif?.make).toBe('Testcam');
  });

  it('uses the sibling worker when running compiled code', () => {
    const compiledPool = new URL('../../dist/src/signals/hash-pool.js', import.meta.url).href;
    expect(resolveWorkerScript(compiledPool).href).toBe(new URL('../../dist/src/signals/hash-worker.js', import.meta.url).href);
  });

  it('fails the task of a worker that dies with UnavailableError, and replaces the worker', async () => {
    const script = join(dir, 'dying-worker.mjs');
    writeFileSync(
      script,
      `import { parentPort } from 'node:worker_threads';
       parentPort.on('message', (m) => {
         if (m.source.kind === 'file' && m.source.path.endsWith('die')) process.exit(3);
         parentPort.postMessage({ id: m.id, ok: true, result: { size: 1 } });
       });`,
    );
    const dying = new HashPool({ size: 1, workerUrl: pathToFileURL(script) });
    try {
      await expect(dying.hashFile(join(dir, 'die'))).rejects.toThrow(/hash worker failed: exited with code 3/);
      await expect(dying.hashFile(join(dir, 'live'))).resolves.toEqual({ size: 1 });
    } finally {
      await dying.close();
    }
  });

  it('holds two tasks per worker by default, and a dying worker fails every task it held', async () => {
    const script = join(dir, 'slow-worker.mjs');
    writeFileSync(
      script,
      `import { parentPort } from 'node:worker_threads';
       let held = 0, most = 0;
       parentPort.on('message', (m) => {
         if (m.source.path.endsWith('die')) process.exit(4);
         held++; most = Math.max(most, held);
         setTimeout(() => { held--; parentPort.postMessage({ id: m.id, ok: true, result: { size: most } }); }, 30);
       });`,
    );
    const slow = new HashPool({ size: 1, workerUrl: pathToFileURL(script) });
    try {
      const sizes = (await Promise.all(Array.from({ length: 6 }, (_, i) => slow.hashFile(join(dir, `f${i}`))))).map((r) => r.size);
      expect(Math.max(...sizes)).toBe(2);
      const held = [slow.hashFile(join(dir, 'a')), slow.hashFile(join(dir, 'die'))];
      await expect(held[0]).rejects.toThrow(/hash worker failed: exited with code 4/);
      await expect(held[1]).rejects.toThrow(/hash worker failed: exited with code 4/);
      await expect(slow.hashFile(join(dir, 'after'))).resolves.toEqual({ size: 1 });
    } finally {
      await slow.close();
    }
    const single = new HashPool({ size: 1, workerUrl: pathToFileURL(script), tasksPerWorker: 1 });
    try {
      const sizes = (await Promise.all(Array.from({ length: 4 }, (_, i) => single.hashFile(join(dir, `g${i}`))))).map((r) => r.size);
      expect(Math.max(...sizes)).toBe(1);
    } finally {
      await single.close();
    }
    expect(() => new HashPool({ size: 1, tasksPerWorker: 0 })).toThrow(InvalidError);
  });

  it('runs many tasks through a small pool and refuses work once closed', async () => {
    const small = new HashPool({ size: 1 });
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => small.hashFile(files[i % 6])));
    expect(results.map((r) => r.pdq)).toEqual(Array.from({ length: 12 }, (_, i) => results[i % 6].pdq));
    await small.close();
    await expect(small.hashFile(files[0])).rejects.toBeInstanceOf(UnavailableError);
    expect(() => new HashPool({ size: 0 })).toThrow(InvalidError);
  });
});

describe('FileHasher limits', () => {
  it('gives only the exact hashes, with a reason, for images over the size limit', async () => {
    const bytes = await syntheticJpeg(200, 150, 4);
    const result = await new FileHasher({ maxImageBytes: 100 }).hashBytes(bytes);
    expect(result).toMatchObject({ mime: 'image/jpeg', pdq: null, quality: null, sha256: cryptoDigestsOf(bytes).sha256 });
    expect(result.imageError).toMatch(/over the 100-byte limit/);
    const dir = mkdtempSync(join(tmpdir(), 'ariadne-limit-'));
    try {
      const path = join(dir, 'big.jpg');
      writeFileSync(path, bytes);
      const fromFile = await new FileHasher({ maxImageBytes: 100 }).hashFile(path);
      expect(fromFile).toEqual(result);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
