import { createHash, randomBytes } from 'node:crypto';
import { generate, generateSecret, generateURI, verify } from 'otplib';

/** TOTP as authenticator apps expect it: SHA-1, 6 digits, 30-second steps, one step of clock drift either way. */
export const TOTP_ISSUER = 'Ariadne';
const TOLERANCE_SECONDS = 30;

export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

export function totpUri(username: string, secret: string, issuer = TOTP_ISSUER): string {
  return generateURI({ issuer, label: username, secret });
}

/** The current code (for tests and tooling). */
export function totpCode(secret: string, now = Date.now()): Promise<string> {
  return generate({ secret, epoch: Math.floor(now / 1000) });
}

/**
 * Checks a code; on success returns its time step, which must be stored and passed as `lastStep` next time so a
 * code (or an older one) is never accepted twice.
 */
export async function checkTotp(secret: string, code: string, lastStep: number | null, now = Date.now()): Promise<number | null> {
  if (!/^\d{6}$/.test(code)) return null;
  const result = await verify({
    secret,
    token: code,
    epoch: Math.floor(now / 1000),
    epochTolerance: TOLERANCE_SECONDS,
    ...(lastStep === null ? {} : { afterTimeStep: lastStep }),
  });
  return result.valid && 'timeStep' in result ? result.timeStep : null;
}

const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/** Ten single-use recovery codes `xxxx-xxxx-xxxx` (about 59 bits each). */
export function newRecoveryCodes(count = 10): string[] {
  const codes: string[] = [];
  for (let i = 0; i < count; i++) {
    let chars = '';
    while (chars.length < 12) {
      // Rejection sampling: every character equally likely.
      for (const b of randomBytes(16)) if (b < 248 && chars.length < 12) chars += RECOVERY_ALPHABET[b % RECOVERY_ALPHABET.length];
    }
    codes.push(`${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}`);
  }
  return codes;
}

/** Recovery codes are random, so a plain SHA-256 of the normalised code is a safe stored form. */
export function recoveryCodeHash(code: string): string {
  const normalised = code.toLowerCase().replace(/[^a-z0-9]/g, '');
  return createHash('sha256').update(`ariadne recovery ${normalised}`, 'utf8').digest('hex');
}
