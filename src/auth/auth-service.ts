import type { Logger } from 'pino';
import type { AuditLog } from '../audit/audit-log.js';
import { ForbiddenError, InvalidError, UnauthenticatedError } from '../core/errors.js';
import type { Db } from '../db/schema.js';
import type { RequestContext, TxContext, UserActor } from './actor.js';
import { parseScopes, type ApiTokenService } from './api-tokens.js';
import { directory, type UserRow, type UserView } from './directory.js';
import type { LoginThrottle } from './login-throttle.js';
import { assertAcceptablePassword, hashPassword, verifyAgainstDummy, verifyPassword } from './passwords.js';
import type { AccessPolicy } from './policy.js';
import type { SecretBox } from './secret-box.js';
import type { IssuedSession, LiveSession, SessionStore } from './sessions.js';
import { checkTotp, newRecoveryCodes, recoveryCodeHash } from './totp.js';

/** Where a request comes from. */
export interface ClientMeta {
  readonly address: string | null;
  readonly userAgent: string | null;
  readonly requestId: string | null;
  readonly now: number;
}

export interface LoginInput {
  readonly username: string;
  readonly password: string;
  /** The 6-digit code from the authenticator, or … */
  readonly totp?: string;
  /** … one unused recovery code. */
  readonly recoveryCode?: string;
}

export interface LoginResult {
  readonly session: IssuedSession;
  readonly user: UserView;
  /** Present once: on the sign-in that confirms the authenticator enrolment. */
  readonly recoveryCodes?: readonly string[];
}

/** The one answer for every failed sign-in: unknown user, wrong password, wrong code, suspended account. */
export const LOGIN_FAILED = 'wrong user name, password or code';
export const LOGIN_LOCKED = 'sign-in for this account name is locked after repeated failures; try again later';

export interface AuthDeps {
  readonly db: Db;
  readonly policy: AccessPolicy;
  readonly audit: AuditLog;
  readonly sessions: SessionStore;
  readonly throttle: LoginThrottle;
  readonly tokens: ApiTokenService;
  readonly totpBox: SecretBox;
  readonly logger?: Logger;
}

/** Sign-in, sessions, API token authentication, password change and recovery codes. */
export class AuthService {
  constructor(private readonly deps: AuthDeps) {}

  /**
   * Password plus a TOTP code (or a recovery code). The password is checked outside any transaction (argon2 is
   * slow on purpose); the outcome, the audit entry and the session are written in one.
   */
  async login(meta: ClientMeta, input: LoginInput): Promise<LoginResult> {
    const { db, audit, throttle, sessions } = this.deps;
    const account = input.username.trim().toLowerCase().slice(0, 128);
    const locked = await throttle.lockedUntil(account, meta.now);
    if (locked !== null) {
      await db.transaction().execute((tx) =>
        audit.append(tx, { action: 'auth.login_locked', actor: null, actorName: account, address: meta.address, requestId: meta.requestId, at: meta.now }),
      );
      throw new UnauthenticatedError(LOGIN_LOCKED);
    }
    const row = account === '' ? undefined : await directory.userRowByName(db, account);
    const passwordOk = row ? await verifyPassword(row.password_hash, input.password) : await verifyAgainstDummy(input.password);
    let failure: string | undefined = !row ? 'unknown_user' : !passwordOk ? 'wrong_password' : row.status !== 'active' ? 'suspended' : undefined;
    let step: number | null = null;
    let recoveryCodeId: number | null = null;
    if (failure === undefined && row) {
      const second = await this.secondFactor(row, input, meta.now);
      step = second.step;
      recoveryCodeId = second.recoveryCodeId;
      if (step === null && recoveryCodeId === null) failure = second.reason;
    }
    if (failure !== undefined || !row) {
      const nowLocked = await db.transaction().execute(async (tx) => {
        const lockedNow = await throttle.failure(tx, account, meta.now);
        await audit.append(tx, {
          action: 'auth.login_failed',
          actor: null,
          actorName: account,
          object: row ? { type: 'user', id: Number(row.id), country: row.country_code } : undefined,
          address: meta.address,
          requestId: meta.requestId,
          at: meta.now,
          details: { reason: failure, locked: lockedNow },
        });
        return lockedNow;
      });
      if (nowLocked) this.deps.logger?.warn({ account, address: meta.address }, 'sign-in locked after repeated failures');
      throw new UnauthenticatedError(LOGIN_FAILED);
    }
    const userId = Number(row.id);
    return db.transaction().execute(async (tx) => {
      await throttle.clear(tx, account);
      let recoveryCodes: string[] | undefined;
      if (step !== null) {
        // Conditional, so two sign-ins racing with the same code cannot both succeed.
        const accepted = await tx
          .updateTable('users')
          .set({ totp_last_step: step })
          .where('id', '=', userId)
          .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
          .executeTakeFirst();
        if (Number(accepted.numUpdatedRows) !== 1) throw new UnauthenticatedError(LOGIN_FAILED);
      }
      if (recoveryCodeId !== null) {
        const used = await tx.updateTable('recovery_codes').set({ used_at: meta.now }).where('id', '=', recoveryCodeId).where('used_at', 'is', null).executeTakeFirst();
        if (Number(used.numUpdatedRows) !== 1) throw new UnauthenticatedError(LOGIN_FAILED);
      }
      if (Number(row.totp_confirmed) !== 1) {
        await tx.updateTable('users').set({ totp_confirmed: 1, updated_at: meta.now }).where('id', '=', userId).execute();
        recoveryCodes = await this.replaceRecoveryCodes(tx, userId, meta.now);
      }
      const session = await sessions.create(tx, userId, meta);
      const actor = actorFromRow(row, { kind: 'session', sessionId: session.id, restricted: Number(row.must_change_password) === 1 });
      await audit.append(tx, {
        action: 'auth.login',
        actor,
        object: { type: 'user', id: userId, country: row.country_code },
        address: meta.address,
        requestId: meta.requestId,
        at: meta.now,
        details: { secondFactor: step !== null ? 'totp' : 'recovery_code', ...(recoveryCodes ? { enrolmentConfirmed: true } : {}) },
      });
      const user = (await directory.user(tx, userId))!;
      return { session, user, ...(recoveryCodes ? { recoveryCodes } : {}) };
    });
  }

