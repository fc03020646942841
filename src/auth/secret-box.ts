import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { IntegrityError } from '../core/errors.js';
import type { MasterKey, MasterKeyring } from '../storage/master-key.js';

/**
 * Small secrets at rest (TOTP secrets): AES-256-GCM under a key derived (HKDF-SHA-256) from the master key for one
 * purpose, bound to the record it belongs to through the additional data, so a sealed value copied onto another
 * user does not open. Sealed form: `v1.<master key id>.<base64url(iv | ciphertext | tag)>`; any configured master
 * key opens it, new values are sealed under the current one.
 */
export class SecretBox {
  private readonly keys = new Map<string, Buffer>();

  constructor(
    private readonly keyring: MasterKeyring,
    private readonly purpose: string,
  ) {}

  seal(plaintext: string, boundTo: string): string {
    const key = this.keyring.current;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.derived(key), iv);
    cipher.setAAD(Buffer.from(`${this.purpose}\u0000${boundTo}`, 'utf8'));
    const body = Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `v1.${key.id}.${body.toString('base64url')}`;
  }

  open(sealed: string, boundTo: string): string {
    const [version, keyId, data] = sealed.split('.');
    if (version !== 'v1' || !keyId || !data) throw new IntegrityError(`a sealed ${this.purpose} is malformed`);
    const key = this.keyring.find(keyId);
    if (!key) throw new IntegrityError(`a sealed ${this.purpose} needs master key ${keyId}, which is not configured`);
    const body = Buffer.from(data, 'base64url');
    if (body.length < 12 + 16) throw new IntegrityError(`a sealed ${this.purpose} is truncated`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.derived(key), body.subarray(0, 12));
      decipher.setAAD(Buffer.from(`${this.purpose}\u0000${boundTo}`, 'utf8'));
      decipher.setAuthTag(body.subarray(body.length - 16));
      return Buffer.concat([decipher.update(body.subarray(12, body.length - 16)), decipher.final()]).toString('utf8');
    } catch (error) {
      throw new IntegrityError(`a sealed ${this.purpose} failed authentication`, undefined, { cause: error });
    }
  }

  private derived(key: MasterKey): Buffer {
    let k = this.keys.get(key.id);
    if (!k) {
      k = deriveKey(key, this.purpose);
      this.keys.set(key.id, k);
    }
    return k;
  }
}

/** A 32-byte key for one purpose, derived from a master key with HKDF-SHA-256. */
export function deriveKey(master: MasterKey, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', master.key, Buffer.from('ariadne', 'utf8'), Buffer.from(`ariadne ${purpose} v1`, 'utf8'), 32));
}

/** HMAC-SHA-256 as base64url. */
export function mac(key: Buffer, value: string): string {
  return createHmac('sha256', key).update(value, 'utf8').digest('base64url');
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
