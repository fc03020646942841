import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { IntegrityError, InvalidError, NotFoundError } from '../../src/core/errors.js';
import type { BlobStore } from '../../src/storage/blob-store.js';

/**
 * The behaviour every BlobStore adapter must show. Each adapter's test file calls `blobStoreContract` with a
 * factory that builds a fresh store plus the means to reach behind it: rewriting the stored (encrypted) object as
 * a failing disk or an attacker would, and listing temporary leftovers a failed or finished put must not leave.
 */
export interface BlobStoreHarness {
  store: BlobStore;
  /** Replaces the stored envelope of `sha256` with `mutate(stored bytes)`. */
  rewriteStored(sha256: string, mutate: (stored: Buffer) => Buffer): Promise<void>;
  /** Temporary files or objects that remain from puts (none once every put has settled). */
  leftovers(): Promise<string[]>;
  /** Every blob address the backend holds (to prove a failed put stored nothing). */
  storedAddresses(): Promise<string[]>;
  dispose(): Promise<void>;
}

export function sha256Of(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A deterministic pseudo-random stream of `size` bytes (an AES-CTR keystream) and its SHA-256, never held whole. */
export function generatedStream(size: number, seed: number, chunk = 256 * 1024): { stream: Readable; sha256: string } {
  const keystream = () => createCipheriv('aes-256-ctr', createHash('sha256').update(`seed ${seed}`).digest(), Buffer.alloc(16));
  const zeros = Buffer.alloc(chunk);
  const hash = createHash('sha256');
  const first = keystream();
  for (let offset = 0; offset < size; offset += chunk) hash.update(first.update(zeros.subarray(0, Math.min(chunk, size - offset))));
  async function* produce() {
    const cipher = keystream();
    for (let offset = 0; offset < size; offset += chunk) yield cipher.update(zeros.subarray(0, Math.min(chunk, size - offset)));
  }
  return { stream: Readable.from(produce(), { objectMode: false }), sha256: hash.digest('hex') };
}

async function hashStream(stream: Readable): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

function flipByte(offset: (length: number) => number) {
  return (stored: Buffer) => {
    const copy = Buffer.from(stored);
    copy[offset(copy.length)] ^= 0x20;
    return copy;
  };
}

/** `skip`: a reason from `missing()` (test/support/requirements.ts) when the backend cannot run here. */
export function blobStoreContract(name: string, factory: () => Promise<BlobStoreHarness>, options: { skip?: string } = {}): void {
  describe.skipIf(options.skip !== undefined)(`BlobStore contract: ${name}`, () => {
    let harness: BlobStoreHarness;
    let store: BlobStore;

    beforeAll(async () => {
      harness = await factory();
      store = harness.store;
    });
    afterAll(async () => {
      await harness?.dispose();
    });

    it('round-trips a small blob given as a Buffer', async () => {
      const bytes = Buffer.from('a small blob, seized on a Tuesday');
      const result = await store.put(bytes);
      expect(result).toEqual({ sha256: sha256Of(bytes), size: bytes.length, created: true });
      expect(await store.has(result.sha256)).toBe(true);
      expect((await store.getBuffer(result.sha256)).equals(bytes)).toBe(true);
    });

    it('round-trips the empty blob', async () => {
      const result = await store.put(Readable.from([], { objectMode: false }));
      expect(result.sha256).toBe(sha256Of(Buffer.alloc(0)));
      expect(result.size).toBe(0);
      expect((await store.getBuffer(result.sha256)).length).toBe(0);
    });

    it('streams a large blob in and out', async () => {
      const size = 12 * 1024 * 1024 + 12345;
      const { stream, sha256 } = generatedStream(size, 1);
      const result = await store.put(stream);
      expect(result).toEqual({ sha256, size, created: true });
      expect(await hashStream(await store.get(sha256))).toEqual({ sha256, size });
    });

    it('stores identical bytes once (created: false the second time)', async () => {
      const bytes = randomBytes(5000);
      const first = await store.put(bytes);
      const second = await store.put(Readable.from([bytes.subarray(0, 10), bytes.subarray(10)], { objectMode: false }));
      expect(first.created).toBe(true);
      expect(second).toEqual({ sha256: first.sha256, size: 5000, created: false });
      expect((await store.getBuffer(first.sha256)).equals(bytes)).toBe(true);
      expect(await harness.leftovers()).toEqual([]);
    });

    it('accepts a matching expectedSha256 and stores nothing on a mismatch', async () => {
      const bytes = randomBytes(3000);
      const sha256 = sha256Of(bytes);
      expect((await store.put(bytes, { expectedSha256: sha256 })).created).toBe(true);

      const other = randomBytes(3000);
      const before = await harness.storedAddresses();
      const error = await rejection(store.put(other, { expectedSha256: sha256Of(randomBytes(8)) }));
      expect(error).toBeInstanceOf(InvalidError);
      expect((error as Error).message).toContain(sha256Of(other));
      expect(await store.has(sha256Of(other))).toBe(false);
      expect(await harness.storedAddresses()).toEqual(before);
      expect(await harness.leftovers()).toEqual([]);
      await expect(store.put(other, { expectedSha256: 'ABC' })).rejects.toBeInstanceOf(InvalidError);
    });

    it('stores nothing when the source fails mid-stream', async () => {
      const before = await harness.storedAddresses();
      async function* failing() {
        yield randomBytes(200_000);
        throw new Error('upload connection reset');
      }
      await expect(store.put(Readable.from(failing(), { objectMode: false }))).rejects.toThrow('upload connection reset');
      expect(await harness.storedAddresses()).toEqual(before);
      expect(await harness.leftovers()).toEqual([]);
    });

    it('answers NotFoundError for an absent blob and InvalidError for a malformed address', async () => {
      const absent = sha256Of(randomBytes(16));
      expect(await store.has(absent)).toBe(false);
      await expect(store.get(absent)).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.getBuffer(absent)).rejects.toBeInstanceOf(NotFoundError);
      for (const bad of ['', 'xyz', absent.toUpperCase(), `${absent}0`, '../../etc/passwd']) {
        await expect(store.get(bad)).rejects.toBeInstanceOf(InvalidError);
        await expect(store.has(bad)).rejects.toBeInstanceOf(InvalidError);
      }
    });

    it.each([
      ['in the header', (_length: number) => 40],
      ['in the middle', (length: number) => Math.floor(length / 2)],
      ['in the last byte', (length: number) => length - 1],
    ])('detects a stored byte flipped %s (IntegrityError naming the blob)', async (_where, offset) => {
      const bytes = randomBytes(300_000);
      const { sha256 } = await store.put(bytes);
      await harness.rewriteStored(sha256, flipByte(offset));
      const error = await rejection(store.getBuffer(sha256));
      expect(error).toBeInstanceOf(IntegrityError);
      expect((error as Error).message).toContain(sha256);
      const streamError = await rejection(hashStream(await store.get(sha256)));
      expect(streamError).toBeInstanceOf(IntegrityError);
    });

    it('detects a truncated object', async () => {
      const { sha256 } = await store.put(randomBytes(200_000));
      await harness.rewriteStored(sha256, (stored) => stored.subarray(0, stored.length - 1000));
      await expect(store.getBuffer(sha256)).rejects.toBeInstanceOf(IntegrityError);
      await harness.rewriteStored(sha256, (stored) => stored.subarray(0, 70_000));
      await expect(store.getBuffer(sha256)).rejects.toBeInstanceOf(IntegrityError);
      await harness.rewriteStored(sha256, () => Buffer.alloc(0));
      await expect(store.getBuffer(sha256)).rejects.toBeInstanceOf(IntegrityError);
    });

    it('detects an intact envelope of other bytes moved under an address', async () => {
      const a = await store.put(Buffer.from('first blob'));
      const b = await store.put(Buffer.from('second blob'));
      let envelopeOfA: Buffer = Buffer.alloc(0);
      await harness.rewriteStored(a.sha256, (stored) => (envelopeOfA = stored));
      await harness.rewriteStored(b.sha256, () => envelopeOfA);
      const error = await rejection(store.getBuffer(b.sha256));
      expect(error).toBeInstanceOf(IntegrityError);
      expect((error as Error).message).toContain(`blob ${b.sha256}`);
    });

    it('seals small bytes for keeping elsewhere, writing nothing, and opens them verified', async () => {
      const before = await harness.storedAddresses();
      const bytes = randomBytes(7000);
      const sealed = store.sealInline(bytes);
      expect(sealed).toMatchObject({ sha256: sha256Of(bytes), size: bytes.length });
      expect(Buffer.from(sealed.envelope).includes(bytes.subarray(0, 32))).toBe(false);
      expect(store.openInline(sealed.sha256, sealed.envelope).equals(bytes)).toBe(true);
      expect(await harness.storedAddresses()).toEqual(before);
      expect(await store.has(sealed.sha256)).toBe(false);
      // Any alteration, and an intact envelope under another address, are refused.
      const flipped = Buffer.from(sealed.envelope);
      flipped[flipped.length - 3] ^= 1;
      expect(() => store.openInline(sealed.sha256, flipped)).toThrow(IntegrityError);
      const other = store.sealInline(Buffer.from('other bytes'));
      expect(() => store.openInline(sealed.sha256, other.envelope)).toThrow(IntegrityError);
      expect(() => store.openInline('not an address', sealed.envelope)).toThrow(InvalidError);
    });

    it('deletes, and deleting an absent blob is not an error', async () => {
      const { sha256 } = await store.put(randomBytes(100));
      await store.delete(sha256);
      expect(await store.has(sha256)).toBe(false);
      await expect(store.get(sha256)).rejects.toBeInstanceOf(NotFoundError);
      await store.delete(sha256);
      const again = await store.put(Buffer.alloc(0));
      expect(again.created).toBe(false);
    });

    it('passes check() and leaves nothing behind', async () => {
      const before = await harness.storedAddresses();
      const result = await store.check();
      expect(result.ok).toBe(true);
      expect(await harness.storedAddresses()).toEqual(before);
      expect(await harness.leftovers()).toEqual([]);
    });

    it('stores concurrent puts of the same bytes once, readable and whole', async () => {
      const bytes = randomBytes(700_000);
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => store.put(i % 2 ? bytes : Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)], { objectMode: false }))),
      );
      expect(new Set(results.map((result) => result.sha256))).toEqual(new Set([sha256Of(bytes)]));
      expect(results.filter((result) => result.created).length).toBeGreaterThanOrEqual(1);
      expect((await store.getBuffer(sha256Of(bytes))).equals(bytes)).toBe(true);
      expect(await harness.leftovers()).toEqual([]);
      const addresses = await harness.storedAddresses();
      expect(addresses.filter((address) => address === sha256Of(bytes)).length).toBe(1);
    });

    it('serves concurrent reads of one blob', async () => {
      const { stream, sha256 } = generatedStream(3 * 1024 * 1024, 2);
      await store.put(stream);
      const reads = await Promise.all(Array.from({ length: 4 }, async () => hashStream(await store.get(sha256))));
      for (const read of reads) expect(read.sha256).toBe(sha256);
    });
  });
}
