import type { AuditLog } from '../audit/audit-log.js';
import { ConflictError, ForbiddenError, InvalidError, NotFoundError } from '../core/errors.js';
import type { Executor } from '../db/schema.js';
import type { TxContext } from './actor.js';
import { countryName, isCountryCode } from './countries.js';
import { directory, type AgencyView, type CountryView, type UserView } from './directory.js';
import { generateOneTimePassword, hashPassword } from './passwords.js';
import type { AccessPolicy } from './policy.js';
import type { Role } from './roles.js';
import type { SecretBox } from './secret-box.js';
import type { SessionStore } from './sessions.js';
import { newTotpSecret, totpUri } from './totp.js';

/** What a new or reset account receives once: hand it to the person over a trusted channel. */
export interface IssuedCredentials {
  readonly user: UserView;
  readonly oneTimePassword: string;
  readonly totpSecret: string;
  readonly totpUri: string;
}

export const USERNAME = /^[a-z0-9][a-z0-9._-]{2,63}$/;
/** Certification lasts at most this long from now (renewal is periodic by design). */
export const MAX_CERTIFICATION_MS = 3 * 366 * 86_400_000;

export interface UserAdminDeps {
  readonly policy: AccessPolicy;
  readonly audit: AuditLog;
  readonly totpBox: SecretBox;
  readonly sessions: SessionStore;
}

/**
 * Countries, agencies and users. Every method takes the caller's context and checks access on its first line;
 * objects outside the caller's reach answer not found. Every change writes its audit entry in the same transaction.
 */
export class UserAdminService {
  constructor(private readonly deps: UserAdminDeps) {}

  async listCountries(ctx: TxContext): Promise<CountryView[]> {
    this.deps.policy.require(ctx.actor, 'account');
    return directory.countries(ctx.tx);
  }

  async addCountry(ctx: TxContext, input: { code: string; name?: string }): Promise<CountryView> {
    this.deps.policy.require(ctx.actor, 'countries.admin');
    const code = input.code.toUpperCase();
    if (!isCountryCode(code)) throw new InvalidError(`"${input.code}" is not an ISO 3166-1 alpha-2 country code`);
    if (await directory.country(ctx.tx, code)) throw new ConflictError(`country ${code} already exists`);
    const name = (input.name ?? countryName(code)).trim().slice(0, 100) || code;
    await ctx.tx.insertInto('countries').values({ code, name, created_at: ctx.now }).execute();
    await this.deps.audit.record(ctx, { action: 'country.create', object: { type: 'country', id: code, country: code }, details: { name } });
    return { code, name, createdAt: ctx.now };
  }

  async listAgencies(ctx: TxContext, filter: { country?: string }): Promise<AgencyView[]> {
    this.deps.policy.require(ctx.actor, 'users.admin');
    const actor = ctx.actor;
    if (filter.country !== undefined) {
      if (!this.deps.policy.canAdministerCountry(actor, filter.country)) throw new NotFoundError('country not found');
      return directory.agencies(ctx.tx, filter.country);
    }
    const all = await directory.agencies(ctx.tx);
    return all.filter((a) => this.deps.policy.canAdministerCountry(actor, a.countryCode));
  }

  async addAgency(ctx: TxContext, input: { country: string; name: string }): Promise<AgencyView> {
    this.deps.policy.require(ctx.actor, 'users.admin');
    const country = input.country.toUpperCase();
    if (!this.deps.policy.canAdministerCountry(ctx.actor, country) || !(await directory.country(ctx.tx, country))) {
      throw new NotFoundError('country not found');
    }
    const name = input.name.trim();
    if (name.length < 2 || name.length > 120) throw new InvalidError('an agency name has 2 to 120 characters');
    if (await directory.agencyByName(ctx.tx, country, name)) throw new ConflictError(`agency "${name}" already exists in ${country}`);
    const row = await ctx.tx.insertInto('agencies').values({ country_code: country, name, created_at: ctx.now }).returning('id').executeTakeFirstOrThrow();
    const agency: AgencyView = { id: Number(row.id), countryCode: country, name, createdAt: ctx.now };
    await this.deps.audit.record(ctx, { action: 'agency.create', object: { type: 'agency', id: agency.id, country }, details: { name } });
    return agency;
  }

  async listUsers(ctx: TxContext, filter: { country?: string; agencyId?: number }): Promise<UserView[]> {
    this.deps.policy.require(ctx.actor, 'users.admin');
    const actor = ctx.actor;
    if (filter.country !== undefined && !this.deps.policy.canAdministerCountry(actor, filter.country)) throw new NotFoundError('country not found');
    const users = await directory.users(ctx.tx, { countryCode: filter.country, agencyId: filter.agencyId });
    return users.filter((u) => this.deps.policy.canAdministerUser(actor, u));
  }

