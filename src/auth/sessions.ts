import { createHash, randomBytes } from 'node:crypto';
import type { Db, Executor } from '../db/schema.js';
import type { MasterKeyring } from '../storage/master-key.js';
import { deriveKey, mac } from './secret-box.js';

export interface SessionSettings {
  /** A session unused for this long ends. */
  readonly idleMs: number;
  /** A session ends this long after sign-in whatever its use. */
  readonly maxMs: number;
}

export interface IssuedSession {
  /** The cookie value: shown to the client once, stored only as its SHA-256. */
  readonly token: string;
  readonly id: string;
  readonly csrfToken: string;
  readonly expiresAt: number;
}

export interface LiveSession {
  readonly id: string;
  readonly userId: number;
  readonly csrfToken: string;
  readonly expiresAt: number;
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;
/** last_seen_at is written at most this often, not on every request. */
const TOUCH_EVERY_MS = 30_000;

/**
 * Server-side sessions. The cookie holds 32 random bytes; the database holds their SHA-256, so a copy of the
 * database does not yield live sessions. The CSRF token is an HMAC of the session id under a key derived from the
 * master key: it needs no storage and cannot be computed without the key.
 */
export class SessionStore {
  private readonly csrfKey: Buffer;

  constructor(
    private readonly db: Db,
    keyring: MasterKeyring,
    readonly settings: SessionSettings,
  ) {
    this.csrfKey = deriveKey(keyring.current, 'csrf');
  }

  /** A fresh session: ids are always generated here, never taken from the client (no session fixation). */
  async create(tx: Executor, userId: number, meta: { now: number; address: string | null; userAgent: string | null }): Promise<IssuedSession> {
    const token = randomBytes(32).toString('base64url');
    const id = sessionId(token);
    const expiresAt = meta.now + this.settings.maxMs;
    await tx
      .insertInto('sessions')
      .values({
        id,
        user_id: userId,
        created_at: meta.now,
        last_seen_at: meta.now,
        expires_at: expiresAt,
        address: meta.address,
        user_agent: meta.userAgent === null ? null : meta.userAgent.slice(0, 256),
      })
      .execute();
    return { token, id, csrfToken: this.csrfFor(id), expiresAt };
  }

  /** The live session for a cookie value, or null; ends sessions that passed their idle or absolute limit. */
  async resolve(token: string, now: number): Promise<LiveSession | null> {
    if (!TOKEN.test(token)) return null;
    const id = sessionId(token);
    const row = await this.db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return null;
    const lastSeen = Number(row.last_seen_at);
    const expiresAt = Math.min(Number(row.expires_at), lastSeen + this.settings.idleMs);
    if (now >= expiresAt) {
      await this.db.deleteFrom('sessions').where('id', '=', id).execute();
      return null;
    }
    if (now - lastSeen >= TOUCH_EVERY_MS) await this.db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', id).execute();
    return { id, userId: Number(row.user_id), csrfToken: this.csrfFor(id), expiresAt: Number(row.expires_at) };
  }

  csrfFor(id: string): string {
    return mac(this.csrfKey, `csrf:${id}`);
  }

  async revoke(tx: Executor, id: string): Promise<void> {
    await tx.deleteFrom('sessions').where('id', '=', id).execute();
  }

  /** Ends every session of a user (except one, when given); returns how many ended. */
  async revokeAll(tx: Executor, userId: number, exceptId?: string): Promise<number> {
    let q = tx.deleteFrom('sessions').where('user_id', '=', userId);
    if (exceptId !== undefined) q = q.where('id', '!=', exceptId);
    const result = await q.executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Removes sessions past their limits (housekeeping). */
  async purgeExpired(now: number): Promise<number> {
    const result = await this.db
      .deleteFrom('sessions')
      .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', now - this.settings.idleMs)]))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

export function sessionId(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