  /** The actor behind a session cookie, or null when the session is unknown, expired, or its user suspended. */
  async authenticateSession(token: string, now: number): Promise<{ actor: UserActor; session: LiveSession } | null> {
    const session = await this.deps.sessions.resolve(token, now);
    if (!session) return null;
    const row = await directory.userRow(this.deps.db, session.userId);
    if (!row || row.status !== 'active') return null;
    const restricted = Number(row.must_change_password) === 1 || Number(row.totp_confirmed) !== 1;
    return { actor: actorFromRow(row, { kind: 'session', sessionId: session.id, restricted }), session };
  }

  /**
   * The actor behind an API token, or null. Every use is audited (`token.use`), and so is every attempt with a
   * revoked or expired token (`auth.token_rejected`).
   */
  async authenticateToken(token: string, meta: ClientMeta & { readonly route: string; readonly method: string }): Promise<UserActor | null> {
    const { db, audit, tokens } = this.deps;
    const row = await tokens.find(token);
    if (!row) return null;
    const user = await directory.userRow(db, Number(row.user_id));
    const problem =
      row.revoked_at !== null ? 'revoked' : Number(row.expires_at) <= meta.now ? 'expired' : !user || user.status !== 'active' ? 'user_inactive' : undefined;
    const tokenId = Number(row.id);
    if (problem !== undefined || !user) {
      await db.transaction().execute((tx) =>
        audit.append(tx, {
          action: 'auth.token_rejected',
          actor: null,
          actorName: user?.username ?? 'unknown',
          object: { type: 'token', id: tokenId, country: user?.country_code ?? null },
          address: meta.address,
          requestId: meta.requestId,
          at: meta.now,
          details: { reason: problem ?? 'user_inactive', method: meta.method, route: meta.route },
        }),
      );
      return null;
    }
    const actor = actorFromRow(user, { kind: 'token', tokenId, scopes: parseScopes(row.scopes) });
    await db.transaction().execute(async (tx) => {
      await tx.updateTable('api_tokens').set({ last_used_at: meta.now }).where('id', '=', tokenId).execute();
      await audit.append(tx, {
        action: 'token.use',
        actor,
        object: { type: 'token', id: tokenId, country: user.country_code },
        address: meta.address,
        requestId: meta.requestId,
        at: meta.now,
        details: { method: meta.method, route: meta.route },
      });
    });
    return actor;
  }

  async logout(ctx: TxContext): Promise<void> {
    this.deps.policy.require(ctx.actor, 'account');
    const actor = this.deps.policy.user(ctx.actor);
    if (actor.credential.kind !== 'session') throw new ForbiddenError('API tokens do not sign out; revoke the token instead');
    await this.deps.sessions.revoke(ctx.tx, actor.credential.sessionId);
    await this.deps.audit.record(ctx, { action: 'auth.logout', object: { type: 'user', id: actor.userId, country: actor.countryCode } });
  }