  async getUser(ctx: TxContext, userId: number): Promise<UserView> {
    this.deps.policy.require(ctx.actor, 'users.admin');
    return this.visibleUser(ctx, userId);
  }

  /** Finds an administrable user by name (the command line names users). */
  async findUser(ctx: TxContext, username: string): Promise<UserView> {
    this.deps.policy.require(ctx.actor, 'users.admin');
    const row = await directory.userRowByName(ctx.tx, username);
    if (!row) throw new NotFoundError('user not found');
    return this.visibleUser(ctx, Number(row.id));
  }

  async createUser(ctx: TxContext, input: { username: string; agencyId: number; role: Role; certifiedUntil?: number | null }): Promise<IssuedCredentials> {
    this.deps.policy.require(ctx.actor, 'users.admin');
    const agency = await directory.agency(ctx.tx, input.agencyId);
    if (!agency || !this.deps.policy.canAdministerCountry(ctx.actor, agency.countryCode)) throw new NotFoundError('agency not found');
    if (!this.deps.policy.canGrantRole(ctx.actor, input.role)) throw new ForbiddenError(`you may not create ${input.role} accounts`);
    const username = input.username.trim().toLowerCase();
    if (!USERNAME.test(username)) throw new InvalidError('a user name has 3 to 64 characters: lower-case letters, digits, dot, dash, underscore');
    if (await directory.userRowByName(ctx.tx, username)) throw new ConflictError(`user name "${username}" is taken`);
    const certifiedUntil = input.certifiedUntil ?? null;
    if (certifiedUntil !== null) this.checkCertification(ctx, certifiedUntil);
    const oneTimePassword = generateOneTimePassword();
    const passwordHash = await hashPassword(oneTimePassword);
    const row = await ctx.tx
      .insertInto('users')
      .values({
        username,
        agency_id: agency.id,
        country_code: agency.countryCode,
        role: input.role,
        status: 'active',
        password_hash: passwordHash,
        must_change_password: 1,
        totp_secret: null,
        totp_confirmed: 0,
        totp_last_step: null,
        certified_until: certifiedUntil,
        created_at: ctx.now,
        updated_at: ctx.now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const id = Number(row.id);
    const totpSecret = await this.newTotp(ctx.tx, id);
    await this.deps.audit.record(ctx, {
      action: 'user.create',
      object: { type: 'user', id, country: agency.countryCode },
      details: { username, role: input.role, agencyId: agency.id, certifiedUntil },
    });
    const user = (await directory.user(ctx.tx, id))!;
    return { user, oneTimePassword, totpSecret, totpUri: totpUri(username, totpSecret) };
  }

  /** Grants (or, with `until: null`, withdraws) certification to see material until a date. */
  async certify(ctx: TxContext, input: { userId: number; until: number | null }): Promise<UserView> {
    this.deps.policy.require(ctx.actor, 'users.admin');
    const before = await this.visibleUser(ctx, input.userId);
    this.deps.policy.assertNotSelf(ctx.actor, before.id, 'certify');
    if (input.until !== null) this.checkCertification(ctx, input.until);
    await ctx.tx.updateTable('users').set({ certified_until: input.until, updated_at: ctx.now }).where('id', '=', before.id).execute();
    await this.deps.audit.record(ctx, {
      action: input.until === null ? 'user.decertify' : 'user.certify',
      object: { type: 'user', id: before.id, country: before.countryCode },
      details: { from: before.certifiedUntil, until: input.until },
    });
    return (await directory.user(ctx.tx, before.id))!;
  }

  /** Suspends an account: its sessions end at once and its tokens stop working. */
  async suspend(ctx: TxContext, input: { userId: number }): Promise<UserView> {
    this.deps.policy.require(ctx.actor, 'users.admin');
    const before = await this.visibleUser(ctx, input.userId);
    this.deps.policy.assertNotSelf(ctx.actor, before.id, 'suspend');
    if (before.status === 'suspended') throw new ConflictError('the account is already suspended');
    await ctx.tx.updateTable('users').set({ status: 'suspended', updated_at: ctx.now }).where('id', '=', before.id).execute();
    const sessions = await this.deps.sessions.revokeAll(ctx.tx, before.id);
    await this.deps.audit.record(ctx, { action: 'user.suspend', object: { type: 'user', id: before.id, country: before.countryCode }, details: { sessionsEnded: sessions } });
    return (await directory.user(ctx.tx, before.id))!;
  }

  async reinstate(ctx: TxContext, input: { userId: number }): Promise<UserView> {
    this.deps.policy.require(ctx.actor, 'users.admin');
    const before = await this.visibleUser(ctx, input.userId);
    this.deps.policy.assertNotSelf(ctx.actor, before.id, 'reinstate');
    if (before.status === 'active') throw new ConflictError('the account is not suspended');
    await ctx.tx.updateTable('users').set({ status: 'active', updated_at: ctx.now }).where('id', '=', before.id).execute();
    await this.deps.audit.record(ctx, { action: 'user.reinstate', object: { type: 'user', id: before.id, country: before.countryCode } });
    return (await directory.user(ctx.tx, before.id))!;
  }

  /**
   * A lost password or authenticator: a new one-time password and TOTP secret; recovery codes, sessions and API
   * tokens are withdrawn and the login lock is lifted.
   */
  async reset(ctx: TxContext, input: { userId: number }): Promise<IssuedCredentials> {
    this.deps.policy.require(ctx.actor, 'users.admin');
    const before = await this.visibleUser(ctx, input.userId);
    this.deps.policy.assertNotSelf(ctx.actor, before.id, 'reset');
    const oneTimePassword = generateOneTimePassword();
    const passwordHash = await hashPassword(oneTimePassword);
    await ctx.tx
      .updateTable('users')
      .set({ password_hash: passwordHash, must_change_password: 1, totp_confirmed: 0, totp_last_step: null, updated_at: ctx.now })
      .where('id', '=', before.id)
      .execute();
    const totpSecret = await this.newTotp(ctx.tx, before.id);
    await ctx.tx.deleteFrom('recovery_codes').where('user_id', '=', before.id).execute();
    const sessions = await this.deps.sessions.revokeAll(ctx.tx, before.id);
    const tokens = await ctx.tx
      .updateTable('api_tokens')
      .set({ revoked_at: ctx.now })
      .where('user_id', '=', before.id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    await ctx.tx.deleteFrom('login_throttle').where('account', '=', before.username).execute();
    await this.deps.audit.record(ctx, {
      action: 'user.reset',
      object: { type: 'user', id: before.id, country: before.countryCode },
      details: { sessionsEnded: sessions, tokensRevoked: Number(tokens.numUpdatedRows) },
    });
    const user = (await directory.user(ctx.tx, before.id))!;
    return { user, oneTimePassword, totpSecret, totpUri: totpUri(user.username, totpSecret) };
  }

  /**
   * The first global admin, with its country and agency created as needed. Only the command-line operator may do
   * this, and only while no global admin exists.
   */
  async bootstrap(ctx: TxContext, input: { username: string; country: string; agency: string }): Promise<IssuedCredentials> {
    if (ctx.actor.kind !== 'system') throw new ForbiddenError('bootstrap is a command-line operation');
    await this.deps.audit.serialize(ctx.tx);
    const existing = await ctx.tx.selectFrom('users').select('id').where('role', '=', 'global_admin').executeTakeFirst();
    if (existing) throw new ConflictError('a global admin already exists; bootstrap runs only once (use `ariadne users add`)');
    const { agency } = await this.ensureCountryAndAgency(ctx, input.country, input.agency);
    const issued = await this.createUser(ctx, { username: input.username, agencyId: agency.id, role: 'global_admin' });
    await this.deps.audit.record(ctx, { action: 'admin.bootstrap', object: { type: 'user', id: issued.user.id, country: issued.user.countryCode } });
    return issued;
  }

  /** Finds or creates (auditing the creation) a country and an agency in it. */
  async ensureCountryAndAgency(ctx: TxContext, countryCode: string, agencyName: string): Promise<{ country: CountryView; agency: AgencyView }> {
    this.deps.policy.require(ctx.actor, 'users.admin');
    const code = countryCode.toUpperCase();
    if (!this.deps.policy.canAdministerCountry(ctx.actor, code)) throw new NotFoundError('country not found');
    const country = (await directory.country(ctx.tx, code)) ?? (await this.addCountry(ctx, { code }));
    const agency = (await directory.agencyByName(ctx.tx, code, agencyName.trim())) ?? (await this.addAgency(ctx, { country: code, name: agencyName }));
    return { country, agency };
  }

  private async visibleUser(ctx: TxContext, userId: number): Promise<UserView> {
    const user = await directory.user(ctx.tx, userId);
    if (!user) throw new NotFoundError('user not found');
    this.deps.policy.assertCanAdministerUser(ctx.actor, user);
    return user;
  }

  private checkCertification(ctx: TxContext, until: number): void {
    if (!Number.isFinite(until) || until <= ctx.now) throw new InvalidError('certification must end in the future');
    if (until > ctx.now + MAX_CERTIFICATION_MS) throw new InvalidError('certification lasts at most three years; renew it instead');
  }

  private async newTotp(tx: Executor, userId: number): Promise<string> {
    const secret = newTotpSecret();
    await tx.updateTable('users').set({ totp_secret: this.deps.totpBox.seal(secret, `user:${userId}`) }).where('id', '=', userId).execute();
    return secret;
  }
}

