import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, signIn, startTestEnv, type TestEnv, type TestUser } from '../auth/support.js';
import { api } from '../cases/support.js';
import { greenBody, yellowBody } from './fixtures.js';

type View = { id: number; reference: string; status: string; version: number; countryCode: string; returnReasons: string[] | null; history: Array<{ action: string; reasons: string[] | null }>; canEdit: boolean; canReview: boolean; subjectName: string; subjectStatus: string | null; connections: unknown[] | null; body: { person: { nationalities: string[] } } };
type Page = { notices: Array<{ id: number; status: string }>; next: number | null };

/**
 * The notice lifecycle through the HTTP API across three countries: France drafts and requests, a global admin of
 * another country publishes (or returns with reasons); Germany and Spain see only published notices and cannot change
 * them; nobody publishes their own draft; cancellation is asked by the issuing country and confirmed by a global admin.
 */
describe('notices over HTTP: lifecycle and visibility across three countries', () => {
  let env: TestEnv;
  let fr: TestUser, frAdmin: TestUser, de: TestUser, es: TestUser, gaFr: TestUser, gaDe: TestUser;
  let FR: ReturnType<typeof api>, FRA: ReturnType<typeof api>, DE: ReturnType<typeof api>, ES: ReturnType<typeof api>, GAFR: ReturnType<typeof api>, GADE: ReturnType<typeof api>;

  beforeAll(async () => {
    env = await startTestEnv();
    fr = await createUser(env, { username: 'francoise', country: 'FR', agency: 'OCRVP' });
    frAdmin = await createUser(env, { username: 'bcn-fr', role: 'country_admin', country: 'FR', agency: 'BCN Paris' });
    de = await createUser(env, { username: 'dieter', country: 'DE', agency: 'BKA' });
    es = await createUser(env, { username: 'elena', country: 'ES', agency: 'Policia' });
    gaFr = await createUser(env, { username: 'global-fr', role: 'global_admin', country: 'FR', agency: 'IPSG' });
    gaDe = await createUser(env, { username: 'global-de', role: 'global_admin', country: 'DE', agency: 'IPSG DE' });
    [FR, FRA, DE, ES, GAFR, GADE] = await Promise.all([fr, frAdmin, de, es, gaFr, gaDe].map(async (u) => api(env, await signIn(env, u))));
  });
  afterAll(async () => env?.close());

  const auditActions = async (id: number) =>
    (await env.container.database.db.selectFrom('audit_log').select('action').where('object_type', '=', 'notice').where('object_id', '=', String(id)).orderBy('seq').execute()).map((r) => r.action);

  it('drafts stay with the issuing country and global admins; review, return with reasons, publish by another admin', async () => {
    const created = await FR.post('/api/notices', { kind: 'green', body: greenBody() });
    expect(created.statusCode, created.body).toBe(201);
    const draft = created.json() as View;
    expect(draft).toMatchObject({ status: 'draft', version: 1, countryCode: 'FR', subjectName: 'DOE, John', canEdit: true, canReview: false });
    expect(draft.reference).toMatch(/^GN-\d{4}-\d{6}$/);
    expect(draft.body.person.nationalities).toEqual(['FR']);

    // Visibility of the draft: FR colleagues and global admins yes; DE and ES "not found", and not listed.
    expect((await FRA.get(`/api/notices/${draft.id}`)).statusCode).toBe(200);
    expect((await GADE.get(`/api/notices/${draft.id}`)).statusCode).toBe(200);
    expect((await DE.get(`/api/notices/${draft.id}`)).statusCode).toBe(404);
    expect((await ES.get(`/api/notices/${draft.id}`)).statusCode).toBe(404);
    expect(((await ES.get('/api/notices')).json() as Page).notices).toEqual([]);
    expect((await DE.patch(`/api/notices/${draft.id}`, { body: greenBody('Other') })).statusCode).toBe(404);

    // Bad content is refused with the path of the problem.
    const bad = await FR.post('/api/notices', { kind: 'green', body: greenBody('X', { riskAssessment: { level: 'high', assessedOn: '2026-02-30' } }) });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/riskAssessment\.assessedOn: not a calendar date/);

    // Nobody publishes without review: not the drafter (no review permission), not before a request.
    expect((await FR.post(`/api/notices/${draft.id}/publish`)).statusCode).toBe(403);
    expect((await GADE.post(`/api/notices/${draft.id}/publish`)).statusCode).toBe(409);

    expect((await FR.post(`/api/notices/${draft.id}/request`)).json()).toMatchObject({ status: 'requested' });
    const locked = await FR.patch(`/api/notices/${draft.id}`, { body: greenBody('Doe') });
    expect(locked.statusCode).toBe(409);

    const returned = await GADE.post(`/api/notices/${draft.id}/return`, { reasons: ['the risk assessment is older than a year', 'add the court'] });
    expect(returned.statusCode, returned.body).toBe(200);
    expect(returned.json()).toMatchObject({ status: 'draft', returnReasons: ['the risk assessment is older than a year', 'add the court'] });
    const seen = (await FR.get(`/api/notices/${draft.id}`)).json() as View;
    expect(seen.history.map((h) => h.action)).toEqual(['notice.create', 'notice.request', 'notice.return']);
    expect(seen.history[2].reasons).toEqual(['the risk assessment is older than a year', 'add the court']);

    expect((await FR.patch(`/api/notices/${draft.id}`, { body: greenBody('Doe', { modusOperandi: 'updated' }) })).json()).toMatchObject({ status: 'draft', version: 1 });
    expect((await FRA.post(`/api/notices/${draft.id}/request`)).statusCode).toBe(200);
    const published = await GADE.post(`/api/notices/${draft.id}/publish`);
    expect(published.statusCode, published.body).toBe(200);
    expect(published.json()).toMatchObject({ status: 'published', version: 1, returnReasons: null });

    // Published: every certified user sees it; only France changes it.
    for (const who of [DE, ES]) {
      const got = await who.get(`/api/notices/${draft.id}`);
      expect(got.statusCode).toBe(200);
      expect(got.json()).toMatchObject({ canEdit: false, connections: null });
      expect(((await who.get('/api/notices?kind=green')).json() as Page).notices.map((n) => n.id)).toEqual([draft.id]);
    }
    const foreignEdit = await DE.patch(`/api/notices/${draft.id}`, { body: greenBody('Hijack') });
    expect(foreignEdit.statusCode).toBe(403);
    expect(foreignEdit.json().error.message).toMatch(/only the issuing country \(FR\)/);
    expect((await ES.post(`/api/notices/${draft.id}/cancellation`, { reason: 'no' })).statusCode).toBe(403);

    const edited = await FR.patch(`/api/notices/${draft.id}`, { body: greenBody('Doe', { modusOperandi: 'travels to the region every winter' }) });
    expect(edited.json()).toMatchObject({ status: 'published', version: 2 });
    const versions = (await ES.get(`/api/notices/${draft.id}/versions`)).json() as { versions: Array<{ version: number; body: { modusOperandi: string } }> };
    expect(versions.versions.map((v) => [v.version, v.body.modusOperandi])).toEqual([
      [2, 'travels to the region every winter'],
      [1, 'updated'],
    ]);

    const notes = (await FR.get('/api/notifications')).json() as { notifications: Array<{ kind: string; message: string }> };
    expect(notes.notifications.filter((n) => n.kind === 'notice.review').map((n) => n.message)).toEqual([
      expect.stringMatching(/was published$/),
      expect.stringMatching(/was returned: the risk assessment is older than a year; add the court$/),
    ]);
    expect(await auditActions(draft.id)).toEqual(['notice.create', 'notice.request', 'notice.return', 'notice.update', 'notice.request', 'notice.publish', 'notice.update']);
  });

  it('refuses a global admin publishing a notice they drafted or requested; another admin publishes it', async () => {
    const own = (await GAFR.post('/api/notices', { kind: 'yellow', body: yellowBody() })).json() as View;
    expect((await GAFR.post(`/api/notices/${own.id}/request`)).statusCode).toBe(200);
    const refused = await GAFR.post(`/api/notices/${own.id}/publish`);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.message).toMatch(/cannot publish a notice you drafted or requested/);
    expect((await GADE.post(`/api/notices/${own.id}/publish`)).json()).toMatchObject({ status: 'published', subjectStatus: 'missing' });

    // A country's request, made by someone else, is still refused to the admin who drafted it.
    const drafted = (await GAFR.post('/api/notices', { kind: 'yellow', body: yellowBody('Poe') })).json() as View;
    expect((await FR.post(`/api/notices/${drafted.id}/request`)).statusCode).toBe(200);
    expect((await GAFR.post(`/api/notices/${drafted.id}/publish`)).statusCode).toBe(403);
  });

  it('cancellation: asked by the issuing country, confirmed by a global admin other than the asker; drafts are withdrawn', async () => {
    const n = (await FR.post('/api/notices', { kind: 'yellow', body: yellowBody('Lost') })).json() as View;
    await FR.post(`/api/notices/${n.id}/request`);
    await GADE.post(`/api/notices/${n.id}/publish`);
    expect((await FR.patch(`/api/notices/${n.id}`, { subjectStatus: 'located' })).json()).toMatchObject({ subjectStatus: 'located', version: 2 });
    expect((await DE.post(`/api/notices/${n.id}/cancellation`, { reason: 'found' })).statusCode).toBe(403);
    expect((await FR.post(`/api/notices/${n.id}/cancellation`, { reason: 'the child was found safe' })).json()).toMatchObject({ status: 'cancellation_requested' });
    expect((await GADE.post(`/api/notices/${n.id}/cancellation/decline`, { reasons: ['confirm the identification first'] })).json()).toMatchObject({ status: 'published' });
    expect((await GAFR.post(`/api/notices/${n.id}/cancellation`, { reason: 'identification confirmed' })).json()).toMatchObject({ status: 'cancellation_requested' });
    expect((await GAFR.post(`/api/notices/${n.id}/cancellation/confirm`)).statusCode).toBe(403);
    const done = await GADE.post(`/api/notices/${n.id}/cancellation/confirm`);
    expect(done.json()).toMatchObject({ status: 'cancelled', subjectStatus: 'cancelled' });
    expect((await FR.patch(`/api/notices/${n.id}`, { subjectStatus: 'missing' })).statusCode).toBe(409);
    // A cancelled notice stays readable to all (so a located child is known as located), marked cancelled.
    expect(((await ES.get(`/api/notices/${n.id}`)).json() as View).status).toBe('cancelled');

    const d = (await FR.post('/api/notices', { kind: 'green', body: greenBody('Withdrawn') })).json() as View;
    expect((await FR.post(`/api/notices/${d.id}/cancellation`, { reason: 'duplicate' })).json()).toMatchObject({ status: 'cancelled' });
    expect((await DE.get(`/api/notices/${d.id}`)).statusCode).toBe(200);
    expect(await auditActions(n.id)).toEqual(['notice.create', 'notice.request', 'notice.publish', 'notice.update', 'notice.cancel.request', 'notice.cancel.decline', 'notice.cancel.request', 'notice.cancel']);
  });

  it('lists with filters and keyset pages', async () => {
    const page1 = (await GADE.get('/api/notices?limit=2')).json() as Page;
    expect(page1.notices).toHaveLength(2);
    expect(page1.next).toBe(page1.notices[1].id);
    const page2 = (await GADE.get(`/api/notices?limit=2&before=${page1.next}`)).json() as Page;
    expect(page2.notices.every((n) => n.id < page1.next!)).toBe(true);
    const all = (await GADE.get('/api/notices?limit=200')).json() as Page;
    expect(all.next).toBeNull();
    const found = (await DE.get('/api/notices?q=lost')).json() as Page;
    expect(found.notices).toHaveLength(1);
    expect((await DE.get('/api/notices?status=draft')).json()).toEqual({ notices: [], next: null });
  });
});
