import { createHash, randomBytes } from 'node:crypto';

import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { describe, expect, it } from 'vitest';

import { IntegrityError } from '../../src/core/errors.js';
import {
  HEADER_BYTES,
  OpenStream,
  SealStream,
  TAG_BYTES,
  envelopeSize,
  openBuffer,
  sealBuffer,
} from '../../src/storage/envelope.js';
import { createKeyring, generateMasterKey } from '../../src/storage/master-key.js';

// 4 KiB segments: many segments from few bytes.
const LOG2 = 12;
const SEG = 2 ** LOG2;
const STRIDE = SEG + TAG_BYTES;

const keyring = createKeyring(generateMasterKey());

function sha(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function sealed(size: number) {
  const plaintext = randomBytes(size);
  const { envelope, sha256 } = await sealBuffer(keyring, plaintext, { segmentSizeLog2: LOG2 });
  return { plaintext, envelope, sha256 };
}

/**
 * Feeds `envelope` to a reader piece by piece, letting each released chunk reach the consumer before the next
 * piece, and returns everything the reader released plus the error it ended with.
 */
async function openCollecting(envelope: Buffer, expectedSha256: string, chunkSize = 1000) {
  const released: Buffer[] = [];
  const reader = new OpenStream(keyring, { blob: expectedSha256, expectedSha256 });
  reader.on('data', (chunk: Buffer) => released.push(chunk));
  const outcome = new Promise<unknown>((resolve) => {
    reader.on('error', resolve);
    reader.on('end', () => resolve(undefined));
  });
  const tick = () => new Promise((resolve) => setImmediate(resolve));
  for (let i = 0; i < envelope.length && !reader.destroyed; i += chunkSize) {
    reader.write(envelope.subarray(i, i + chunkSize));
    await tick();
  }
  if (!reader.destroyed) reader.end();
  const error = await outcome;
  return { released: Buffer.concat(released), error };
}

async function expectIntegrity(envelope: Buffer, expectedSha256: string, pattern: RegExp): Promise<IntegrityError> {
  const { error } = await openCollecting(envelope, expectedSha256);
  expect(error).toBeInstanceOf(IntegrityError);
  const integrity = error as IntegrityError;
  expect(integrity.message).toContain(expectedSha256);
  expect(integrity.message).toMatch(pattern);
  expect(integrity.details).toEqual({ blob: expectedSha256 });
  return integrity;
}

function flip(buffer: Buffer, offset: number): Buffer {
  const copy = Buffer.from(buffer);
  copy[offset] ^= 0x01;
  return copy;
}

describe('envelope', () => {
  it.each([0, 1, SEG - 1, SEG, SEG + 1, 3 * SEG, 3 * SEG + 17])('round-trips %i bytes with the documented size', async (size) => {
    const { plaintext, envelope, sha256 } = await sealed(size);
    expect(sha256).toBe(sha(plaintext));
    expect(envelope.length).toBe(envelopeSize(size, LOG2));
    expect(envelope.subarray(0, 4).toString('latin1')).toBe('ARDB');
    // Byte-at-a-time delivery exercises every buffering path of the reader.
    const { released, error } = await openCollecting(envelope, sha256, size < 2 * SEG ? 1 : 777);
    expect(error).toBeUndefined();
    expect(released.equals(plaintext)).toBe(true);
  });

  it.each([0, SEG, SEG + 1, 3 * SEG + 17])('seals %i bytes streamed in odd chunks to the same layout as a whole buffer', async (size) => {
    const plaintext = randomBytes(size);
    const stream = new SealStream(keyring, { segmentSizeLog2: LOG2 });
    const chunks: Buffer[] = [];
    const pieces = Array.from({ length: Math.ceil(size / 1000) }, (_, i) => plaintext.subarray(i * 1000, i * 1000 + 1000));
    await pipeline(Readable.from(pieces), stream, async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) chunks.push(chunk);
    });
    const streamed = Buffer.concat(chunks);
    const whole = await sealBuffer(keyring, plaintext, { segmentSizeLog2: LOG2 });
    expect(stream.sha256()).toBe(whole.sha256);
    expect(streamed.length).toBe(whole.envelope.length);
    expect((await openBuffer(keyring, streamed, { blob: whole.sha256, expectedSha256: whole.sha256 })).equals(plaintext)).toBe(true);
  });

  it('opens a whole envelope at once with the same checks as the stream', async () => {
    const { plaintext, envelope, sha256 } = await sealed(3 * SEG + 5);
    expect(OpenStream.openBytes(keyring, envelope, { blob: sha256, expectedSha256: sha256 }).equals(plaintext)).toBe(true);
    const open = (bytes: Buffer) => () => OpenStream.openBytes(keyring, bytes, { blob: sha256, expectedSha256: sha256 });
    expect(open(flip(envelope, HEADER_BYTES + STRIDE + 3))).toThrow(IntegrityError);
    expect(open(flip(envelope, envelope.length - 1))).toThrow(/failed authentication/);
    expect(open(envelope.subarray(0, HEADER_BYTES + STRIDE))).toThrow(IntegrityError);
    expect(open(envelope.subarray(0, 20))).toThrow(/shorter than the/);
    const other = await sealed(100);
    expect(() => OpenStream.openBytes(keyring, other.envelope, { blob: sha256, expectedSha256: sha256 })).toThrow(/not the address it is stored under/);
  });

  it('writes no plaintext and uses a fresh data key per object', async () => {
    const plaintext = Buffer.alloc(3 * SEG, 0x41);
    const a = await sealBuffer(keyring, plaintext, { segmentSizeLog2: LOG2 });
    const b = await sealBuffer(keyring, plaintext, { segmentSizeLog2: LOG2 });
    expect(a.envelope.includes(Buffer.alloc(64, 0x41))).toBe(false);
    expect(a.envelope.subarray(HEADER_BYTES).equals(b.envelope.subarray(HEADER_BYTES))).toBe(false);
    expect(a.sha256).toBe(b.sha256);
  });

  it('carries the master key id and opens blobs sealed under a previous key after rotation', async () => {
    const old = generateMasterKey();
    const { envelope, sha256 } = await sealBuffer(createKeyring(old), Buffer.from('before rotation'));
    expect(envelope.subarray(6, 14).toString('hex')).toBe(old.id);
    const rotated = createKeyring(generateMasterKey(), old);
    expect((await openBuffer(rotated, envelope, { blob: sha256, expectedSha256: sha256 })).toString()).toBe('before rotation');
  });

  describe('detects tampering', () => {
    it('in the header: magic, version, segment size, key id, nonce prefix, wrap nonce', async () => {
      const { envelope, sha256 } = await sealed(2 * SEG + 5);
      await expectIntegrity(flip(envelope, 0), sha256, /bad magic/);
      await expectIntegrity(flip(envelope, 4), sha256, /unknown envelope version/);
      const log2 = Buffer.from(envelope);
      log2[5] = 40;
      await expectIntegrity(log2, sha256, /invalid segment size/);
      await expectIntegrity(flip(envelope, 5), sha256, /wrapped data key was altered/); // a valid but different size
      await expectIntegrity(flip(envelope, 6), sha256, /not configured/);
      await expectIntegrity(flip(envelope, 14), sha256, /wrapped data key was altered/);
      await expectIntegrity(flip(envelope, 21), sha256, /wrapped data key was altered/);
    });

    it('in the wrapped key and its tag', async () => {
      const { envelope, sha256 } = await sealed(100);
      await expectIntegrity(flip(envelope, 33), sha256, /wrapped data key was altered/);
      await expectIntegrity(flip(envelope, 64), sha256, /wrapped data key was altered/);
      await expectIntegrity(flip(envelope, HEADER_BYTES - 1), sha256, /wrapped data key was altered/);
    });

    it('in a middle segment, releasing only the authenticated segments before it', async () => {
      const { plaintext, envelope, sha256 } = await sealed(4 * SEG + 10);
      const { released, error } = await openCollecting(flip(envelope, HEADER_BYTES + 2 * STRIDE + 100), sha256);
      expect(error).toBeInstanceOf(IntegrityError);
      expect((error as Error).message).toMatch(/segment 2 failed authentication/);
      expect(released.equals(plaintext.subarray(0, 2 * SEG))).toBe(true);
      // A flipped tag byte is caught the same way.
      await expectIntegrity(flip(envelope, HEADER_BYTES + 2 * STRIDE - 1), sha256, /segment 1 failed authentication/);
    });

    it('in the final segment, releasing nothing of it', async () => {
      const { plaintext, envelope, sha256 } = await sealed(2 * SEG + 300);
      const { released, error } = await openCollecting(flip(envelope, envelope.length - 20), sha256);
      expect((error as Error).message).toMatch(/final segment 2 failed authentication/);
      expect(released.equals(plaintext.subarray(0, 2 * SEG))).toBe(true);
    });

    it('when segments are reordered', async () => {
      const { envelope, sha256 } = await sealed(3 * SEG + 1);
      const swapped = Buffer.concat([
        envelope.subarray(0, HEADER_BYTES),
        envelope.subarray(HEADER_BYTES + STRIDE, HEADER_BYTES + 2 * STRIDE),
        envelope.subarray(HEADER_BYTES, HEADER_BYTES + STRIDE),
        envelope.subarray(HEADER_BYTES + 2 * STRIDE),
      ]);
      await expectIntegrity(swapped, sha256, /segment 0 failed authentication/);
    });

    it('when truncated at a segment boundary, inside a segment, inside the header, or to nothing', async () => {
      const { envelope, sha256 } = await sealed(3 * SEG + 50);
      await expectIntegrity(envelope.subarray(0, HEADER_BYTES + 2 * STRIDE), sha256, /final segment 1 failed authentication/);
      await expectIntegrity(envelope.subarray(0, envelope.length - 1), sha256, /final segment 3 failed authentication/);
      await expectIntegrity(envelope.subarray(0, HEADER_BYTES + 5), sha256, /final segment is missing/);
      await expectIntegrity(envelope.subarray(0, HEADER_BYTES), sha256, /final segment is missing/);
      await expectIntegrity(envelope.subarray(0, 40), sha256, /truncated: 40 bytes/);
      await expectIntegrity(Buffer.alloc(0), sha256, /truncated: 0 bytes/);
    });

    it('when the envelope ends on a full final segment and that segment is dropped', async () => {
      const { envelope, sha256 } = await sealed(3 * SEG);
      await expectIntegrity(envelope.subarray(0, HEADER_BYTES + 2 * STRIDE), sha256, /final segment 1 failed authentication/);
    });

    it('when bytes or a whole sealed segment are appended', async () => {
      const { envelope, sha256 } = await sealed(2 * SEG + 7);
      await expectIntegrity(Buffer.concat([envelope, Buffer.from([0])]), sha256, /segment 2 failed authentication/);
      await expectIntegrity(Buffer.concat([envelope, randomBytes(STRIDE + 3)]), sha256, /segment 2 failed authentication/);
      const other = await sealed(10);
      const spliced = Buffer.concat([envelope, other.envelope.subarray(HEADER_BYTES)]);
      await expectIntegrity(spliced, sha256, /segment 2 failed authentication/);
    });

    it('with the wrong master key under the same id, or a key the keyring lacks', async () => {
      const { envelope, sha256 } = await sealed(100);
      const impostor = { id: keyring.current.id, key: randomBytes(32) };
      const wrong = createKeyring(impostor);
      await expect(openBuffer(wrong, envelope, { blob: sha256 })).rejects.toThrow(/not the key that sealed it/);
      await expect(openBuffer(createKeyring(generateMasterKey()), envelope, { blob: sha256 })).rejects.toThrow(IntegrityError);
      await expect(openBuffer(createKeyring(generateMasterKey()), envelope, { blob: sha256 })).rejects.toThrow(
        new RegExp(`sealed under master key ${keyring.current.id}, which is not configured`),
      );
    });

    it('when an intact envelope is stored under another address', async () => {
      const { envelope, sha256 } = await sealed(SEG + 1);
      const other = sha(Buffer.from('something else'));
      const { released, error } = await openCollecting(envelope, other);
      expect((error as Error).message).toContain(`plaintext SHA-256 is ${sha256}, not the address`);
      // The last segment is held back until the address checked out.
      expect(released.length).toBe(SEG);
    });
  });
});
