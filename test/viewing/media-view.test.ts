import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticJpeg } from '../../bench/hash-corpus.js';
import { createUser, signIn, startTestEnv, tokenFor, type TestEnv, type TestSession } from '../auth/support.js';
import { mediaAt, uploadSeizure } from '../cases/support.js';

/** Viewing stored material: the redacted thumbnail for certified investigators, the preview and original audited. */
describe('viewing stored material', () => {
  let env: TestEnv;
  let ana: TestSession;
  let mediaId: number;
  let original: Buffer;

  beforeAll(async () => {
    env = await startTestEnv({ role: 'all', env: { ARIADNE_JOB_POLL_MS: '20' } });
    env.container.start();
    ana = await signIn(env, await createUser(env, { username: 'ana', country: 'FR' }));
    original = await syntheticJpeg(640, 480, 31337);
    const submission = await uploadSeizure(env, ana, 'VIEW-1', [{ name: 'a/photo.jpg', data: original }]);
    mediaId = await mediaAt(env, submission, 'a/photo.jpg');
  });
  afterAll(async () => env.close());

  async function auditActions(): Promise<string[]> {
    return (await env.container.database.db.selectFrom('audit_log').select('action').orderBy('seq').execute()).map((a) => a.action);
  }

  it('describes an item and serves its blurred grey thumbnail without auditing it', async () => {
    const facts = await env.app.inject({ method: 'GET', url: `/api/media/${mediaId}`, headers: ana.headers });
    expect(facts.statusCode).toBe(200);
    expect(facts.json()).toMatchObject({ id: mediaId, kind: 'image', mime: 'image/jpeg', width: 640, height: 480, firstCountry: 'FR', hasThumbnail: true, hasPreview: true });
    const before = await auditActions();
    const thumb = await env.app.inject({ method: 'GET', url: `/api/media/${mediaId}/thumbnail`, headers: ana.headers });
    expect(thumb.statusCode).toBe(200);
    expect(thumb.headers['content-type']).toBe('image/png');
    expect(thumb.headers['cache-control']).toBe('no-store, private');
    const meta = await sharp(thumb.rawPayload).metadata();
    expect(meta.channels).toBe(1);
    expect(Math.max(meta.width!, meta.height!)).toBeLessThanOrEqual(256);
    expect(await auditActions()).toEqual(before);
  });

  it('audits every view of the preview and every download of the original, before sending them', async () => {
    const preview = await env.app.inject({ method: 'GET', url: `/api/media/${mediaId}/preview`, headers: ana.headers });
    expect(preview.statusCode).toBe(200);
    expect(preview.headers['content-type']).toBe('image/jpeg');
    const down = await env.app.inject({ method: 'GET', url: `/api/media/${mediaId}/original`, headers: ana.headers });
    expect(down.statusCode).toBe(200);
    expect(Buffer.compare(down.rawPayload, original)).toBe(0);
    expect(down.headers['content-disposition']).toMatch(/^attachment; filename="[0-9a-f]{64}"$/);
    const entries = await env.container.database.db.selectFrom('audit_log').selectAll().where('action', 'in', ['media.view', 'media.download']).orderBy('seq').execute();
    expect(entries.map((e) => [e.action, e.actor_name, e.object_type, e.object_id])).toEqual([
      ['media.view', 'ana', 'media', String(mediaId)],
      ['media.download', 'ana', 'media', String(mediaId)],
    ]);
  });

  it('refuses the unredacted renditions to the uncertified, to read tokens without the view right, and unknown items', async () => {
    const lapsed = await signIn(env, await createUser(env, { username: 'lapsed', country: 'FR', certified: false }));
    for (const r of ['thumbnail', 'preview', 'original']) {
      expect((await env.app.inject({ method: 'GET', url: `/api/media/${mediaId}/${r}`, headers: lapsed.headers })).statusCode).toBe(403);
    }
    const auditor = await signIn(env, await createUser(env, { username: 'aud', role: 'auditor', country: 'NL' }));
    expect((await env.app.inject({ method: 'GET', url: `/api/media/${mediaId}/preview`, headers: auditor.headers })).statusCode).toBe(403);
    expect((await env.app.inject({ method: 'GET', url: `/api/media/${mediaId + 1000}/preview`, headers: ana.headers })).statusCode).toBe(404);
    const bob = await createUser(env, { username: 'bob', country: 'DE' });
    const token = await tokenFor(env, bob, ['read']);
    expect((await env.app.inject({ method: 'GET', url: `/api/media/${mediaId}/thumbnail`, headers: token.headers })).statusCode).toBe(200);
  });
});
