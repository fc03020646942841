import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../src/api/access.js';
import { LOGIN_FAILED, LOGIN_LOCKED } from '../../src/auth/auth-service.js';
import { totpCode } from '../../src/auth/totp.js';
import { asOperator, createUser, signIn, startTestEnv, tokenFor, type TestEnv, type TestUser } from '../auth/support.js';

/** Attacks against the HTTP surface: each gets the right refusal and leaves the data as it was. */
describe('abuse', () => {
  let env: TestEnv;
  let admin: TestUser;
  const db = () => env.container.database.db;
  const snapshot = async () => ({
    users: await db().selectFrom('users').select(['id', 'username', 'status', 'role', 'certified_until', 'password_hash', 'updated_at']).orderBy('id').execute(),
    agencies: await db().selectFrom('agencies').selectAll().orderBy('id').execute(),
    tokens: await db().selectFrom('api_tokens').select(['id', 'revoked_at']).orderBy('id').execute(),
  });
  const login = (payload: object, address: string) => env.app.inject({ method: 'POST', url: '/api/auth/login', payload, remoteAddress: address });
  const strip = (body: string) => ({ ...JSON.parse(body), error: { ...JSON.parse(body).error, requestId: '' } });

  beforeAll(async () => {
    env = await startTestEnv({ env: { ARIADNE_LOGIN_MAX_FAILURES: '5', ARIADNE_LOGIN_RATE_PER_MINUTE: '12', ARIADNE_BODY_LIMIT_MB: '1' } });
    admin = await createUser(env, { username: 'ga-abuse', role: 'global_admin' });
  });
  afterAll(async () => env?.close());

  it('brute-force sign-in: the account name locks after 5 failures, the right password is then refused too, unknown names behave the same', async () => {
    const victim = await createUser(env, { username: 'victim' });
    const before = await snapshot();
    const answers: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await login({ username: 'victim', password: `guess number ${i}`, totp: '123456' }, '10.9.0.1');
      expect(res.statusCode).toBe(401);
      answers.push(JSON.stringify(strip(res.body)));
      const ghost = await login({ username: 'nobody-here', password: `guess number ${i}`, totp: '123456' }, '10.9.0.2');
      expect(ghost.statusCode).toBe(401);
      answers.push(JSON.stringify(strip(ghost.body)));
    }
    expect(new Set(answers)).toEqual(new Set([JSON.stringify({ error: { code: 'unauthenticated', message: LOGIN_FAILED, requestId: '' } })]));
    const right = await login({ username: 'victim', password: victim.password, totp: await totpCode(victim.totpSecret) }, '10.9.0.3');
    const ghost = await login({ username: 'nobody-here', password: 'whatever it is', totp: '123456' }, '10.9.0.3');
    expect(right.statusCode).toBe(401);
    expect(strip(right.body)).toEqual(strip(ghost.body));
    expect(right.json().error.message).toBe(LOGIN_LOCKED);
    expect(await snapshot()).toEqual(before);
    const failures = await env.container.access.audit.query({ action: 'auth.login_failed', actorName: 'victim' });
    expect(failures).toHaveLength(5);
    expect(failures[0].details).toMatchObject({ reason: 'wrong_password', locked: true });
    expect(await env.container.access.audit.query({ action: 'auth.login_locked', actorName: 'victim' })).toHaveLength(1);
    // The operator's reset lifts the lock.
    expect(await env.container.access.throttle.lockedUntil('victim', Date.now())).not.toBeNull();
    await asOperator(env, (ctx) => env.container.access.users.reset(ctx, { userId: victim.id }));
    expect(await env.container.access.throttle.lockedUntil('victim', Date.now())).toBeNull();
  });

  it('limits sign-in attempts per client address (429), independently of other addresses', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 14; i++) statuses.push((await login({ username: `spray-${i}`, password: 'spray password', totp: '000000' }, '10.7.7.7')).statusCode);
    expect(statuses.slice(0, 12).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(12)).toEqual([429, 429]);
    const limited = await login({ username: 'x', password: 'y', totp: '000000' }, '10.7.7.7');
    expect(limited.json()).toMatchObject({ error: { code: 'rate_limited' } });
    expect((await login({ username: 'spray-x', password: 'spray password', totp: '000000' }, '10.7.7.8')).statusCode).toBe(401);
  });

  it('token replay after revocation: refused, audited, nothing changes', async () => {
    const t = await tokenFor(env, admin, ['read', 'admin']);
    expect((await env.app.inject({ method: 'GET', url: '/api/admin/users', headers: t.headers })).statusCode).toBe(200);
    const s = await signIn(env, admin);
    expect((await env.app.inject({ method: 'DELETE', url: `/api/admin/tokens/${t.id}`, headers: s.headers })).statusCode).toBe(200);
    const before = await snapshot();
    for (const [method, url, payload] of [
      ['GET', '/api/admin/users', undefined],
      ['POST', '/api/admin/agencies', { country: 'FR', name: 'Replayed agency' }],
    ] as const) {
      const res = await env.app.inject({ method, url, headers: t.headers, payload });
      expect(res.statusCode).toBe(401);
    }
    expect(await snapshot()).toEqual(before);
    expect(await env.container.access.audit.query({ action: 'auth.token_rejected', objectId: String(t.id) })).toHaveLength(2);
    expect((await env.app.inject({ method: 'DELETE', url: `/api/admin/tokens/${t.id}`, headers: s.headers })).statusCode).toBe(409);
  });

  it('session fixation: a cookie chosen before sign-in is never adopted', async () => {
    const planted = 'A'.repeat(43);
    const u = await createUser(env, { username: 'fixation-target' });
    const res = await env.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { cookie: `${SESSION_COOKIE}=${planted}` },
      payload: { username: u.username, password: u.password, totp: await totpCode(u.totpSecret) },
      remoteAddress: '10.5.5.5',
    });
    expect(res.statusCode).toBe(200);
    const issued = res.cookies.find((c) => c.name === SESSION_COOKIE)!.value;
    expect(issued).not.toBe(planted);
    expect((await env.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie: `${SESSION_COOKIE}=${planted}` } })).statusCode).toBe(401);
    expect((await env.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie: `${SESSION_COOKIE}=${issued}` } })).statusCode).toBe(200);
  });

  it('cross-site requests: a session cookie without the CSRF token changes nothing', async () => {
    const s = await signIn(env, admin);
    const before = await snapshot();
    for (const headers of [{ cookie: s.cookie }, { cookie: s.cookie, 'x-csrf-token': 'forged' }, { cookie: s.cookie, 'x-csrf-token': `${s.csrf}x` }]) {
      const res = await env.app.inject({ method: 'POST', url: '/api/admin/agencies', headers, payload: { country: 'FR', name: 'Forged agency' } });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.message).toMatch(/CSRF/);
    }
    expect(await snapshot()).toEqual(before);
    expect((await env.app.inject({ method: 'POST', url: '/api/admin/agencies', headers: s.headers, payload: { country: 'FR', name: 'Real agency' } })).statusCode).toBe(201);
  });

  it('oversize and malformed JSON bodies are refused before they reach a service', async () => {
    const s = await signIn(env, admin);
    const before = await snapshot();
    const huge = JSON.stringify({ country: 'FR', name: 'Big agency', pad: 'x'.repeat(1_200_000) });
    const cases: Array<[string, string, number]> = [
      [huge, 'application/json', 413],
      ['{"country":"FR","name":', 'application/json', 400],
      ['{"country":"FR","name":"Proto agency","__proto__":{"admin":true}}', 'application/json', 400],
      ['{"country":"FR","name":"Extra agency","role":"global_admin"}', 'application/json', 400],
      ['{"country":"../../etc","name":"Path agency"}', 'application/json', 400],
      ['country=FR&name=Form', 'application/x-www-form-urlencoded', 415],
      ['[1,2,3]', 'application/json', 400],
    ];
    for (const [payload, type, status] of cases) {
      const res = await env.app.inject({ method: 'POST', url: '/api/admin/agencies', headers: { ...s.headers, 'content-type': type }, payload });
      expect(res.statusCode, payload.slice(0, 60)).toBe(status);
      expect(res.json()).toHaveProperty('error.code');
    }
    const anonymousHuge = await env.app.inject({ method: 'POST', url: '/api/auth/login', headers: { 'content-type': 'application/json' }, payload: huge, remoteAddress: '10.4.4.4' });
    expect(anonymousHuge.statusCode).toBe(413);
    expect(await snapshot()).toEqual(before);
  });

  it('path traversal in query parameters is refused', async () => {
    const s = await signIn(env, admin);
    for (const url of ['/api/admin/users?country=..%2F..', '/api/admin/agencies?country=%2e%2e', '/api/audit/entries?objectId=..%2F..%2Fetc%2Fpasswd', '/api/admin/users?agencyId=..%2F1']) {
      expect((await env.app.inject({ method: 'GET', url, headers: s.headers })).statusCode, url).toBe(400);
    }
  });
});
