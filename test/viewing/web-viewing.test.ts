import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { syntheticJpeg } from '../../bench/hash-corpus.js';
import { createUser, signIn, startTestEnv, type TestEnv, type TestSession } from '../auth/support.js';
import { api, mediaAt, uploadSeizure } from '../cases/support.js';

/** What the web application adds to the API: per-user viewing protection and a match seen side by side. */
describe('viewing preferences and match pairs', () => {
  let env: TestEnv;
  let ana: TestSession;
  let ben: TestSession;
  let original: number;
  let nearCopy: number;
  let unrelated: number;

  beforeAll(async () => {
    env = await startTestEnv({ role: 'all', env: { ARIADNE_JOB_POLL_MS: '20' } });
    env.container.start();
    ana = await signIn(env, await createUser(env, { username: 'ana', country: 'FR' }));
    ben = await signIn(env, await createUser(env, { username: 'ben', country: 'DE' }));
    const photo = await syntheticJpeg(640, 480, 4242);
    // The same picture re-encoded smaller: other bytes, nearly the same PDQ.
    const resized = await sharp(photo).resize(480, 360).jpeg({ quality: 70 }).toBuffer();
    const first = await uploadSeizure(env, ana, 'PAIR-1', [{ name: 'a.jpg', data: photo }, { name: 'other.jpg', data: await syntheticJpeg(640, 480, 99) }]);
    const second = await uploadSeizure(env, ben, 'PAIR-2', [{ name: 'b.jpg', data: resized }]);
    original = await mediaAt(env, first, 'a.jpg');
    unrelated = await mediaAt(env, first, 'other.jpg');
    nearCopy = await mediaAt(env, second, 'b.jpg');
  });
  afterAll(async () => env.close());

  it('starts every user with the protective defaults and keeps each user\'s own setting, audited', async () => {
    const a = api(env, ana);
    expect((await a.get('/api/me/viewing')).json()).toEqual({ blur: 12, grayscale: true, muteVideos: true, locale: null, updatedAt: null });
    const changed = await a.put('/api/me/viewing', { blur: 4, locale: 'fr' });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ blur: 4, grayscale: true, muteVideos: true, locale: 'fr' });
    expect((await a.get('/api/me/viewing')).json()).toMatchObject({ blur: 4, locale: 'fr' });
    // Someone else's setting is untouched.
    expect((await api(env, ben).get('/api/me/viewing')).json()).toMatchObject({ blur: 12, locale: null });
    const entry = await env.container.database.db.selectFrom('audit_log').selectAll().where('action', '=', 'user.preferences').executeTakeFirstOrThrow();
    expect(entry.actor_name).toBe('ana');
    expect(JSON.parse(entry.details!)).toEqual({ changed: { blur: { from: 12, to: 4 }, locale: { from: null, to: 'fr' } } });
  });

  it('refuses settings out of range and anonymous callers', async () => {
    const a = api(env, ana);
    expect((await a.put('/api/me/viewing', { blur: 41 })).statusCode).toBe(400);
    expect((await a.put('/api/me/viewing', { blur: -1 })).statusCode).toBe(400);
    expect((await a.put('/api/me/viewing', { locale: 'de' })).statusCode).toBe(400);
    expect((await env.app.inject({ method: 'GET', url: '/api/me/viewing' })).statusCode).toBe(401);
    expect((await a.get('/api/me/viewing')).json()).toMatchObject({ blur: 4 });
  });

  it('compares a match side by side: both items\' facts and the PDQ distance that matched', async () => {
    const res = await api(env, ben).get(`/api/media/${nearCopy}/compare/${original}`);
    expect(res.statusCode).toBe(200);
    const pair = res.json() as { query: { id: number }; stored: { id: number; firstCountry: string }; signals: Array<{ signal: string; distance: number | null; matches: boolean }>; matchedBy: { signal: string; distance: number } | null };
    expect(pair.query.id).toBe(nearCopy);
    expect(pair.stored).toMatchObject({ id: original, firstCountry: 'FR' });
    expect(pair.signals.find((s) => s.signal === 'sha256')).toMatchObject({ matches: false, distance: null });
    expect(pair.matchedBy?.signal).toBe('pdq');
    expect(pair.matchedBy!.distance).toBeLessThanOrEqual(31);

    const none = (await api(env, ben).get(`/api/media/${nearCopy}/compare/${unrelated}`)).json() as { matchedBy: unknown; signals: Array<{ signal: string; distance: number }> };
    expect(none.matchedBy).toBeNull();
    expect(none.signals.find((s) => s.signal === 'pdq')!.distance).toBeGreaterThan(31);
  });

  it('answers 404 for unknown items and the same item twice, 403 without certification', async () => {
    const b = api(env, ben);
    expect((await b.get(`/api/media/${nearCopy}/compare/${nearCopy}`)).statusCode).toBe(404);
    expect((await b.get(`/api/media/${nearCopy}/compare/${original + 1000}`)).statusCode).toBe(404);
    const lapsed = await signIn(env, await createUser(env, { username: 'lapsed', country: 'DE', certified: false }));
    expect((await api(env, lapsed).get(`/api/media/${nearCopy}/compare/${original}`)).statusCode).toBe(403);
  });
});

/** The built single-page application, served by the same process outside /api. */
describe('serving the web application', () => {
  let env: TestEnv;
  let root: string;
  let app: Awaited<ReturnType<typeof buildApp>>;

  beforeAll(async () => {
    env = await startTestEnv();
    root = mkdtempSync(join(tmpdir(), 'ariadne-web-'));
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>Ariadne</title><script type="module" src="/assets/app-1234.js"></script>');
    writeFileSync(join(root, 'assets', 'app-1234.js'), 'console.log(1)');
    const c = env.container;
    app = await buildApp({ config: c.config, logger: c.logger, health: c.health, version: c.version, access: c.access, webRoot: root });
  });
  afterAll(async () => {
    await app.close();
    await env.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('serves index.html for application paths and assets as files, under the strict CSP', async () => {
    for (const url of ['/', '/submissions/12', '/investigations']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.body).toContain('<title>Ariadne</title>');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    }
    const asset = await app.inject({ method: 'GET', url: '/assets/app-1234.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toContain('immutable');
    expect((await app.inject({ method: 'GET', url: '/assets/missing.js' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/../../etc/passwd' })).body).not.toContain('root:');
  });

  it('never answers API paths with the page: unknown API routes keep their JSON 404', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/nothing-here' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: { code: 'not_found' } });
    expect((await app.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(200);
  });
});
