import { createHash } from 'node:crypto';
import { InvalidError } from '../../core/errors.js';
import type { SignalType } from '../signal-type.js';

/**
 * The exact signal types md5, sha1 and sha256. Values are lowercase hex strings (the form the database, the blob
 * store and exchanged hash lists use). Ingest computes all three in one pass with CryptoHasher; `hash()` here is for
 * single values.
 */
export type HexDigest = string;

function exactSignal(name: 'md5' | 'sha1' | 'sha256', bits: number): SignalType<HexDigest> {
  const digits = bits / 4;
  const pattern = new RegExp(`^[0-9a-fA-F]{${digits}}$`);
  return {
    name,
    contentTypes: ['file'],
    kind: 'exact',
    defaultThreshold: 0,
    maxDistance: 1,
    hash: (input) => createHash(name).update(input.bytes).digest('hex'),
    parse(text: string): HexDigest {
      if (typeof text !== 'string' || !pattern.test(text)) {
        const got = typeof text === 'string' ? `${text.length} characters` : typeof text;
        throw new InvalidError(`a ${name} hash must be ${digits} hex digits, got ${got}`, { signal: name });
      }
      return text.toLowerCase();
    },
    format: (value) => value.toLowerCase(),
    distance: (a, b) => (a.toLowerCase() === b.toLowerCase() ? 0 : 1),
  };
}

export function createMd5Signal(): SignalType<HexDigest> {
  return exactSignal('md5', 128);
}

export function createSha1Signal(): SignalType<HexDigest> {
  return exactSignal('sha1', 160);
}

export function createSha256Signal(): SignalType<HexDigest> {
  return exactSignal('sha256', 256);
}
