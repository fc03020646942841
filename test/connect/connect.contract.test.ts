import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VISION_JOB, visionJob } from '../../src/connect/vision-job.js';
import type { ClaimedJob } from '../../src/jobs/job-queue.js';
import { createUser, signIn, startTestEnv, type TestEnv, type TestUser } from '../auth/support.js';
import { api, mediaAt, multipart, uploadSeizure, waitFor } from '../cases/support.js';
import { databaseAdapters } from '../support/databases.js';
import { cropped, faceSample, syntheticScene } from './support.js';
import { yellowBody } from '../notices/fixtures.js';

type Face = { id: number; mediaId: number; box: { x: number; y: number; width: number; height: number }; victim: { id: number; label: string } | null; distance?: number };

/**
 * Faces, scenes and connections through the HTTP API on SQLite and PostgreSQL: ingest runs the vision job after the
 * signals, "find this person" ranks faces across everything stored, victim links are audited and shown only to
 * those who see the victim, scene candidates are confirmed by ORB + RANSAC with point pairs, and the merged
 * connections view follows the access rules of series and investigations.
 */
for (const adapter of databaseAdapters()) {
  describe.skipIf(adapter.skip !== undefined)(`connect on ${adapter.name}`, () => {
    let env: TestEnv;
    let lea: TestUser, finn: TestUser, newbie: TestUser;
    let L: ReturnType<typeof api>, F: ReturnType<typeof api>, N: ReturnType<typeof api>;
    const media: Record<string, number> = {};

    beforeAll(async () => {
      env = await startTestEnv({ adapter, role: 'all', env: { ARIADNE_JOB_POLL_MS: '20' } });
      env.container.start();
      lea = await createUser(env, { username: 'lea', country: 'FR', agency: 'OCRVP' });
      finn = await createUser(env, { username: 'finn', country: 'FI', agency: 'KRP' });
      newbie = await createUser(env, { username: 'newbie', country: 'FR', agency: 'OCRVP', certified: false });
      const session = await signIn(env, lea);
      [L, F, N] = [api(env, session), api(env, await signIn(env, finn)), api(env, await signIn(env, newbie))];
      const photo = faceSample(1);
      const room = await syntheticScene(1);
      const files = [
        { name: 'people.jpg', data: photo },
        { name: 'people-small.jpg', data: await sharp(photo).resize(1100).jpeg({ quality: 72 }).toBuffer() },
        { name: 'room.jpg', data: room },
        { name: 'room-crop.jpg', data: await cropped(room, 0.08, 0.8) },
        { name: 'elsewhere.jpg', data: await syntheticScene(2) },
      ];
      const submission = await uploadSeizure(env, session, 'FR-CONNECT-1', files);
      for (const f of files) media[f.name] = await mediaAt(env, submission, f.name);
      const db = env.container.database.db;
      // Faces and scenes arrive after triage, on the connect module's own runner.
      await waitFor('vision jobs', async () => ((await db.selectFrom('vision_runs').select('media_id').execute()).length === files.length * 2 ? true : undefined), 180_000);
    }, 240_000);

    afterAll(async () => env?.close());

    it('stores the faces of each item with boxes and finds the same person in another item, ranked by distance', async () => {
      const faces = (await L.get(`/api/media/${media['people.jpg']}/faces`)).json() as { analysed: boolean; faces: Face[] };
      expect(faces.analysed).toBe(true);
      expect(faces.faces.length).toBeGreaterThanOrEqual(2);
      expect((await L.get(`/api/media/${media['room.jpg']}/faces`)).json()).toMatchObject({ analysed: true, faces: [] });
      for (const face of faces.faces) {
        const found = (await L.post('/api/faces/search', { faceId: face.id, limit: 5 })).json() as { candidates: Face[] };
        expect(found.candidates.map((c) => c.id)).not.toContain(face.id);
        expect(found.candidates[0]).toMatchObject({ mediaId: media['people-small.jpg'] });
        expect(found.candidates[0].distance).toBeLessThan(0.4);
        const distances = found.candidates.map((c) => c.distance!);
        expect(distances).toEqual([...distances].sort((a, b) => a - b));
      }
      expect((await L.post('/api/faces/search', { faceId: 999_999 })).statusCode).toBe(404);
      expect((await L.post('/api/faces/search', {})).statusCode).toBe(400);
      expect((await L.post('/api/faces/search', { descriptor: [1, 2, 3] })).statusCode).toBe(400);
      // Material is matching material for every certified investigator, and for nobody else.
      expect((await F.post('/api/faces/search', { faceId: faces.faces[0].id })).statusCode).toBe(200);
      expect((await N.post('/api/faces/search', { faceId: faces.faces[0].id })).statusCode).toBe(403);
    });

    it('finds the person from an uploaded photo without storing it', async () => {
      const before = await env.container.database.db.selectFrom('media_items').select('id').execute();
      const upload = multipart([{ name: 'query.jpg', data: await sharp(faceSample(1)).resize(900).jpeg({ quality: 80 }).toBuffer() }]);
      const res = await env.app.inject({ method: 'POST', url: '/api/faces/search/photo?limit=3', headers: { ...(await signIn(env, lea)).headers, 'content-type': upload.contentType }, payload: upload.body });
      expect(res.statusCode).toBe(200);
      const body = res.json() as { width: number; faces: Array<{ candidates: Face[] }> };
      expect(body.width).toBe(900);
      expect(body.faces.length).toBeGreaterThanOrEqual(2);
      for (const f of body.faces) expect([media['people.jpg'], media['people-small.jpg']]).toContain(f.candidates[0].mediaId);
      expect(await env.container.database.db.selectFrom('media_items').select('id').execute()).toHaveLength(before.length);
    });

    it('links a face to a victim (audited) and shows the victim only to those who see the record', async () => {
      const victim = (await L.post('/api/people', { kind: 'victim', label: 'Child A' })).json() as { id: number };
      const offender = (await L.post('/api/people', { kind: 'offender', label: 'Suspect' })).json() as { id: number };
      const [face] = ((await L.get(`/api/media/${media['people.jpg']}/faces`)).json() as { faces: Face[] }).faces;
      expect((await L.put(`/api/faces/${face.id}/victim`, { personId: offender.id })).statusCode).toBe(400);
      expect((await F.put(`/api/faces/${face.id}/victim`, { personId: victim.id })).statusCode).toBe(404);
      const linked = await L.put(`/api/faces/${face.id}/victim`, { personId: victim.id });
      expect(linked.json()).toMatchObject({ id: face.id, victim: { id: victim.id, label: 'Child A' } });
      const audit = await env.container.database.db.selectFrom('audit_log').select(['action', 'object_id']).where('action', '=', 'face.link').execute();
      expect(audit).toEqual([{ action: 'face.link', object_id: String(face.id) }]);

      const other = ((await L.post('/api/faces/search', { faceId: face.id, limit: 1 })).json() as { candidates: Face[] }).candidates[0];
      const back = (await L.post('/api/faces/search', { faceId: other.id, limit: 3 })).json() as { candidates: Face[] };
      expect(back.candidates.find((c) => c.id === face.id)?.victim).toMatchObject({ id: victim.id });
      const foreign = (await F.post('/api/faces/search', { faceId: other.id, limit: 3 })).json() as { candidates: Face[] };
      expect(foreign.candidates.find((c) => c.id === face.id)?.victim).toBeNull();

      // The lookup Yellow Notices use: victims whose linked faces are near a descriptor.
      const vectors = await env.container.connect.ready();
      const candidates = await env.container.connect.faces.victimCandidates(env.container.database.db, [vectors.index('face').get(other.id)!]);
      expect(candidates).toMatchObject([{ personId: victim.id, faceId: face.id, mediaId: media['people.jpg'] }]);

      expect((await F.del(`/api/faces/${face.id}/victim`)).statusCode).toBe(404);
      expect((await L.del(`/api/faces/${face.id}/victim`)).json()).toMatchObject({ victim: null });
      expect((await L.del(`/api/faces/${face.id}/victim`)).statusCode).toBe(404);
    });

    it('shortlists the same place by the scene descriptor and confirms it by ORB + RANSAC with point pairs', async () => {
      const similar = (await L.get(`/api/media/${media['room-crop.jpg']}/scenes`)).json() as { analysed: boolean; candidates: Array<{ mediaId: number; distance: number | null; confirmed: boolean }> };
      expect(similar.analysed).toBe(true);
      expect(similar.candidates[0]).toMatchObject({ mediaId: media['room.jpg'], confirmed: false });
      const confirm = await L.post('/api/scenes/confirm', { mediaId: media['room-crop.jpg'], otherId: media['room.jpg'] });
      expect(confirm.statusCode).toBe(200);
      const c = confirm.json() as { a: { mediaId: number; width: number }; b: { width: number }; inliers: number; confirmed: boolean; pairs: Array<{ a: [number, number]; b: [number, number] }> };
      expect(c).toMatchObject({ a: { mediaId: media['room-crop.jpg'], width: Math.round(800 * 0.84 * 0.8) }, b: { width: 800 }, confirmed: true });
      expect(c.pairs).toHaveLength(c.inliers);
      // Crop coordinates map back into the room: x_room = x_crop / 0.8 + 64.
      for (const p of c.pairs) expect(Math.abs(p.a[0] / 0.8 + 64 - p.b[0])).toBeLessThan(8);
      const no = (await L.post('/api/scenes/confirm', { mediaId: media['room.jpg'], otherId: media['elsewhere.jpg'] })).json() as { confirmed: boolean };
      expect(no.confirmed).toBe(false);
      // Stored once per pair, seen from either side.
      const fromRoom = (await L.get(`/api/media/${media['room.jpg']}/scenes`)).json() as { candidates: Array<{ mediaId: number; inliers: number | null; confirmed: boolean }> };
      expect(fromRoom.candidates.find((x) => x.mediaId === media['room-crop.jpg'])).toMatchObject({ inliers: c.inliers, confirmed: true });
      expect((await L.post('/api/scenes/confirm', { mediaId: media['room.jpg'], otherId: media['room.jpg'] })).statusCode).toBe(400);
      expect((await N.post('/api/scenes/confirm', { mediaId: media['room.jpg'], otherId: media['room-crop.jpg'] })).statusCode).toBe(403);
    });

    it('merges metadata, face and scene connections per item, series and investigation, within the access rules', async () => {
      const item = (await L.get(`/api/connections/media/${media['people.jpg']}`)).json() as { metadata: Record<string, unknown[]>; faces: Array<{ face: Face; matches: Face[] }>; scenes: unknown[] };
      expect(Object.keys(item.metadata).sort()).toEqual(['nearby', 'sameCamera', 'sameModelNearTime']);
      expect(item.faces.length).toBeGreaterThanOrEqual(2);
      for (const f of item.faces) expect(f.matches[0].mediaId).toBe(media['people-small.jpg']);
      const room = (await L.get(`/api/connections/media/${media['room.jpg']}`)).json() as { scenes: Array<{ mediaId: number; confirmed: boolean }> };
      expect(room.scenes.find((s) => s.confirmed)?.mediaId).toBe(media['room-crop.jpg']);
      expect((await L.get('/api/connections/media/999999')).statusCode).toBe(404);

      const series = (await L.post('/api/series', { name: 'Rooms', mediaIds: [media['room.jpg'], media['people.jpg']] })).json() as { id: number };
      const bySeries = (await L.get(`/api/connections/series/${series.id}`)).json() as { items: Array<{ mediaId: number }>; truncated: boolean };
      expect(bySeries.items.map((i) => i.mediaId).sort()).toEqual([media['room.jpg'], media['people.jpg']].sort());
      expect((await F.get(`/api/connections/series/${series.id}`)).statusCode).toBe(404);

      const inv = (await L.post('/api/investigations', { title: 'Faces' })).json() as { id: number };
      await L.post(`/api/investigations/${inv.id}/links`, { kind: 'media', targetId: media['people-small.jpg'] });
      const byInv = (await L.get(`/api/connections/investigations/${inv.id}`)).json() as { items: Array<{ mediaId: number; faces: unknown[] }> };
      expect(byInv.items).toHaveLength(1);
      expect(byInv.items[0].mediaId).toBe(media['people-small.jpg']);
      expect((await F.get(`/api/connections/investigations/${inv.id}`)).statusCode).toBe(404);
    });

    it('compares a published Yellow Notice\'s photo with victims\' faces and reports the candidate to its country', async () => {
      const victim = (await L.post('/api/people', { kind: 'victim', label: 'Child B' })).json() as { id: number };
      const [face] = ((await L.get(`/api/media/${media['people.jpg']}/faces`)).json() as { faces: Face[] }).faces;
      expect((await L.put(`/api/faces/${face.id}/victim`, { personId: victim.id })).statusCode).toBe(200);
      const notice = (await L.post('/api/notices', { kind: 'yellow', body: yellowBody() })).json() as { id: number };
      const upload = multipart([{ name: 'missing.jpg', data: await sharp(faceSample(1)).resize(1000).jpeg({ quality: 85 }).toBuffer() }]);
      const added = await env.app.inject({ method: 'POST', url: `/api/notices/${notice.id}/photos`, headers: { ...(await signIn(env, lea)).headers, 'content-type': upload.contentType }, payload: upload.body });
      expect(added.statusCode, added.body).toBe(201);
      expect((await L.post(`/api/notices/${notice.id}/request`)).statusCode).toBe(200);
      const admin = await createUser(env, { username: 'global-de', role: 'global_admin', country: 'DE', agency: 'IPSG DE' });
      expect((await api(env, await signIn(env, admin)).post(`/api/notices/${notice.id}/publish`)).statusCode).toBe(200);
      const db = env.container.database.db;
      const found = await waitFor(
        'the notice connection',
        async () => (await db.selectFrom('notice_connections').selectAll().where('notice_id', '=', notice.id).where('victim_id', '=', victim.id).execute())[0],
        180_000,
      );
      expect(found).toMatchObject({ kind: 'face', matched_media_id: media['people.jpg'] });
      expect(Number(found.score)).toBeGreaterThan(0.4);
      const told = await db.selectFrom('notifications').select(['user_id', 'kind']).where('kind', '=', 'notice.connection').execute();
      expect(told.map((n) => Number(n.user_id))).toContain(lea.id);
    }, 240_000);

    it('runs the vision job idempotently: a second run writes nothing', async () => {
      const c = env.container;
      const job = { id: 1, kind: VISION_JOB, payload: { mediaId: media['room.jpg'] }, status: 'running', attempts: 2, maxAttempts: 5, runAt: 0, lastError: null, result: null, createdAt: 0, finishedAt: null, lockedBy: 'test' } as ClaimedJob;
      const outcome = await visionJob({ db: c.database.db, blobs: c.blobStore, store: c.connect.store, pool: () => c.connect.pool() })(job);
      expect(outcome).toMatchObject({ status: 'done', result: { already: true } });
      const queued = await c.queue.enqueue(VISION_JOB, { mediaId: media['room.jpg'] }, { dedupeKey: `${VISION_JOB}:${media['room.jpg']}` });
      expect(queued.created).toBe(false);
    });
  });
}
