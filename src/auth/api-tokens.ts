import { createHash, randomBytes } from 'node:crypto';
import type { AuditLog } from '../audit/audit-log.js';
import { ConflictError, InvalidError, NotFoundError } from '../core/errors.js';
import type { ApiTokensTable, Db, Executor } from '../db/schema.js';
import type { TxContext } from './actor.js';
import { directory } from './directory.js';
import type { AccessPolicy } from './policy.js';
import { isScope, type Role, type Scope } from './roles.js';
import type { Selectable } from 'kysely';

export const TOKEN_PREFIX = 'ariadne_';
const TOKEN = /^ariadne_[A-Za-z0-9_-]{43}$/;
export const TOKEN_MAX_LIFETIME_MS = 366 * 86_400_000;

export interface TokenView {
  readonly id: number;
  readonly userId: number;
  readonly name: string;
  readonly scopes: readonly Scope[];
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly revokedAt: number | null;
  readonly lastUsedAt: number | null;
}

/** Scopes a role can use at all: admin for administrators, upload for those who handle material, read for all. */
export function scopesForRole(role: Role): readonly Scope[] {
  switch (role) {
    case 'global_admin':
    case 'country_admin':
      return ['read', 'upload', 'admin'];
    case 'investigator':
      return ['read', 'upload'];
    case 'auditor':
      return ['read'];
  }
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function parseScopes(text: string): Scope[] {
  return text.split(',').filter(isScope);
}

/**
 * API tokens for tools: shown once, stored as SHA-256 (they are 256-bit random, so a fast hash is enough), scoped,
 * expiring and revocable. Issuing one for oneself needs a session (`account.manage`); for someone else, the right
 * to administer that user.
 */
export class ApiTokenService {
  constructor(
    private readonly db: Db,
    private readonly policy: AccessPolicy,
    private readonly audit: AuditLog,
  ) {}

  async issue(ctx: TxContext, input: { userId: number; name: string; scopes: readonly Scope[]; expiresAt: number }): Promise<{ token: string; view: TokenView }> {
    const target = await this.authorise(ctx, input.userId);
    const name = input.name.trim();
    if (name.length < 1 || name.length > 100) throw new InvalidError('a token name has 1 to 100 characters');
    const scopes = [...new Set(input.scopes)];
    if (scopes.length === 0) throw new InvalidError('a token needs at least one scope');
    const allowed = scopesForRole(target.role);
    const refused = scopes.filter((s) => !allowed.includes(s));
    if (refused.length > 0) throw new InvalidError(`the ${target.role} role cannot hold the scope(s) ${refused.join(', ')}`, { allowed });
    if (!Number.isFinite(input.expiresAt) || input.expiresAt <= ctx.now) throw new InvalidError('a token must expire in the future');
    if (input.expiresAt > ctx.now + TOKEN_MAX_LIFETIME_MS) throw new InvalidError('a token lives at most one year');
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const row = await ctx.tx
      .insertInto('api_tokens')
      .values({ user_id: target.id, name, token_hash: tokenHash(token), scopes: scopes.join(','), created_at: ctx.now, expires_at: input.expiresAt, revoked_at: null, last_used_at: null })
      .returningAll()
      .executeTakeFirstOrThrow();
    const view = tokenView(row);
    await this.audit.record(ctx, {
      action: 'token.create',
      object: { type: 'token', id: view.id, country: target.countryCode },
      details: { userId: target.id, username: target.username, name, scopes, expiresAt: input.expiresAt },
    });
    return { token, view };
  }

  async list(ctx: TxContext, userId: number): Promise<TokenView[]> {
    await this.authorise(ctx, userId);
    const rows = await ctx.tx.selectFrom('api_tokens').selectAll().where('user_id', '=', userId).orderBy('id').execute();
    return rows.map(tokenView);
  }

  async revoke(ctx: TxContext, tokenId: number): Promise<TokenView> {
    const row = await ctx.tx.selectFrom('api_tokens').selectAll().where('id', '=', tokenId).executeTakeFirst();
    if (!row) {
      // Check the caller's right to ask at all before answering "not found".
      if (ctx.actor.kind === 'user') this.policy.require(ctx.actor, 'account.manage');
      throw new NotFoundError('token not found');
    }
    const target = await this.authorise(ctx, Number(row.user_id), 'token not found');
    if (row.revoked_at !== null) throw new ConflictError('the token is already revoked');
    await ctx.tx.updateTable('api_tokens').set({ revoked_at: ctx.now }).where('id', '=', tokenId).execute();
    await this.audit.record(ctx, {
      action: 'token.revoke',
      object: { type: 'token', id: tokenId, country: target.countryCode },
      details: { userId: target.id, username: target.username, name: row.name },
    });
    return tokenView({ ...row, revoked_at: ctx.now });
  }

  /** The token's row when it is well-formed and known (revoked and expired ones included), else undefined. */
  async find(token: string, executor: Executor = this.db): Promise<Selectable<ApiTokensTable> | undefined> {
    if (!TOKEN.test(token)) return undefined;
    return executor.selectFrom('api_tokens').selectAll().where('token_hash', '=', tokenHash(token)).executeTakeFirst();
  }

  /** Own tokens need `account.manage`; another user's need the right to administer that user (else not found). */
  private async authorise(ctx: TxContext, userId: number, notFound = 'user not found') {
    const actor = ctx.actor;
    if (actor.kind === 'user' && actor.userId === userId) {
      this.policy.require(actor, 'account.manage');
    } else {
      this.policy.require(actor, 'users.admin');
    }
    const target = await directory.userRow(ctx.tx, userId);
    if (!target) throw new NotFoundError(notFound);
    const view = { id: Number(target.id), username: target.username, role: target.role, countryCode: target.country_code };
    if (!(actor.kind === 'user' && actor.userId === userId) && !this.policy.canAdministerUser(actor, view)) throw new NotFoundError(notFound);
    return view;
  }
}

export function tokenView(row: Selectable<ApiTokensTable>): TokenView {
  return {
    id: Number(row.id),
    userId: Number(row.user_id),
    name: row.name,
    scopes: parseScopes(row.scopes),
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
  };
}
