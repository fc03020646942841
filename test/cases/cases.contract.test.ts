import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserActor } from '../../src/auth/actor.js';
import { ForbiddenError } from '../../src/core/errors.js';
import { asOperator, createUser, signIn, startTestEnv, type TestEnv, type TestUser } from '../auth/support.js';
import { databaseAdapters } from '../support/databases.js';
import { api } from './support.js';

/** The SQL-heavy rules of cases/ on SQLite and PostgreSQL, through the HTTP API. */
for (const adapter of databaseAdapters()) {
  describe.skipIf(adapter.skip !== undefined)(`cases on ${adapter.name}`, () => {
    let env: TestEnv;
    let lead: TestUser, colleague: TestUser, sameCountry: TestUser, foreign: TestUser;
    let L: ReturnType<typeof api>, M: ReturnType<typeof api>, S: ReturnType<typeof api>, F: ReturnType<typeof api>;
    const media: number[] = [];

    beforeAll(async () => {
      env = await startTestEnv({ adapter, env: { ARIADNE_CATEGORY_QUORUM: '2' } });
      lead = await createUser(env, { username: 'lea', country: 'FR', agency: 'OCRVP' });
      colleague = await createUser(env, { username: 'marc', country: 'FR', agency: 'OCRVP' });
      sameCountry = await createUser(env, { username: 'sofia', country: 'FR', agency: 'Gendarmerie' });
      foreign = await createUser(env, { username: 'finn', country: 'FI', agency: 'KRP' });
      [L, M, S, F] = await Promise.all([lead, colleague, sameCountry, foreign].map(async (u) => api(env, await signIn(env, u))));
      // Media rows with camera facts (what ingest stores), for connections and search.
      const db = env.container.database.db;
      const rows = [
        { camera_make: 'Canon', camera_model: 'EOS 5D', camera_serial: 'SN-1', taken_at: '2024-05-01T10:00:00+02:00', gps_lat: 48.8566, gps_lon: 2.3522, first_country: 'FR' },
        { camera_make: 'Canon', camera_model: 'EOS 5D', camera_serial: 'SN-1', taken_at: '2024-06-01T10:00:00+02:00', gps_lat: null, gps_lon: null, first_country: 'DE' },
        { camera_make: 'Canon', camera_model: 'EOS 5D', camera_serial: 'SN-2', taken_at: '2024-05-01T10:40:00+02:00', gps_lat: 48.8600, gps_lon: 2.3500, first_country: 'FR' },
        { camera_make: 'Canon', camera_model: 'EOS 5D', camera_serial: 'SN-3', taken_at: '2024-05-01T13:00:00+02:00', gps_lat: 49.2, gps_lon: 2.6, first_country: 'FR' },
      ];
      for (const [i, r] of rows.entries()) {
        const hex = (n: number) => n.toString(16).padStart(2, '0').repeat(32);
        const row = await db
          .insertInto('media_items')
          .values({ sha256: hex(i + 1), sha1: hex(i + 1).slice(0, 40), md5: hex(i + 1).slice(0, 32), size: 1, mime: 'image/jpeg', kind: 'image', width: 1, height: 1, created_at: 1000 + i, first_seen_at: 1000 + i, ...r })
          .returning('id')
          .executeTakeFirstOrThrow();
        media.push(Number(row.id));
      }
    });

    afterAll(async () => env?.close());

    it('shows an investigation to members, shared agencies and countries only, and audits membership and sharing', async () => {
      const inv = (await L.post('/api/investigations', { title: 'Rivers', tags: ['river'] })).json() as { id: number };
      for (const who of [M, S, F]) expect((await who.get(`/api/investigations/${inv.id}`)).statusCode).toBe(404);
      expect((await L.put(`/api/investigations/${inv.id}/members/${colleague.id}`, { role: 'viewer' })).statusCode).toBe(200);
      expect((await M.get(`/api/investigations/${inv.id}`)).json()).toMatchObject({ myRole: 'viewer' });
      // A viewer reads and comments but does not change the investigation or its members.
      expect((await M.post(`/api/investigations/${inv.id}/links`, { kind: 'tag', label: 'x' })).statusCode).toBe(403);
      expect((await M.put(`/api/investigations/${inv.id}/members/${colleague.id}`, { role: 'lead' })).statusCode).toBe(403);
      expect((await M.post('/api/comments', { investigationId: inv.id, targetType: 'investigation', body: 'seen' })).statusCode).toBe(201);

      const shared = (await L.post(`/api/investigations/${inv.id}/shares`, { countryCode: 'fr' })).json() as { shares: Array<{ id: number; countryCode: string }> };
      expect(shared.shares).toMatchObject([{ countryCode: 'FR' }]);
      expect((await S.get(`/api/investigations/${inv.id}`)).json()).toMatchObject({ myRole: null });
      expect((await S.get('/api/search?kind=investigations&q=river')).json()).toMatchObject({ hits: [{ id: inv.id }] });
      expect((await F.get(`/api/investigations/${inv.id}`)).statusCode).toBe(404);
      expect((await L.post(`/api/investigations/${inv.id}/shares`, { countryCode: 'FR' })).statusCode).toBe(409);
      expect((await L.del(`/api/investigations/${inv.id}/shares/${shared.shares[0].id}`)).statusCode).toBe(200);
      expect((await S.get(`/api/investigations/${inv.id}`)).statusCode).toBe(404);
      expect((await S.get('/api/search?kind=investigations&q=river')).json()).toMatchObject({ hits: [] });
      // The last lead cannot leave.
      expect((await L.del(`/api/investigations/${inv.id}/members/${lead.id}`)).statusCode).toBe(409);

      const audit = await env.container.database.db.selectFrom('audit_log').select(['action', 'details']).where('object_type', '=', 'investigation').where('object_id', '=', String(inv.id)).orderBy('seq').execute();
      expect(audit.map((a) => a.action)).toEqual(['investigation.create', 'investigation.link', 'investigation.member.set', 'investigation.share', 'investigation.unshare']);
    });

    it("keeps a national unit's category assigned on import until investigators' votes settle one; operator only", async () => {
      const item = media[3];
      const db = env.container.database.db;
      const agency = await db.selectFrom('agencies').select('id').where('name', '=', 'OCRVP').executeTakeFirstOrThrow();
      const { categorisation, series } = env.container.cases;
      const assign = await asOperator(env, async (ctx) => {
        const submission = await ctx.tx.insertInto('submissions').values({ user_id: null, agency_id: Number(agency.id), country_code: 'FR', actor_name: 'system:cli:test', reference: '', device: '', notes: '', status: 'complete', created_at: ctx.now, sealed_at: ctx.now, completed_at: ctx.now }).returning('id').executeTakeFirstOrThrow();
        const input = { category: 2, baseline: false, agencyId: Number(agency.id), submissionId: Number(submission.id) };
        const asUser = { ...ctx, actor: { kind: 'user', userId: 1, username: 'lea', role: 'investigator', countryCode: 'FR', agencyId: Number(agency.id), certifiedUntil: ctx.now + 86_400_000, credential: { kind: 'session', sessionId: 's', restricted: false } } satisfies UserActor };
        await expect(categorisation.assignOnImport(asUser, [item], input)).rejects.toBeInstanceOf(ForbiddenError);
        await expect(series.ensureForAgencyAsOperator(asUser, { name: 'x', agencyName: 'OCRVP', countryCode: 'FR' })).rejects.toBeInstanceOf(ForbiddenError);
        return categorisation.assignOnImport(ctx, [item], input);
      });
      expect(assign).toBe(1);
      type State = { category: number | null; baseline: boolean | null; assignments: Array<{ agencyName: string; actor: string; category: number }>; history: unknown[] };
      const assigned = (await L.get(`/api/media/${item}/category`)).json() as State;
      expect(assigned).toMatchObject({ category: 2, baseline: false, assignments: [{ agencyName: 'OCRVP', countryCode: 'FR', actor: expect.stringMatching(/^system:/), category: 2, baseline: false }], history: [] });
      // One vote (quorum 2) does not override the unit's decision; two agreeing votes do.
      expect((await L.post(`/api/media/${item}/category`, { category: 5, baseline: false })).json()).toMatchObject({ category: 2 });
      expect((await M.post(`/api/media/${item}/category`, { category: 5, baseline: false })).json()).toMatchObject({ category: 5, baseline: false, assignments: [{ category: 2 }] });
    });

    it('settles a category when the quorum agrees, lists disagreement for review and keeps every vote', async () => {
      const item = media[0];
      const first = (await L.post(`/api/media/${item}/category`, { category: 1, baseline: true })).json() as { category: number | null; disputed: boolean };
      expect(first).toMatchObject({ category: null, disputed: false });
      const second = (await S.post(`/api/media/${item}/category`, { category: 2, baseline: false })).json() as { disputed: boolean };
      expect(second.disputed).toBe(true);
      expect((await L.get('/api/categorisation/disputes')).json()).toMatchObject({ items: [{ mediaId: item }] });
      // Sofia changes her mind: two agree (quorum 2), the item is settled and no longer disputed.
      const settled = (await S.post(`/api/media/${item}/category`, { category: 1, baseline: true })).json() as { category: number; baseline: boolean; disputed: boolean; history: Array<{ supersededAt: number | null }> };
      expect(settled).toMatchObject({ category: 1, baseline: true, disputed: false });
      expect(settled.history).toHaveLength(3);
      expect(settled.history.filter((h) => h.supersededAt !== null)).toHaveLength(1);
      expect((await L.get('/api/categorisation/disputes')).json()).toMatchObject({ items: [] });
      expect((await L.get(`/api/search?kind=media&category=1`)).json()).toMatchObject({ hits: [{ id: item }] });
      expect((await L.post(`/api/media/${item}/category`, { category: 9, baseline: false })).statusCode).toBe(400);
      const known = await env.container.signals.itemFacts([item]);
      expect(known.get(item)).toMatchObject({ category: 1, baseline: true });
    });

    it('keeps comment history, soft-deletes with an audit entry, and threads replies', async () => {
      const inv = (await L.post('/api/investigations', { title: 'Threads' })).json() as { id: number };
      const c = (await L.post('/api/comments', { investigationId: inv.id, targetType: 'media', targetId: media[1], body: 'first text' })).json() as { id: number };
      expect((await L.patch(`/api/comments/${c.id}`, { body: 'second text' })).json()).toMatchObject({ body: 'second text', edited: true });
      expect((await L.get(`/api/comments/${c.id}/history`)).json()).toMatchObject({ revisions: [{ body: 'first text' }] });
      const r = await L.post('/api/comments', { investigationId: inv.id, targetType: 'media', targetId: media[1], parentId: c.id, body: 'a reply' });
      expect(r.json()).toMatchObject({ parentId: c.id });
      expect((await L.post('/api/comments', { investigationId: inv.id, targetType: 'investigation', parentId: c.id, body: 'wrong thread' })).statusCode).toBe(400);
      expect((await L.del(`/api/comments/${c.id}`)).json()).toMatchObject({ deleted: true, body: null });
      const listed = (await L.get(`/api/comments?investigationId=${inv.id}&targetType=media&targetId=${media[1]}`)).json() as { comments: Array<{ id: number; deleted: boolean; body: string | null }> };
      expect(listed.comments.map((x) => [x.id, x.deleted])).toEqual([[c.id, true], [(r.json() as { id: number }).id, false]]);
      const entry = await env.container.database.db.selectFrom('audit_log').select('action').where('object_type', '=', 'comment').where('object_id', '=', String(c.id)).orderBy('seq', 'desc').executeTakeFirstOrThrow();
      expect(entry.action).toBe('comment.delete');
      expect((await F.get(`/api/comments/${c.id}/history`)).statusCode).toBe(404);
    });

    it('connects items by camera serial, by model within a time window and by GPS distance', async () => {
      const c = (await L.get(`/api/media/${media[0]}/connections?windowMinutes=60&radiusKm=1`)).json() as { sameCamera: Array<{ mediaId: number }>; sameModelNearTime: Array<{ mediaId: number; minutesApart: number }>; nearby: Array<{ mediaId: number; distanceKm: number }> };
      expect(c.sameCamera.map((x) => x.mediaId)).toEqual([media[1]]);
      expect(c.sameModelNearTime).toMatchObject([{ mediaId: media[2], minutesApart: 40 }]);
      expect(c.nearby.map((x) => x.mediaId)).toEqual([media[2]]);
      expect(c.nearby[0].distanceKm).toBeLessThan(1);
      const wide = (await L.get(`/api/media/${media[0]}/connections?windowMinutes=240&radiusKm=100`)).json() as { sameModelNearTime: unknown[]; nearby: unknown[] };
      expect(wide.sameModelNearTime).toHaveLength(2);
      expect(wide.nearby).toHaveLength(2);
      const inv = (await L.post('/api/investigations', { title: 'Cameras' })).json() as { id: number };
      await L.post(`/api/investigations/${inv.id}/links`, { kind: 'media', targetId: media[3] });
      expect((await L.get(`/api/investigations/${inv.id}/connections?windowMinutes=180`)).json()).toMatchObject({ items: [{ mediaId: media[3], sameModelNearTime: [{ mediaId: media[2] }, { mediaId: media[0] }] }], truncated: false });
    });

    it('searches media by country, camera serial and time, paginated', async () => {
      const page1 = (await L.get('/api/search?kind=media&country=FR&limit=2')).json() as { hits: Array<{ id: number }>; next: number | null };
      expect(page1.hits.map((h) => h.id)).toEqual([media[3], media[2]]);
      const page2 = (await L.get(`/api/search?kind=media&country=FR&limit=2&before=${page1.next}`)).json() as { hits: Array<{ id: number }>; next: number | null };
      expect(page2).toEqual({ hits: [expect.objectContaining({ id: media[0] })], next: null });
      expect(((await L.get('/api/search?kind=media&cameraSerial=SN-1')).json() as { hits: Array<{ id: number }> }).hits.map((h) => h.id)).toEqual([media[1], media[0]]);
      expect(((await L.get('/api/search?kind=media&from=1001&to=1003')).json() as { hits: Array<{ id: number }> }).hits.map((h) => h.id)).toEqual([media[2], media[1]]);
      const series = (await L.post('/api/series', { name: 'Red 100%_series', mediaIds: [media[2]] })).json() as { id: number };
      expect(((await F.get('/api/search?kind=media&q=100%25_')).json() as { hits: Array<{ id: number }> }).hits.map((h) => h.id)).toEqual([media[2]]);
      expect(((await F.get('/api/search?kind=series&status=unidentified&q=red')).json() as { hits: Array<{ id: number }> }).hits.map((h) => h.id)).toEqual([series.id]);
      expect(((await F.get('/api/search?kind=media&q=100x_')).json() as { hits: unknown[] }).hits).toEqual([]);
    });

    it('pages a time range by (time, id) with a "<time>.<id>" cursor', async () => {
      // Newer ids with older or equal times: id order and time order differ.
      const db = env.container.database.db;
      const extra = async (n: number, at: number) => Number((await db.insertInto('media_items').values({ sha256: n.toString(16).padStart(64, 'e'), sha1: n.toString(16).padStart(40, 'e'), md5: n.toString(16).padStart(32, 'e'), size: 1, mime: 'image/jpeg', kind: 'image', created_at: at, first_seen_at: at, first_country: 'NL' }).returning('id').executeTakeFirstOrThrow()).id);
      const sameTime = await extra(1, 1001);
      const older = await extra(2, 500);
      type Page = { hits: Array<{ id: number; at: number }>; next: string | null };
      const page = async (before?: string) => (await L.get(`/api/search?kind=media&from=500&to=1003&limit=2${before ? `&before=${before}` : ''}`)).json() as Page;
      const p1 = await page();
      expect(p1.hits.map((h) => h.id)).toEqual([media[2], sameTime]);
      expect(p1.next).toBe(`1001.${sameTime}`);
      const p2 = await page(p1.next!);
      expect(p2.hits.map((h) => h.id)).toEqual([media[1], media[0]]);
      expect(p2.next).toBe(`1000.${media[0]}`);
      expect(await page(p2.next!)).toEqual({ hits: [expect.objectContaining({ id: older, at: 500 })], next: null });
      // Without a range the order and the cursor stay the id.
      const byId = (await L.get('/api/search?kind=media&limit=1')).json() as Page;
      expect(byId).toMatchObject({ hits: [{ id: older }], next: String(older) });
      // A cursor of the other ordering is refused.
      expect((await L.get(`/api/search?kind=media&from=500&before=${media[1]}`)).statusCode).toBe(400);
      expect((await L.get(`/api/search?kind=media&before=1001.${media[1]}`)).statusCode).toBe(400);
      // The other kinds page their time column the same way.
      const investigations = (await L.get('/api/search?kind=investigations&from=0&limit=1')).json() as Page;
      expect(investigations.next).toMatch(/^[0-9]+\.[0-9]+$/);
    });
  });
}
