import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../src/api/access.js';
import { SecretBox } from '../../src/auth/secret-box.js';
import { sessionId } from '../../src/auth/sessions.js';
import { totpCode } from '../../src/auth/totp.js';
import { databaseAdapters } from '../support/databases.js';
import { asOperator, createUser, sessionFrom, signIn, startTestEnv, type TestEnv } from './support.js';

for (const adapter of databaseAdapters()) {
  describe.skipIf(adapter.skip)(`auth contract: ${adapter.name}`, () => {
    let env: TestEnv;
    const db = () => env.container.database.db;
    const auditActions = async () => (await db().selectFrom('audit_log').select('action').orderBy('seq').execute()).map((r) => r.action);

    beforeAll(async () => {
      env = await startTestEnv({ adapter });
    });
    afterAll(async () => env?.close());

    it('first sign-in: one-time password + TOTP confirms enrolment, returns recovery codes, restricts until the password changes', async () => {
      const admin = await createUser(env, { username: 'fr-admin', role: 'country_admin', ready: false });
      const login = await env.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'FR-Admin', password: admin.password, totp: await totpCode(admin.totpSecret) },
      });
      expect(login.statusCode).toBe(200);
      const body = login.json();
      expect(body).toMatchObject({ restricted: true, user: { username: 'fr-admin', totpConfirmed: true, mustChangePassword: true } });
      expect(body.recoveryCodes).toHaveLength(10);
      const cookie = login.cookies.find((c) => c.name === SESSION_COOKIE)!;
      expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
      const first = sessionFrom(login);

      // Restricted: own account only.
      expect((await env.app.inject({ method: 'GET', url: '/api/auth/me', headers: first.headers })).json()).toMatchObject({ restricted: true, permissions: ['account'] });
      expect((await env.app.inject({ method: 'GET', url: '/api/admin/users', headers: first.headers })).statusCode).toBe(403);

      const weak = await env.app.inject({ method: 'POST', url: '/api/auth/password', headers: first.headers, payload: { currentPassword: admin.password, newPassword: 'short' } });
      expect(weak.statusCode).toBe(400);
      const changed = await env.app.inject({
        method: 'POST',
        url: '/api/auth/password',
        headers: first.headers,
        payload: { currentPassword: admin.password, newPassword: 'a much longer passphrase 42' },
      });
      expect(changed.statusCode).toBe(200);
      expect(changed.json()).toMatchObject({ restricted: false });
      const second = sessionFrom(changed);
      expect(second.cookie).not.toBe(first.cookie);
      // The session that changed the password ended; the new one has full rights.
      expect((await env.app.inject({ method: 'GET', url: '/api/auth/me', headers: first.headers })).statusCode).toBe(401);
      expect((await env.app.inject({ method: 'GET', url: '/api/admin/users', headers: second.headers })).statusCode).toBe(200);

      // A recovery code signs in once.
      const viaRecovery = { username: 'fr-admin', password: 'a much longer passphrase 42', recoveryCode: body.recoveryCodes[0].toUpperCase() };
      expect((await env.app.inject({ method: 'POST', url: '/api/auth/login', payload: viaRecovery })).statusCode).toBe(200);
      expect((await env.app.inject({ method: 'POST', url: '/api/auth/login', payload: viaRecovery })).statusCode).toBe(401);
      expect(await auditActions()).toEqual(expect.arrayContaining(['user.create', 'auth.login', 'auth.password_change', 'auth.login_failed']));
    });

    it('never accepts the same TOTP code twice', async () => {
      const u = await createUser(env, { username: 'replay-user' });
      const code = await totpCode(u.totpSecret);
      const payload = { username: u.username, password: u.password, totp: code };
      expect((await env.app.inject({ method: 'POST', url: '/api/auth/login', payload })).statusCode).toBe(200);
      expect((await env.app.inject({ method: 'POST', url: '/api/auth/login', payload })).statusCode).toBe(401);
    });

    it('stores TOTP secrets sealed, bound to their user', async () => {
      const u = await createUser(env, { username: 'sealed-user' });
      const row = await db().selectFrom('users').select('totp_secret').where('id', '=', u.id).executeTakeFirstOrThrow();
      expect(row.totp_secret).toMatch(/^v1\.[0-9a-f]{16}\./);
      expect(row.totp_secret).not.toContain(u.totpSecret);
      const box = new SecretBox(env.container.keyring, 'totp secret');
      expect(box.open(row.totp_secret!, `user:${u.id}`)).toBe(u.totpSecret);
      expect(() => box.open(row.totp_secret!, `user:${u.id + 1}`)).toThrow(/failed authentication/);
    });

    it('ends sessions after the idle limit and the absolute limit', async () => {
      const u = await createUser(env, { username: 'idle-user' });
      const s = await signIn(env, u);
      const token = s.cookie.split('=')[1];
      const store = env.container.access.sessions;
      const { idleMs, maxMs } = store.settings;
      const now = Date.now();
      expect(await store.resolve(token, now + idleMs - 60_000)).not.toBeNull(); // used: idle clock restarts
      expect(await store.resolve(token, now + 2 * idleMs - 120_000)).not.toBeNull();
      expect(await store.resolve(token, now + maxMs + 1)).toBeNull(); // absolute limit, however active
      expect(await db().selectFrom('sessions').select('id').where('id', '=', sessionId(token)).executeTakeFirst()).toBeUndefined();
      const s2 = await signIn(env, u);
      expect(await store.resolve(s2.cookie.split('=')[1], Date.now() + idleMs + 1)).toBeNull();
    });

    it('a country admin sees its own country only: another country\'s user ids answer exactly like unknown ids', async () => {
      const frAdmin = await createUser(env, { username: 'ca-fr-2', role: 'country_admin', country: 'FR' });
      const deUser = await createUser(env, { username: 'de-inv', country: 'DE' });
      const frUser = await createUser(env, { username: 'fr-inv', country: 'FR' });
      const frGlobal = await createUser(env, { username: 'fr-global', role: 'global_admin', country: 'FR' });
      const s = await signIn(env, frAdmin);
      const before = await db().selectFrom('users').selectAll().where('id', '=', deUser.id).executeTakeFirstOrThrow();
      const auditBefore = (await auditActions()).length;
      const strip = (b: { error: { requestId: string } }) => ({ ...b, error: { ...b.error, requestId: '' } });
      for (const [method, suffix, payload] of [
        ['GET', '', undefined],
        ['POST', '/certify', { until: Date.now() + 86_400_000 }],
        ['POST', '/suspend', {}],
        ['POST', '/reinstate', {}],
        ['POST', '/reset', {}],
        ['GET', '/tokens', undefined],
        ['POST', '/tokens', { name: 'x', scopes: ['read'], expiresInDays: 1 }],
      ] as const) {
        const other = await env.app.inject({ method, url: `/api/admin/users/${deUser.id}${suffix}`, headers: s.headers, payload });
        const unknown = await env.app.inject({ method, url: `/api/admin/users/987654${suffix}`, headers: s.headers, payload });
        const global = await env.app.inject({ method, url: `/api/admin/users/${frGlobal.id}${suffix}`, headers: s.headers, payload });
        expect(other.statusCode, `${method} ${suffix}`).toBe(404);
        expect(strip(other.json())).toEqual(strip(unknown.json()));
        expect(global.statusCode, `global admin ${method} ${suffix}`).toBe(404);
      }
      expect(await db().selectFrom('users').selectAll().where('id', '=', deUser.id).executeTakeFirstOrThrow()).toEqual(before);
      expect((await auditActions()).length).toBe(auditBefore);
      const listed = (await env.app.inject({ method: 'GET', url: '/api/admin/users', headers: s.headers })).json().users.map((u: { username: string }) => u.username);
      expect(listed).toContain('fr-inv');
      expect(listed).not.toContain('de-inv');
      expect(listed).not.toContain('fr-global');
      expect((await env.app.inject({ method: 'GET', url: '/api/admin/users?country=DE', headers: s.headers })).statusCode).toBe(404);
      expect((await env.app.inject({ method: 'POST', url: '/api/admin/agencies', headers: s.headers, payload: { country: 'DE', name: 'Sneaky' } })).statusCode).toBe(404);
      const deAgency = await db().selectFrom('agencies').select('id').where('country_code', '=', 'DE').executeTakeFirstOrThrow();
      const intoDe = await env.app.inject({ method: 'POST', url: '/api/admin/users', headers: s.headers, payload: { username: 'planted', agencyId: deAgency.id, role: 'investigator' } });
      expect(intoDe.statusCode).toBe(404);
      const escalate = await env.app.inject({ method: 'POST', url: '/api/admin/users', headers: s.headers, payload: { username: 'planted', agencyId: frUser.agencyId, role: 'global_admin' } });
      expect(escalate.statusCode).toBe(403);
      expect(await db().selectFrom('users').select('id').where('username', '=', 'planted').executeTakeFirst()).toBeUndefined();

      // Within its country it works, and each change is audited in the same transaction.
      const certify = await env.app.inject({ method: 'POST', url: `/api/admin/users/${frUser.id}/certify`, headers: s.headers, payload: { until: Date.now() + 86_400_000 } });
      expect(certify.statusCode).toBe(200);
      const self = await env.app.inject({ method: 'POST', url: `/api/admin/users/${frAdmin.id}/certify`, headers: s.headers, payload: { until: Date.now() + 86_400_000 } });
      expect(self.statusCode).toBe(403);
      const entries = await env.container.access.audit.query({ objectType: 'user', objectId: String(frUser.id), action: 'user.certify' });
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ actorName: 'ca-fr-2', actorCountry: 'FR', objectCountry: 'FR' });
    });

    it('suspension ends sessions at once and stops tokens; an expired certification keeps sign-in but shows nothing', async () => {
      const u = await createUser(env, { username: 'to-suspend' });
      const s = await signIn(env, u);
      await asOperator(env, (ctx) => env.container.access.users.suspend(ctx, { userId: u.id }));
      expect((await env.app.inject({ method: 'GET', url: '/api/auth/me', headers: s.headers })).statusCode).toBe(401);
      const refused = await env.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: u.username, password: u.password, totp: await totpCode(u.totpSecret, Date.now() + 30_000) } });
      expect(refused.statusCode).toBe(401);

      const lapsed = await createUser(env, { username: 'lapsed', certified: false });
      const ls = await signIn(env, lapsed);
      const me = (await env.app.inject({ method: 'GET', url: '/api/auth/me', headers: ls.headers })).json();
      expect(me).toMatchObject({ certified: false, permissions: ['account', 'account.manage'] });
    });

    it('API tokens: shown once, scoped, audited on use, dead after revocation', async () => {
      const u = await createUser(env, { username: 'tool-owner' });
      const s = await signIn(env, u);
      const created = await env.app.inject({ method: 'POST', url: '/api/auth/tokens', headers: s.headers, payload: { name: 'scanner', scopes: ['read'], expiresInDays: 30 } });
      expect(created.statusCode).toBe(201);
      const { token, id } = created.json();
      expect(token).toMatch(/^ariadne_/);
      const stored = await db().selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      expect(JSON.stringify(stored)).not.toContain(token.slice(8));
      const listed = await env.app.inject({ method: 'GET', url: '/api/auth/tokens', headers: s.headers });
      expect(listed.body).not.toContain(token.slice(8));
      const bearer = { authorization: `Bearer ${token}` };
      expect((await env.app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer })).json()).toMatchObject({ via: 'token' });
      expect((await env.app.inject({ method: 'POST', url: '/api/auth/tokens', headers: bearer, payload: { name: 'x', scopes: ['read'], expiresInDays: 1 } })).statusCode).toBe(403);
      expect((await env.app.inject({ method: 'POST', url: '/api/auth/tokens', headers: s.headers, payload: { name: 'x', scopes: ['admin'], expiresInDays: 1 } })).statusCode).toBe(400);
      // Both uses are audited, the refused one too.
      expect((await env.container.access.audit.query({ action: 'token.use', objectId: String(id) })).map((e) => e.details)).toEqual([
        { method: 'POST', route: '/api/auth/tokens' },
        { method: 'GET', route: '/api/auth/me' },
      ]);
      const revoked = await env.app.inject({ method: 'DELETE', url: `/api/auth/tokens/${id}`, headers: s.headers });
      expect(revoked.statusCode).toBe(200);
      expect((await env.app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer })).statusCode).toBe(401);
      expect(await env.container.access.audit.query({ action: 'auth.token_rejected', objectId: String(id) })).toHaveLength(1);
      expect((await env.container.access.audit.verify()).ok).toBe(true);
    });
  });
}
