import { InvalidError } from '../core/errors.js';

/** Most bytes of an Upload-Metadata header (all pairs, encoded). */
export const MAX_METADATA_BYTES = 4096;

const KEY = /^[A-Za-z0-9_.-]{1,64}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Parses a tus `Upload-Metadata` header: comma-separated pairs `key base64(value)` (or a lone `key`, value empty).
 * Keys are unique ASCII names; values must be UTF-8 text. Throws InvalidError on anything else.
 */
export function parseUploadMetadata(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (header === undefined || header.trim() === '') return out;
  if (Buffer.byteLength(header) > MAX_METADATA_BYTES) throw new InvalidError(`Upload-Metadata is longer than ${MAX_METADATA_BYTES} bytes`);
  for (const pair of header.split(',')) {
    const parts = pair.trim().split(' ');
    if (parts.length > 2) throw new InvalidError('Upload-Metadata: each pair is "key base64value"');
    const [key, encoded = ''] = parts;
    if (!KEY.test(key)) throw new InvalidError('Upload-Metadata: a key is 1..64 letters, digits, ".", "_" or "-"');
    if (Object.prototype.hasOwnProperty.call(out, key)) throw new InvalidError(`Upload-Metadata: key "${key}" given twice`);
    if (!BASE64.test(encoded)) throw new InvalidError(`Upload-Metadata: the value of "${key}" is not base64`);
    const bytes = Buffer.from(encoded, 'base64');
    const value = bytes.toString('utf8');
    if (!Buffer.from(value, 'utf8').equals(bytes)) throw new InvalidError(`Upload-Metadata: the value of "${key}" is not UTF-8 text`);
    out[key] = value;
  }
  return out;
}

/** The header form of parsed metadata (keys in their given order), as HEAD answers echo it. */
export function formatUploadMetadata(metadata: Readonly<Record<string, string>>): string {
  return Object.entries(metadata)
    .map(([key, value]) => (value === '' ? key : `${key} ${Buffer.from(value, 'utf8').toString('base64')}`))
    .join(',');
}
