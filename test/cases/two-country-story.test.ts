import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticJpeg } from '../../bench/hash-corpus.js';
import type { SubmissionReport } from '../../src/ingest/report-service.js';
import { createUser, signIn, startTestEnv, type TestEnv, type TestSession, type TestUser } from '../auth/support.js';
import { api, mediaAt, uploadSeizure, waitFor } from './support.js';

type Notification = { id: number; kind: string; message: string; details: Record<string, unknown> | null };

/**
 * The two-country story through the HTTP API: France (A) uploads, opens an investigation and a series; Germany's (B)
 * upload matches; B is notified, comments, consults A; A identifies the victim; B sees the status change. The
 * Netherlands (C) sees none of the investigation.
 */
describe('investigations online: a two-country story', () => {
  let env: TestEnv;
  let ana: TestUser, anton: TestUser, bernd: TestUser, carla: TestUser;
  let A: ReturnType<typeof api>, A2: ReturnType<typeof api>, B: ReturnType<typeof api>, C: ReturnType<typeof api>;
  let images: Buffer[];

  beforeAll(async () => {
    env = await startTestEnv({ role: 'all', env: { ARIADNE_JOB_POLL_MS: '20' } });
    env.container.start();
    ana = await createUser(env, { username: 'ana', country: 'FR', agency: 'OCRVP' });
    anton = await createUser(env, { username: 'anton', country: 'FR', agency: 'OCRVP' });
    bernd = await createUser(env, { username: 'bernd', country: 'DE', agency: 'BKA' });
    carla = await createUser(env, { username: 'carla', country: 'NL', agency: 'Politie' });
    const sessions: TestSession[] = [];
    for (const u of [ana, anton, bernd, carla]) sessions.push(await signIn(env, u));
    [A, A2, B, C] = sessions.map((s) => api(env, s));
    images = await Promise.all([0, 1, 2].map((i) => syntheticJpeg(420 + i * 24, 310, 5000 + i)));
  });

  afterAll(async () => env?.close());

  const notificationsOf = async (who: ReturnType<typeof api>) => ((await who.get('/api/notifications')).json() as { notifications: Notification[]; unread: number });

  it('plays the story, and a third country sees none of it', async () => {
    // --- A: upload, investigation, series, victim -------------------------------------------------------------
    const subA = await uploadSeizure(env, await signIn(env, ana), 'FR-2026-001', [
      { name: 'a/one.jpg', data: images[0] },
      { name: 'a/two.jpg', data: images[1] },
    ]);
    const itemOne = await mediaAt(env, subA, 'a/one.jpg');
    const inv = await A.post('/api/investigations', { title: 'Operation Blue Lagoon', reference: 'FR-OBL', tags: ['Lagoon', 'holiday-house'] });
    expect(inv.statusCode, inv.body).toBe(201);
    const invA = inv.json() as { id: number; myRole: string; members: Array<{ username: string; role: string }> };
    expect(invA).toMatchObject({ myRole: 'lead', members: [{ username: 'ana', role: 'lead' }] });
    expect((await A.post(`/api/investigations/${invA.id}/links`, { kind: 'submission', targetId: subA })).statusCode).toBe(200);
    expect((await A.put(`/api/investigations/${invA.id}/members/${anton.id}`, { role: 'member' })).statusCode).toBe(200);

    const series = await A.post('/api/series', { name: 'Series Blue', description: 'bedroom with blue curtains', mediaIds: [itemOne] });
    expect(series.statusCode, series.body).toBe(201);
    const seriesId = (series.json() as { id: number }).id;
    expect((await A.post(`/api/investigations/${invA.id}/links`, { kind: 'series', targetId: seriesId })).statusCode).toBe(200);
    const victim = await A.post('/api/people', { kind: 'victim', label: 'Girl in blue room', ageMin: 8, ageMax: 11, sex: 'female' });
    expect(victim.statusCode, victim.body).toBe(201);
    const victimId = (victim.json() as { id: number }).id;
    expect((await A.post(`/api/people/${victimId}/links`, { type: 'series', id: seriesId })).statusCode).toBe(200);

    // --- B: an upload that matches A's series (a re-compressed copy) ---------------------------------------------
    const copy = await sharp(images[0]).jpeg({ quality: 55 }).toBuffer();
    const subB = await uploadSeizure(env, await signIn(env, bernd), 'DE-77', [
      { name: 'phone/IMG_0001.jpg', data: copy },
      { name: 'phone/IMG_0002.jpg', data: images[2] },
    ]);
    const itemCopy = await mediaAt(env, subB, 'phone/IMG_0001.jpg');

    const report = (await B.get(`/api/submissions/${subB}/report`)).json() as SubmissionReport;
    const known = report.items.find((i) => i.mediaId === itemCopy)!;
    expect(known.status).toBe('known');
    expect(known.hits[0]).toMatchObject({ source: 'media', series: [{ id: seriesId, name: 'Series Blue', identificationStatus: 'unidentified' }], victimStatus: 'unidentified' });
    expect(report.items.find((i) => i.paths.includes('phone/IMG_0002.jpg'))?.status).toBe('new');

    // B is told its submission matches a series; A's agency is told its series was matched from Germany.
    const bNote = await waitFor('B notified', async () => (await notificationsOf(B)).notifications.find((n) => n.kind === 'submission.matched'));
    expect(bNote.message).toMatch(/Series Blue/);
    expect(bNote.details).toMatchObject({ seriesId, submissionId: subB });
    for (const who of [A, A2]) {
      const n = await waitFor('A notified', async () => (await notificationsOf(who)).notifications.find((x) => x.kind === 'series.matched'));
      expect(n.message).toBe('Your series "Series Blue" was matched in a new submission from DE');
    }
    expect((await notificationsOf(C)).notifications).toEqual([]);

    // B sees the series' summary (name, status) but not its details, and nothing of A's investigation.
    const seenByB = (await B.get(`/api/series/${seriesId}`)).json() as { identificationStatus: string; detail: unknown; countries: string[] };
    expect(seenByB).toMatchObject({ identificationStatus: 'unidentified', detail: null, countries: ['DE', 'FR'] });
    expect((await B.get(`/api/investigations/${invA.id}`)).statusCode).toBe(404);
    expect((await B.get(`/api/people/${victimId}`)).statusCode).toBe(404);

    // --- B: own investigation, a consultation to A, a comment mentioning her --------------------------------------
    const invB = (await B.post('/api/investigations', { title: 'Fall Lagune', reference: 'DE-77' })).json() as { id: number };
    expect((await B.post(`/api/investigations/${invB.id}/links`, { kind: 'media', targetId: itemCopy })).statusCode).toBe(200);
    expect((await A.get(`/api/investigations/${invB.id}`)).statusCode).toBe(404);
    const asked = await B.post('/api/consultations', { investigationId: invB.id, mediaId: itemCopy, to: { userId: ana.id }, question: 'Is this your Series Blue victim? We seized it in Hamburg.' });
    expect(asked.statusCode, asked.body).toBe(201);
    const consultationId = (asked.json() as { id: number }).id;
    expect((await notificationsOf(A)).notifications.some((n) => n.kind === 'consultation' && n.details?.consultationId === consultationId)).toBe(true);
    // What was shared with the question: A now reads B's investigation.
    expect((await A.get(`/api/investigations/${invB.id}`)).json()).toMatchObject({ title: 'Fall Lagune', myRole: null });

    const comment = await B.post('/api/comments', { investigationId: invB.id, targetType: 'media', targetId: itemCopy, body: '@ana same curtains as in your series; @carla fyi' });
    expect(comment.statusCode, comment.body).toBe(201);
    // Carla cannot see the investigation, so her mention is dropped and she is told nothing.
    expect(comment.json()).toMatchObject({ mentions: ['ana'], author: 'bernd' });
    expect((await notificationsOf(A)).notifications.some((n) => n.kind === 'mention')).toBe(true);
    expect((await notificationsOf(C)).notifications).toEqual([]);
    const reply = await A.post('/api/comments', { investigationId: invB.id, targetType: 'media', targetId: itemCopy, parentId: (comment.json() as { id: number }).id, body: 'Yes, it is ours.' });
    expect(reply.statusCode, reply.body).toBe(201);

    const answered = await A.post(`/api/consultations/${consultationId}/answer`, { answer: 'Yes: Series Blue. We are close to identifying her.' });
    expect(answered.statusCode, answered.body).toBe(200);
    const answer = answered.json() as { status: string; responseTimeMs: number; mine: string };
    expect(answer).toMatchObject({ status: 'answered', mine: 'asked' });
    expect(answer.responseTimeMs).toBeGreaterThanOrEqual(0);
    expect((await B.get(`/api/consultations/${consultationId}`)).json()).toMatchObject({ status: 'answered', mine: 'asker', answer: expect.stringMatching(/Series Blue/) });
    expect((await notificationsOf(B)).notifications.some((n) => n.kind === 'consultation.answer')).toBe(true);

    // --- A identifies the victim; B sees the status change --------------------------------------------------------
    const identified = await A.patch(`/api/people/${victimId}`, { status: 'identified' });
    expect(identified.statusCode, identified.body).toBe(200);
    expect((await B.get(`/api/series/${seriesId}`)).json()).toMatchObject({ identificationStatus: 'identified' });
    const after = (await B.get(`/api/submissions/${subB}/report`)).json() as SubmissionReport;
    expect(after.items.find((i) => i.mediaId === itemCopy)?.hits[0]).toMatchObject({ victimStatus: 'identified' });
    // Only the owning agency changes the series.
    expect((await B.patch(`/api/series/${seriesId}`, { identificationStatus: 'safeguarded' })).statusCode).toBe(403);

    // --- C (the Netherlands) sees none of either investigation ---------------------------------------------------
    for (const url of [`/api/investigations/${invA.id}`, `/api/investigations/${invB.id}`, `/api/comments?investigationId=${invB.id}`, `/api/consultations/${consultationId}`, `/api/people/${victimId}`, `/api/investigations/${invB.id}/connections`]) {
      expect((await C.get(url)).statusCode, url).toBe(404);
    }
    expect((await C.post('/api/comments', { investigationId: invA.id, targetType: 'investigation', body: 'hello' })).statusCode).toBe(404);
    expect((await C.get('/api/investigations')).json()).toEqual({ investigations: [] });
    for (const kind of ['investigations', 'comments']) expect((await C.get(`/api/search?kind=${kind}&q=lagune`)).json()).toMatchObject({ hits: [] });
    expect((await C.get('/api/search?kind=comments&q=curtains')).json()).toMatchObject({ hits: [] });
    expect((await B.get('/api/search?kind=comments&q=curtains')).json()).toMatchObject({ hits: [{ kind: 'comments', investigationId: invB.id }] });
    expect((await A.get('/api/search?kind=investigations&q=lagoon')).json()).toMatchObject({ hits: [{ id: invA.id }] });

    // Closing the consultation ends A's access to B's investigation.
    expect((await B.post(`/api/consultations/${consultationId}/close`)).statusCode).toBe(200);
    expect((await A.get(`/api/investigations/${invB.id}`)).statusCode).toBe(404);

    // Every change is in the audit trail.
    const actions = new Set((await env.container.database.db.selectFrom('audit_log').select('action').execute()).map((r) => r.action));
    for (const a of ['investigation.create', 'investigation.link', 'investigation.member.set', 'series.create', 'series.media.add', 'person.create', 'person.link', 'person.update', 'series.update', 'comment.create', 'consultation.create', 'consultation.answer', 'consultation.close']) {
      expect(actions.has(a), a).toBe(true);
    }
  });
});
