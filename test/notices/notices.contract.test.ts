import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticJpeg } from '../../bench/hash-corpus.js';
import { systemActor } from '../../src/auth/actor.js';
import { createUser, signIn, startTestEnv, type TestEnv, type TestUser } from '../auth/support.js';
import { api, multipart, waitFor } from '../cases/support.js';
import { databaseAdapters } from '../support/databases.js';
import { greenBody, yellowBody } from './fixtures.js';

type Photo = { id: number; status: string; mediaId: number | null; sha256: string | null; fileName: string };
type View = { id: number; reference: string; status: string; version: number; links: Array<{ kind: string; targetId: number }>; photos: Photo[]; connections: Array<{ kind: string; victimId: number; score: number }> | null };

/**
 * Notices on SQLite and PostgreSQL: photos go through the real ingest (encrypted blob, exact + PDQ signals,
 * thumbnail) and are viewable through the media routes; links respect what the issuer may see; a connection
 * reported by face/scene code (NoticeConnections.report) is recorded once, audited and notified to the country.
 */
for (const adapter of databaseAdapters()) {
  describe.skipIf(adapter.skip !== undefined)(`notices on ${adapter.name}`, () => {
    let env: TestEnv;
    let fr: TestUser, frColleague: TestUser, de: TestUser, ga: TestUser;
    let FR: ReturnType<typeof api>, DE: ReturnType<typeof api>, GA: ReturnType<typeof api>;
    let frHeaders: Record<string, string>;

    beforeAll(async () => {
      env = await startTestEnv({ adapter, role: 'all', env: { ARIADNE_JOB_POLL_MS: '20' } });
      env.container.start();
      fr = await createUser(env, { username: 'fabien', country: 'FR', agency: 'OCRVP' });
      frColleague = await createUser(env, { username: 'flora', country: 'FR', agency: 'OCRVP' });
      de = await createUser(env, { username: 'dana', country: 'DE', agency: 'BKA' });
      ga = await createUser(env, { username: 'gaia', role: 'global_admin', country: 'NL', agency: 'IPSG' });
      const frSession = await signIn(env, fr);
      frHeaders = frSession.headers;
      FR = api(env, frSession);
      [DE, GA] = await Promise.all([de, ga].map(async (u) => api(env, await signIn(env, u))));
    });
    afterAll(async () => env?.close());

    const uploadPhoto = async (noticeId: number, name: string, data: Buffer, headers = frHeaders) => {
      const body = multipart([{ name, data }]);
      return env.app.inject({ method: 'POST', url: `/api/notices/${noticeId}/photos?caption=front`, headers: { ...headers, 'content-type': body.contentType }, payload: body.body });
    };

    it('hashes notice photos like any media, links what the issuer sees, and reports connections once', async () => {
      const notice = (await FR.post('/api/notices', { kind: 'yellow', body: yellowBody() })).json() as View;
      const jpeg = await syntheticJpeg(400, 300, 77);
      const up = await uploadPhoto(notice.id, 'face.jpg', jpeg);
      expect(up.statusCode, up.body).toBe(201);
      expect(up.json()).toMatchObject({ fileName: 'face.jpg', caption: 'front' });
      expect((await uploadPhoto(notice.id, 'x.jpg', jpeg, (await signIn(env, de)).headers)).statusCode).toBe(404);

      const photo = await waitFor('the photo to be hashed', async () => {
        const p = ((await FR.get(`/api/notices/${notice.id}/photos`)).json() as { photos: Photo[] }).photos[0];
        return p.mediaId !== null ? p : undefined;
      });
      expect(photo.status).toBe('done');
      const signals = await env.container.database.db.selectFrom('signal_entries').select('signal').where('media_id', '=', photo.mediaId!).execute();
      expect(signals.map((s) => s.signal).sort()).toEqual(expect.arrayContaining(['md5', 'pdq', 'sha1', 'sha256']));
      // Stored encrypted: the blob on disk is not the JPEG.
      expect(await env.container.blobStore.has(photo.sha256!)).toBe(true);

      // Links: own-agency victim yes; another agency's victim the issuer cannot see: not found.
      const ownVictim = (await FR.post('/api/people', { kind: 'victim', label: 'missing girl', sex: 'female' })).json() as { id: number };
      const foreignVictim = (await DE.post('/api/people', { kind: 'victim', label: 'girl in series B', sex: 'female' })).json() as { id: number };
      expect((await FR.post(`/api/notices/${notice.id}/links`, { kind: 'victim', targetId: ownVictim.id })).statusCode).toBe(200);
      expect((await FR.post(`/api/notices/${notice.id}/links`, { kind: 'victim', targetId: foreignVictim.id })).statusCode).toBe(404);
      expect((await FR.post(`/api/notices/${notice.id}/links`, { kind: 'offender', targetId: ownVictim.id })).statusCode).toBe(400);

      await FR.post(`/api/notices/${notice.id}/request`);
      expect((await GA.post(`/api/notices/${notice.id}/publish`)).statusCode).toBe(200);
      // Another country sees the published notice and the photo's redacted thumbnail (through the media routes).
      const seen = (await DE.get(`/api/notices/${notice.id}`)).json() as View;
      expect(seen.photos.map((p) => p.mediaId)).toEqual([photo.mediaId]);
      const thumb = await DE.get(`/api/media/${photo.mediaId}/thumbnail`);
      expect(thumb.statusCode).toBe(200);
      expect(thumb.headers['content-type']).toMatch(/^image\//);

      // A connection found by face code: recorded, audited, notified to France (not to Germany's user).
      const report = (input: Parameters<typeof env.container.notices.connections.report>[1]) =>
        env.container.database.db.transaction().execute((tx) => env.container.notices.connections.report(tx, input, { actor: systemActor('faces') }));
      const first = await report({ noticeId: notice.id, mediaId: photo.mediaId!, victimId: foreignVictim.id, kind: 'face', score: 0.93 });
      expect(first).toMatchObject({ created: true, connection: { kind: 'face', victimId: foreignVictim.id, score: 0.93, reportedBy: 'system:faces' } });
      expect(first.notified).toBeGreaterThanOrEqual(2);
      const again = await report({ noticeId: notice.id, mediaId: photo.mediaId!, victimId: foreignVictim.id, kind: 'face', score: 0.95 });
      expect(again).toMatchObject({ created: false, notified: 0, connection: { id: first.connection.id } });
      await expect(report({ noticeId: notice.id, mediaId: photo.mediaId! + 1000, victimId: foreignVictim.id, kind: 'face', score: 1 })).rejects.toThrow(/is not a photo of notice/);
      await expect(report({ noticeId: notice.id, mediaId: photo.mediaId!, victimId: foreignVictim.id, kind: 'FACE!', score: 1 })).rejects.toThrow(/invalid connection kind/);
      await expect(env.container.notices.connections.report(env.container.database.db, { noticeId: notice.id, mediaId: photo.mediaId!, victimId: foreignVictim.id, kind: 'scene', score: 1 })).rejects.toThrow(/inside the transaction/);

      for (const who of [FR, api(env, await signIn(env, frColleague))]) {
        const notes = (await who.get('/api/notifications')).json() as { notifications: Array<{ kind: string; message: string }> };
        expect(notes.notifications.filter((n) => n.kind === 'notice.connection').map((n) => n.message)).toEqual([expect.stringMatching(new RegExp(`face connection links a photo of Yellow Notice ${notice.reference} to victim ${foreignVictim.id} \\(DE\\)`))]);
      }
      expect(((await DE.get('/api/notifications')).json() as { notifications: Array<{ kind: string }> }).notifications.some((n) => n.kind === 'notice.connection')).toBe(false);
      expect(((await FR.get(`/api/notices/${notice.id}`)).json() as View).connections).toMatchObject([{ kind: 'face', victimId: foreignVictim.id }]);
      expect(((await DE.get(`/api/notices/${notice.id}`)).json() as View).connections).toBeNull();
      const audit = await env.container.database.db.selectFrom('audit_log').select(['action', 'actor_name']).where('object_type', '=', 'notice').where('object_id', '=', String(notice.id)).where('action', 'like', 'notice.%').orderBy('seq').execute();
      expect(audit.map((a) => a.action)).toEqual(['notice.create', 'notice.photo.add', 'notice.link', 'notice.request', 'notice.publish', 'notice.connection']);
      expect(audit[5].actor_name).toBe('system:faces');
    });

    it('bumps the version for every change of a published notice and keeps each version', async () => {
      const notice = (await FR.post('/api/notices', { kind: 'green', body: greenBody('Versioned') })).json() as View;
      await FR.post(`/api/notices/${notice.id}/request`);
      await GA.post(`/api/notices/${notice.id}/publish`);
      const offender = (await FR.post('/api/people', { kind: 'offender', label: 'J. Versioned', sex: 'male' })).json() as { id: number };
      expect((await FR.post(`/api/notices/${notice.id}/links`, { kind: 'offender', targetId: offender.id })).json()).toMatchObject({ version: 2 });
      expect((await FR.patch(`/api/notices/${notice.id}`, { body: greenBody('Versioned', { modusOperandi: 'v3' }) })).json()).toMatchObject({ version: 3 });
      expect((await FR.call('DELETE', `/api/notices/${notice.id}/links/offender/${offender.id}`)).json()).toMatchObject({ version: 4, links: [] });
      const versions = (await DE.get(`/api/notices/${notice.id}/versions`)).json() as { versions: Array<{ version: number }> };
      expect(versions.versions.map((v) => v.version)).toEqual([4, 3, 2, 1]);
      expect((await DE.get('/api/notices?country=fr&kind=green')).json()).toMatchObject({ notices: [{ id: notice.id, version: 4 }] });
    });
  });
}
