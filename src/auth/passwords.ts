import { randomBytes } from 'node:crypto';
import { hash, verify, type Algorithm } from '@node-rs/argon2';
import { InvalidError } from '../core/errors.js';

/** argon2id with the OWASP baseline (19 MiB, 2 passes, 1 lane). */
const ARGON2ID = 2 as Algorithm; // Algorithm.Argon2id (a const enum, which isolated modules cannot read)
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 256;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

/** False for a wrong password or a malformed stored hash; never throws for those. */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;

/**
 * Spends the same time as checking a real password, for unknown accounts, so that response times do not tell
 * which account names exist.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummy ??= hashPassword(randomBytes(16).toString('hex'));
  await verifyPassword(await dummy, password);
  return false;
}

/** Checks a password someone chose. */
export function assertAcceptablePassword(password: string, username: string): void {
  if (password.length < PASSWORD_MIN) throw new InvalidError(`a password needs at least ${PASSWORD_MIN} characters`);
  if (password.length > PASSWORD_MAX) throw new InvalidError(`a password has at most ${PASSWORD_MAX} characters`);
  if (password.toLowerCase().includes(username.toLowerCase())) throw new InvalidError('a password must not contain the user name');
  if (new Set(password).size < 5) throw new InvalidError('a password needs more different characters');
}

const ALPHABET = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A random one-time password (20 characters, about 115 bits), to be changed at first sign-in. */
export function generateOneTimePassword(): string {
  return randomString(20);
}

export function randomString(length: number): string {
  const out: string[] = [];
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      // Rejection sampling keeps every character equally likely.
      if (b < 256 - (256 % ALPHABET.length) && out.length < length) out.push(ALPHABET[b % ALPHABET.length]);
    }
  }
  return out.join('');
}
