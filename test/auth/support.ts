import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { SESSION_COOKIE } from '../../src/api/access.js';
import { inTransaction, systemActor, contextFor, type TxContext } from '../../src/auth/actor.js';
import { hashPassword } from '../../src/auth/passwords.js';
import type { Role as UserRole, Scope } from '../../src/auth/roles.js';
import { totpCode } from '../../src/auth/totp.js';
import { loadConfig } from '../../src/config.js';
import { createContainer, type Container, type Role } from '../../src/container.js';
import { createLogger } from '../../src/logger.js';
import { buildContainerApp } from '../../src/server.js';
import type { DatabaseAdapter } from '../support/databases.js';

/**
 * Test fixtures for anything behind sign-in: a real container and app (the composition root), users created
 * through the real services, sessions through the real login route, tokens through the real token service.
 */
export interface TestEnv {
  readonly container: Container;
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

export async function startTestEnv(options: { adapter?: DatabaseAdapter; env?: Record<string, string>; role?: Role } = {}): Promise<TestEnv> {
  const dir = mkdtempSync(join(tmpdir(), 'ariadne-auth-'));
  const created = options.adapter ? await options.adapter.create() : undefined;
  const config = loadConfig({
    env: { ARIADNE_DATA_DIR: dir, ARIADNE_LOG_LEVEL: 'silent', ...(created ? { ARIADNE_DATABASE_URL: created.url } : {}), ...options.env },
    cwd: dir,
  });
  const logger = createLogger('silent');
  const container = await createContainer(config, { role: options.role ?? 'api', logger });
  const app = await buildContainerApp(container);
  return {
    container,
    app,
    async close() {
      await app.close();
      await container.close();
      await created?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TestUser {
  readonly id: number;
  readonly username: string;
  readonly password: string;
  readonly totpSecret: string;
  readonly role: UserRole;
  readonly countryCode: string;
  readonly agencyId: number;
}

/** Runs a service call as the command-line operator. */
export function asOperator<T>(env: TestEnv, fn: (ctx: TxContext) => Promise<T>): Promise<T> {
  return inTransaction(env.container.database.db, contextFor(systemActor('test')), fn);
}

/**
 * A user created through the real services (country and agency created as needed). `ready` (default) gives it a
 * chosen password and marks its authenticator confirmed, as if it had completed first sign-in; `certified`
 * (default for roles that handle material) certifies it for 30 days.
 */
export async function createUser(
  env: TestEnv,
  options: { username: string; role?: UserRole; country?: string; agency?: string; certified?: boolean; ready?: boolean },
): Promise<TestUser> {
  const role = options.role ?? 'investigator';
  const country = options.country ?? 'FR';
  const agency = options.agency ?? `Police ${country}`;
  const users = env.container.access.users;
  const issued = await asOperator(env, async (ctx) => {
    const { agency: a } = await users.ensureCountryAndAgency(ctx, country, agency);
    const certifiedUntil = options.certified ?? role !== 'auditor' ? ctx.now + 30 * 86_400_000 : null;
    return users.createUser(ctx, { username: options.username, agencyId: a.id, role, certifiedUntil });
  });
  let password = issued.oneTimePassword;
  if (options.ready ?? true) {
    password = `correct horse ${options.username} battery`;
    await env.container.database.db
      .updateTable('users')
      .set({ password_hash: await hashPassword(password), must_change_password: 0, totp_confirmed: 1 })
      .where('id', '=', issued.user.id)
      .execute();
  }
  return { id: issued.user.id, username: issued.user.username, password, totpSecret: issued.totpSecret, role, countryCode: issued.user.countryCode, agencyId: issued.user.agencyId };
}

export interface TestSession {
  readonly cookie: string;
  readonly csrf: string;
  /** Headers for app.inject: the cookie, and the CSRF token for unsafe methods. */
  readonly headers: Record<string, string>;
}

/**
 * Signs in through POST /api/auth/login with a fresh TOTP code. A TOTP step is accepted once per user, so this
 * resets the user's last step first (the only shortcut: the code itself is real).
 */
export async function signIn(env: TestEnv, user: TestUser, address = '10.0.0.1'): Promise<TestSession> {
  await env.container.database.db.updateTable('users').set({ totp_last_step: null }).where('id', '=', user.id).execute();
  const res = await env.app.inject({
    method: 'POST',
    url: '/api/auth/login',
    remoteAddress: address,
    payload: { username: user.username, password: user.password, totp: await totpCode(user.totpSecret) },
  });
  if (res.statusCode !== 200) throw new Error(`sign-in of ${user.username} failed: ${res.statusCode} ${res.body}`);
  return sessionFrom(res);
}

export function sessionFrom(res: LightMyRequestResponse): TestSession {
  const cookie = res.cookies.find((c) => c.name === SESSION_COOKIE);
  if (!cookie) throw new Error('no session cookie in the answer');
  const csrf = (res.json() as { csrfToken: string }).csrfToken;
  const header = `${SESSION_COOKIE}=${cookie.value}`;
  return { cookie: header, csrf, headers: { cookie: header, 'x-csrf-token': csrf } };
}

/** An API token issued by the operator through the real token service. */
export async function tokenFor(env: TestEnv, user: TestUser, scopes: readonly Scope[], days = 30): Promise<{ id: number; token: string; headers: Record<string, string> }> {
  const issued = await asOperator(env, (ctx) =>
    env.container.access.tokens.issue(ctx, { userId: user.id, name: `test ${scopes.join('+')}`, scopes, expiresAt: ctx.now + days * 86_400_000 }),
  );
  return { id: issued.view.id, token: issued.token, headers: { authorization: `Bearer ${issued.token}` } };
}
