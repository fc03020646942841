import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConflictError, InvalidError, NotFoundError } from '../../src/core/errors.js';
import { createSignalRegistry } from '../../src/signals/builtin.js';
import { CryptoHasher, cryptoDigestsOf, cryptoDigestsOfStream } from '../../src/signals/crypto/crypto-hashes.js';
import { createMd5Signal, createSha256Signal } from '../../src/signals/crypto/crypto-signals.js';
import { createPdqSignal } from '../../src/signals/pdq/pdq-signal.js';
import { SignalRegistry, type SignalType } from '../../src/signals/signal-type.js';

function nodeDigests(bytes: Uint8Array) {
  return {
    size: bytes.length,
    md5: createHash('md5').update(bytes).digest('hex'),
    sha1: createHash('sha1').update(bytes).digest('hex'),
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}

describe('SignalRegistry', () => {
  it('holds the built-in types md5, sha1, sha256, pdq, vpdq', () => {
    const registry = createSignalRegistry();
    expect(registry.list().map((t) => t.name)).toEqual(['md5', 'sha1', 'sha256', 'pdq', 'vpdq']);
    expect(registry.get('pdq').defaultThreshold).toBe(31);
    expect(registry.get('sha256').defaultThreshold).toBe(0);
    expect(registry.forContent('image').map((t) => t.name)).toEqual(['md5', 'sha1', 'sha256', 'pdq']);
    expect(registry.forContent('video').map((t) => t.name)).toEqual(['md5', 'sha1', 'sha256', 'vpdq']);
    expect(registry.get('vpdq').defaultThreshold).toBe(20);
  });

  it('refuses a duplicate name with a clear ConflictError', () => {
    const registry = new SignalRegistry([createMd5Signal()]);
    expect(() => registry.register(createMd5Signal())).toThrow(ConflictError);
    expect(() => registry.register(createMd5Signal())).toThrow('signal type "md5" is already registered');
    expect(() => createSignalRegistry([createPdqSignal() as SignalType])).toThrow(/"pdq" is already registered/);
    expect(registry.list()).toHaveLength(1);
  });

  it('refuses malformed names and answers NotFoundError for unknown ones', () => {
    const bad = { ...createMd5Signal(), name: 'Bad Name' };
    expect(() => new SignalRegistry([bad])).toThrow(InvalidError);
    expect(() => createSignalRegistry().get('face')).toThrow(NotFoundError);
    expect(() => createSignalRegistry().get('face')).toThrow(/known: md5, sha1, sha256, pdq, vpdq/);
  });

  it('leaves the index factory for the index module to fill', () => {
    const pdq = createSignalRegistry().get('pdq');
    expect(pdq.createIndex).toBeUndefined();
  });
});

describe('exact signal types', () => {
  it('parse validates and lower-cases; distance is 0 or 1', () => {
    const sha256 = createSha256Signal();
    const value = createHash('sha256').update('x').digest('hex');
    expect(sha256.parse(value.toUpperCase())).toBe(value);
    expect(() => sha256.parse(value.slice(2))).toThrow(/64 hex digits, got 62 characters/);
    expect(() => createMd5Signal().parse('z'.repeat(32))).toThrow(InvalidError);
    expect(sha256.distance(value, value.toUpperCase())).toBe(0);
    expect(sha256.distance(value, createHash('sha256').update('y').digest('hex'))).toBe(1);
    expect(sha256.hash({ bytes: Buffer.from('x') })).toBe(value);
  });

  it('pdq parses, formats and measures Hamming distance', () => {
    const pdq = createPdqSignal();
    const a = pdq.parse('f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22');
    const b = pdq.parse('f8f8f0cee0f4a84f06370a2a038f63f0b36e26d596621e1d33e6b39c4e9c9b22');
    expect(pdq.distance(a, b)).toBe(2);
    expect(pdq.format(a)).toBe('f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22');
    expect(pdq.hash({ bytes: new Uint8Array(4) })).toBeNull();
  });
});

describe('CryptoHasher', () => {
  it('computes md5, sha1 and sha256 in one pass, equal to node:crypto, whatever the chunking', async () => {
    for (const size of [0, 1, 63, 64, 65, 1000, 1 << 20]) {
      const bytes = randomBytes(size);
      const expected = nodeDigests(bytes);
      expect(cryptoDigestsOf(bytes)).toEqual(expected);
      const hasher = new CryptoHasher();
      for (let i = 0; i < size; i += 4097) hasher.update(bytes.subarray(i, i + 4097));
      expect(hasher.digest()).toEqual(expected);
      const chunks = [];
      for (let i = 0; i < size; i += 65536) chunks.push(bytes.subarray(i, i + 65536));
      expect(await cryptoDigestsOfStream(Readable.from(chunks))).toEqual(expected);
    }
  });

  it('refuses use after digest', () => {
    const hasher = new CryptoHasher();
    hasher.digest();
    expect(() => hasher.digest()).toThrow();
    expect(() => hasher.update(new Uint8Array(1))).toThrow();
  });
});
