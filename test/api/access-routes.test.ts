import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../src/api/access.js';
import { buildApp } from '../../src/api/app.js';
import { createLogger } from '../../src/logger.js';
import type { UserActor } from '../../src/auth/actor.js';
import { PERMISSIONS, type Permission } from '../../src/auth/roles.js';
import { createUser, signIn, startTestEnv, tokenFor, type TestEnv, type TestUser } from '../auth/support.js';

/**
 * Enumerates every route of the real application (built by the composition root, so routes added by later modules
 * are covered without touching this file) and proves: each declares its access; only the listed routes are public;
 * each non-public route answers 401 to anonymous callers and 403 to every principal lacking its permission; no
 * parameter accepts a path-traversal string.
 */
const PUBLIC_ROUTES = [
  /^\/api\/health$/,
  /^\/api\/openapi\.json$/,
  /^\/api\/docs(\/.*)?$/,
  /^\/api\/auth\/login$/,
  // The web application's files (index.html and its built assets, no data); never answers under /api.
  /^\/\*?$/,
];

interface Principal {
  readonly name: string;
  readonly headers: Record<string, string>;
  readonly actor: UserActor;
}

function concrete(url: string, value = '1'): string {
  return url.replace(/:[A-Za-z0-9_]+/g, value).replace(/\*/g, 'x');
}