  /**
   * Changes one's own password (the one-time password at first sign-in, or any time). Every session of the user
   * ends, including this one, and a fresh session is issued: a new id after a privilege change.
   */
  async changePassword(ctx: RequestContext, input: { currentPassword: string; newPassword: string }, meta: { userAgent: string | null }): Promise<IssuedSession> {
    this.deps.policy.require(ctx.actor, 'account');
    const actor = this.deps.policy.user(ctx.actor);
    if (actor.credential.kind !== 'session') throw new ForbiddenError('sign in to change your password');
    const row = await directory.userRow(this.deps.db, actor.userId);
    if (!row || !(await verifyPassword(row.password_hash, input.currentPassword))) throw new InvalidError('the current password is wrong');
    if (input.newPassword === input.currentPassword) throw new InvalidError('choose a password different from the current one');
    assertAcceptablePassword(input.newPassword, row.username);
    const hash = await hashPassword(input.newPassword);
    return this.deps.db.transaction().execute(async (tx) => {
      await tx.updateTable('users').set({ password_hash: hash, must_change_password: 0, updated_at: ctx.now }).where('id', '=', actor.userId).execute();
      const ended = await this.deps.sessions.revokeAll(tx, actor.userId);
      const session = await this.deps.sessions.create(tx, actor.userId, { now: ctx.now, address: ctx.address, userAgent: meta.userAgent });
      await this.deps.audit.record({ ...ctx, tx }, {
        action: 'auth.password_change',
        object: { type: 'user', id: actor.userId, country: actor.countryCode },
        details: { sessionsEnded: ended },
      });
      return session;
    });
  }

  /** New recovery codes (the old ones stop working); needs a current TOTP code. */
  async regenerateRecoveryCodes(ctx: TxContext, input: { totp: string }): Promise<string[]> {
    this.deps.policy.require(ctx.actor, 'account.manage');
    const actor = this.deps.policy.user(ctx.actor);
    const row = await directory.userRow(ctx.tx, actor.userId);
    if (!row || row.totp_secret === null) throw new InvalidError('the authenticator code is wrong');
    const step = await checkTotp(this.deps.totpBox.open(row.totp_secret, `user:${actor.userId}`), input.totp, lastStep(row), ctx.now);
    if (step === null) throw new InvalidError('the authenticator code is wrong');
    await ctx.tx.updateTable('users').set({ totp_last_step: step }).where('id', '=', actor.userId).execute();
    const codes = await this.replaceRecoveryCodes(ctx.tx, actor.userId, ctx.now);
    await this.deps.audit.record(ctx, { action: 'auth.recovery_codes', object: { type: 'user', id: actor.userId, country: actor.countryCode } });
    return codes;
  }

  /** One's own account. */
  async me(ctx: TxContext): Promise<UserView> {
    this.deps.policy.require(ctx.actor, 'account');
    const actor = this.deps.policy.user(ctx.actor);
    return (await directory.user(ctx.tx, actor.userId))!;
  }

  private async secondFactor(row: UserRow, input: LoginInput, now: number): Promise<{ step: number | null; recoveryCodeId: number | null; reason: string }> {
    if (row.totp_secret === null) return { step: null, recoveryCodeId: null, reason: 'no_authenticator' };
    if (input.totp !== undefined) {
      const secret = this.deps.totpBox.open(row.totp_secret, `user:${Number(row.id)}`);
      const step = await checkTotp(secret, input.totp, lastStep(row), now);
      return { step, recoveryCodeId: null, reason: 'wrong_code' };
    }
    if (input.recoveryCode !== undefined && Number(row.totp_confirmed) === 1) {
      const code = await this.deps.db
        .selectFrom('recovery_codes')
        .select('id')
        .where('user_id', '=', Number(row.id))
        .where('code_hash', '=', recoveryCodeHash(input.recoveryCode))
        .where('used_at', 'is', null)
        .executeTakeFirst();
      return { step: null, recoveryCodeId: code ? Number(code.id) : null, reason: 'wrong_recovery_code' };
    }
    return { step: null, recoveryCodeId: null, reason: 'no_second_factor' };
  }

  private async replaceRecoveryCodes(tx: TxContext['tx'], userId: number, now: number): Promise<string[]> {
    const codes = newRecoveryCodes();
    await tx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
    await tx
      .insertInto('recovery_codes')
      .values(codes.map((code) => ({ user_id: userId, code_hash: recoveryCodeHash(code), created_at: now, used_at: null })))
      .execute();
    return codes;
  }
}

function lastStep(row: UserRow): number | null {
  return row.totp_last_step === null ? null : Number(row.totp_last_step);
}

export function actorFromRow(row: UserRow, credential: UserActor['credential']): UserActor {
  return {
    kind: 'user',
    userId: Number(row.id),
    username: row.username,
    role: row.role,
    countryCode: row.country_code,
    agencyId: Number(row.agency_id),
    certifiedUntil: row.certified_until === null ? null : Number(row.certified_until),
    credential,
  };
}