describe('every route declares and enforces its access', () => {
  let env: TestEnv;
  let principals: Principal[];

  beforeAll(async () => {
    env = await startTestEnv();
    const make = async (user: TestUser, name: string, headers: Record<string, string>, credential: UserActor['credential'], certified = true): Promise<Principal> => ({
      name,
      headers,
      actor: {
        kind: 'user',
        userId: user.id,
        username: user.username,
        role: user.role,
        countryCode: user.countryCode,
        agencyId: user.agencyId,
        certifiedUntil: certified ? Date.now() + 86_400_000 : null,
        credential,
      },
    });
    const session = (id = 'x', restricted = false) => ({ kind: 'session' as const, sessionId: id, restricted });
    const investigator = await createUser(env, { username: 'inv-cert' });
    const uncertified = await createUser(env, { username: 'inv-uncert', certified: false });
    const auditor = await createUser(env, { username: 'auditor-one', role: 'auditor', country: 'NL' });
    const countryAdmin = await createUser(env, { username: 'ca-fr', role: 'country_admin' });
    const globalAdmin = await createUser(env, { username: 'ga-one', role: 'global_admin', certified: false });
    const fresh = await createUser(env, { username: 'inv-fresh', ready: false });
    // A restricted session: signed in with the one-time password, not yet changed.
    const { totpCode } = await import('../../src/auth/totp.js');
    const restrictedRes = await env.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: fresh.username, password: fresh.password, totp: await totpCode(fresh.totpSecret) },
    });
    expect(restrictedRes.statusCode).toBe(200);
    expect(restrictedRes.json()).toMatchObject({ restricted: true });
    const restrictedCookie = restrictedRes.cookies.find((c) => c.name === SESSION_COOKIE)!;
    const withSession = async (u: TestUser) => (await signIn(env, u)).headers;
    const adminRead = await tokenFor(env, globalAdmin, ['read']);
    const investigatorRead = await tokenFor(env, investigator, ['read']);
    const investigatorUpload = await tokenFor(env, investigator, ['upload']);
    principals = [
      await make(investigator, 'certified investigator (session)', await withSession(investigator), session()),
      await make(uncertified, 'uncertified investigator (session)', await withSession(uncertified), session(), false),
      await make(auditor, 'auditor (session)', await withSession(auditor), session(), false),
      await make(countryAdmin, 'country admin (session)', await withSession(countryAdmin), session()),
      await make(globalAdmin, 'uncertified global admin (session)', await withSession(globalAdmin), session(), false),
      await make(fresh, 'restricted session (one-time password)', { cookie: `${SESSION_COOKIE}=${restrictedCookie.value}`, 'x-csrf-token': (restrictedRes.json() as { csrfToken: string }).csrfToken }, session('r', true)),
      await make(globalAdmin, 'global admin token, read scope', adminRead.headers, { kind: 'token', tokenId: adminRead.id, scopes: ['read'] }, false),
      await make(investigator, 'investigator token, read scope', investigatorRead.headers, { kind: 'token', tokenId: investigatorRead.id, scopes: ['read'] }),
      await make(investigator, 'investigator token, upload scope', investigatorUpload.headers, { kind: 'token', tokenId: investigatorUpload.id, scopes: ['upload'] }),
    ];
  });

  afterAll(async () => env?.close());

  const routes = () => env.app.accessTable.filter((r) => r.method !== 'HEAD');

  it('finds the routes of the real application, each with a declared access', () => {
    const all = routes();
    expect(all.length).toBeGreaterThan(20);
    for (const r of all) expect(r.access === 'public' || r.access in PERMISSIONS, `${r.method} ${r.url}`).toBe(true);
    for (const url of ['/api/auth/me', '/api/admin/users/:id', '/api/audit/verify', '/api/health']) expect(all.some((r) => r.url === url)).toBe(true);
  });

  it('has only the listed public routes', () => {
    const publicOnes = routes().filter((r) => r.access === 'public');
    for (const r of publicOnes) expect(PUBLIC_ROUTES.some((p) => p.test(r.url)), `${r.method} ${r.url} is public but not on the list`).toBe(true);
  });

  it('refuses a route that declares no access when it is registered', async () => {
    // A second app from the same builder (not yet started): registering an undeclared route fails.
    const c = env.container;
    const other = await buildApp({ config: c.config, logger: createLogger('silent'), health: c.health, version: c.version, access: c.access });
    expect(() => other.get('/api/undeclared', async () => 'x')).toThrow(/declares no access/);
    expect(() => other.get('/api/misdeclared', { config: { access: 'media.everything' as Permission } }, async () => 'x')).toThrow(/unknown permission/);
    other.get('/api/declared', { config: { access: 'media.view' } }, async () => 'x');
    expect((await other.inject({ method: 'GET', url: '/api/declared' })).statusCode).toBe(401);
    await other.close();
  });

  it('answers 401 to anonymous, forged-token and unknown-session callers on every non-public route', async () => {
    const guarded = routes().filter((r) => r.access !== 'public');
    for (const r of guarded) {
      const url = concrete(r.url);
      const payload = r.method === 'GET' || r.method === 'DELETE' ? undefined : {};
      for (const headers of [
        {},
        { authorization: 'Bearer ariadne_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
        { authorization: 'Basic Zm9vOmJhcg==' },
        { cookie: `${SESSION_COOKIE}=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`, 'x-csrf-token': 'x' },
      ]) {
        const res = await env.app.inject({ method: r.method as 'GET', url, headers, payload });
        expect(res.statusCode, `${r.method} ${r.url} with ${JSON.stringify(headers)}`).toBe(401);
        expect(res.json()).toMatchObject({ error: { code: 'unauthenticated' } });
      }
    }
  });

  it('answers 403 to every principal lacking the route\'s permission, before touching any data', async () => {
    const guarded = routes().filter((r) => r.access !== 'public');
    const policy = env.container.access.policy;
    let refusals = 0;
    for (const r of guarded) {
      const permission = r.access as Permission;
      for (const p of principals) {
        if (policy.can(p.actor, permission)) continue;
        const before = await env.container.database.db.selectFrom('users').select(['id', 'status', 'certified_until', 'updated_at']).orderBy('id').execute();
        const res = await env.app.inject({ method: r.method as 'GET', url: concrete(r.url), headers: p.headers, payload: r.method === 'GET' || r.method === 'DELETE' ? undefined : {} });
        expect(res.statusCode, `${r.method} ${r.url} as ${p.name}`).toBe(403);
        expect(res.json().error.message).not.toMatch(/CSRF/);
        const after = await env.container.database.db.selectFrom('users').select(['id', 'status', 'certified_until', 'updated_at']).orderBy('id').execute();
        expect(after).toEqual(before);
        refusals++;
      }
    }
    // Every permission is refused to someone among the principals.
    expect(refusals).toBeGreaterThan(guarded.length);
  });

  it('rejects path traversal in every path parameter, for a caller who holds the permission', async () => {
    const withParams = routes().filter((r) => r.access !== 'public' && r.url.includes(':'));
    expect(withParams.length).toBeGreaterThan(5);
    const policy = env.container.access.policy;
    for (const r of withParams) {
      const holder = principals.find((p) => policy.can(p.actor, r.access as Permission));
      if (!holder) continue;
      for (const evil of ['..%2F..%2Fetc%2Fpasswd', '..%5C..%5Cwindows', '%2e%2e%2f%2e%2e%2fetc', '1%00', '..', '-1', '1e3', '0x10']) {
        const res = await env.app.inject({ method: r.method as 'GET', url: concrete(r.url, evil), headers: holder.headers, payload: r.method === 'GET' || r.method === 'DELETE' ? undefined : {} });
        expect([400, 404], `${r.method} ${concrete(r.url, evil)} as ${holder.name}: ${res.body}`).toContain(res.statusCode);
      }
    }
  });
});
