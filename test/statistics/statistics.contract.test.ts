import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, signIn, startTestEnv, type TestEnv, type TestUser } from '../auth/support.js';
import { api } from '../cases/support.js';
import { databaseAdapters } from '../support/databases.js';

const at = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d, 12);
const hex = (n: number, len = 64) => n.toString(16).padStart(2, '0').repeat(32).slice(0, len);

/**
 * Statistics per country and month on SQLite and PostgreSQL: a small history written at known times (three months
 * of 2026), then every figure checked per country and month, the CSV, and who may see which country.
 */
for (const adapter of databaseAdapters()) {
  describe.skipIf(adapter.skip !== undefined)(`statistics on ${adapter.name}`, () => {
    let env: TestEnv;
    let fr: TestUser, de: TestUser;
    let FRA: ReturnType<typeof api>, AUD: ReturnType<typeof api>, GA: ReturnType<typeof api>, INV: ReturnType<typeof api>;

    beforeAll(async () => {
      env = await startTestEnv({ adapter });
      fr = await createUser(env, { username: 'fanny', country: 'FR', agency: 'OCRVP' });
      de = await createUser(env, { username: 'detlef', country: 'DE', agency: 'BKA' });
      const frAdmin = await createUser(env, { username: 'bcn-fr', role: 'country_admin', country: 'FR', agency: 'BCN' });
      const auditor = await createUser(env, { username: 'audrey', role: 'auditor', country: 'BE', agency: 'Oversight' });
      const ga = await createUser(env, { username: 'gaston', role: 'global_admin', country: 'BE', agency: 'IPSG' });
      [FRA, AUD, GA, INV] = await Promise.all([frAdmin, auditor, ga, fr].map(async (u) => api(env, await signIn(env, u))));

      const db = env.container.database.db;
      const sub = async (user: TestUser, t: number) =>
        Number((await db.insertInto('submissions').values({ user_id: user.id, agency_id: user.agencyId, country_code: user.countryCode, actor_name: user.username, reference: '', device: '', notes: '', status: 'complete', created_at: t, sealed_at: t, completed_at: t }).returning('id').executeTakeFirstOrThrow()).id);
      const media = async (n: number, country: string, t: number) =>
        Number((await db.insertInto('media_items').values({ sha256: hex(n), sha1: hex(n, 40), md5: hex(n, 32), size: 1, mime: 'image/jpeg', kind: 'image', width: 1, height: 1, created_at: t, first_seen_at: t, first_country: country }).returning('id').executeTakeFirstOrThrow()).id);
      const file = async (submissionId: number, path: string, mediaId: number, t: number) =>
        db.insertInto('submission_files').values({ submission_id: submissionId, path, parent_file_id: null, depth: 0, size: 1, mtime: null, blob_sha256: null, md5: null, sha1: null, mime: 'image/jpeg', status: 'done', error: null, media_id: mediaId, created_at: t, processed_at: t }).execute();

      // January: France submits three files (two distinct items); an offender is identified; a series is created.
      const s1 = await sub(fr, at(2026, 1, 15));
      const m1 = await media(1, 'FR', at(2026, 1, 15));
      const m2 = await media(2, 'FR', at(2026, 1, 15));
      await file(s1, 'a.jpg', m1, at(2026, 1, 15));
      await file(s1, 'b.jpg', m2, at(2026, 1, 15));
      await file(s1, 'copy/a.jpg', m1, at(2026, 1, 15));
      const series = Number((await db.insertInto('series').values({ name: 'S', description: '', agency_id: fr.agencyId, country_code: 'FR', identification_status: 'unidentified', created_by: fr.id, created_at: at(2026, 1, 20), updated_at: at(2026, 1, 20) }).returning('id').executeTakeFirstOrThrow()).id);
      await db.insertInto('series_media').values({ series_id: series, media_id: m2, added_by: fr.id, added_at: at(2026, 1, 20) }).execute();
      const person = (kind: 'victim' | 'offender', user: TestUser, identified: number | null, safeguarded: number | null) =>
        db.insertInto('people').values({ kind, label: kind, agency_id: user.agencyId, country_code: user.countryCode, age_min: null, age_max: null, sex: 'unknown', descriptors: '', notes: '', identified: identified ? 1 : 0, status: safeguarded ? 'safeguarded' : identified ? 'identified' : 'unidentified', notice_kind: null, notice_ref: null, created_by: user.id, created_at: at(2026, 1, 1), updated_at: at(2026, 1, 1), identified_at: identified, safeguarded_at: safeguarded }).execute();
      await person('offender', fr, at(2026, 1, 10), null);

      // February: France submits an item it had already; Germany submits France's item (an exact cross-country match),
      // and a new item that matches France's series (a series sighting); a victim is identified; a notice photo
      // submission (not a seizure) is left out.
      const s2 = await sub(fr, at(2026, 2, 3));
      await file(s2, 'again.jpg', m1, at(2026, 2, 3));
      const s3 = await sub(de, at(2026, 2, 20));
      const m3 = await media(3, 'DE', at(2026, 2, 20));
      await file(s3, 'x.jpg', m1, at(2026, 2, 20));
      await file(s3, 'y.jpg', m3, at(2026, 2, 20));
      await db.insertInto('series_sightings').values({ series_id: series, submission_id: s3, country_code: 'DE', media_id: m3, at: at(2026, 2, 21) }).execute();
      await db.insertInto('series_sightings').values({ series_id: series, submission_id: s2, country_code: 'FR', media_id: m1, at: at(2026, 2, 4) }).execute();
      await person('victim', fr, at(2026, 2, 5), at(2026, 3, 1));
      await person('victim', de, null, null);
      const photoSub = await sub(fr, at(2026, 2, 10));
      await file(photoSub, 'photos/face.jpg', m2, at(2026, 2, 10));

      // March: notices published (and a draft that is not), an operation with two countries.
      const notice = (kind: 'green' | 'yellow', user: TestUser, ref: string, published: number | null, submissionId: number | null = null) =>
        db.insertInto('notices').values({ kind, reference: ref, status: published ? 'published' : 'draft', country_code: user.countryCode, agency_id: user.agencyId, contact_agency_id: user.agencyId, subject_name: 'X', subject_status: null, body: '{}', version: 1, submission_id: submissionId, created_by: user.id, requested_by: null, requested_at: null, reviewed_by: null, published_at: published, return_reasons: null, cancel_reason: null, cancel_requested_by: null, cancelled_at: null, created_at: at(2026, 3, 1), updated_at: at(2026, 3, 1) }).execute();
      await notice('green', fr, 'GN-1', at(2026, 3, 5), photoSub);
      await notice('yellow', de, 'YN-2', at(2026, 3, 6));
      await notice('yellow', fr, 'YN-3', null);
      const op = Number((await db.insertInto('operations').values({ name: 'Op', description: '', status: 'active', coordinator_country: 'FR', coordinator_agency_id: fr.agencyId, created_by: fr.id, created_at: at(2026, 3, 10), updated_at: at(2026, 3, 10) }).returning('id').executeTakeFirstOrThrow()).id);
      await db.insertInto('operation_participants').values([{ operation_id: op, country_code: 'FR', contact_user_id: fr.id, role: 'coordinator', added_at: at(2026, 3, 10) }, { operation_id: op, country_code: 'DE', contact_user_id: de.id, role: 'participant', added_at: at(2026, 3, 10) }]).execute();
    });
    afterAll(async () => env?.close());

    const zero = { submissions: 0, items: 0, uniqueItems: 0, newItems: 0, series: 0, victimsIdentified: 0, victimsSafeguarded: 0, offendersIdentified: 0, crossCountryMatches: 0, noticesGreen: 0, noticesYellow: 0, operations: 0 };
    const expected = [
      { country: 'DE', month: '2026-02', ...zero, submissions: 1, items: 2, uniqueItems: 2, newItems: 1, crossCountryMatches: 2 },
      { country: 'DE', month: '2026-03', ...zero, noticesYellow: 1, operations: 1 },
      { country: 'FR', month: '2026-01', ...zero, submissions: 1, items: 3, uniqueItems: 2, newItems: 2, series: 1, offendersIdentified: 1 },
      { country: 'FR', month: '2026-02', ...zero, submissions: 1, items: 1, uniqueItems: 1, victimsIdentified: 1 },
      { country: 'FR', month: '2026-03', ...zero, victimsSafeguarded: 1, noticesGreen: 1, operations: 1 },
    ];

    it('counts every figure per country and month', async () => {
      const res = await GA.get('/api/stats?from=2026-01&to=2026-03');
      expect(res.statusCode, res.body).toBe(200);
      const stats = res.json() as { rows: unknown[]; totals: Record<string, number>; from: string; to: string; country: string | null };
      expect(stats).toMatchObject({ from: '2026-01', to: '2026-03', country: null });
      expect(stats.rows).toEqual(expected);
      expect(stats.totals).toMatchObject({ submissions: 3, items: 6, crossCountryMatches: 2, operations: 2 });
      // Narrower windows cut by month.
      expect(((await AUD.get('/api/stats?from=2026-02&to=2026-02')).json() as { rows: unknown[] }).rows).toEqual([expected[0], expected[3]]);
    });

    it('exports CSV with RFC 4180 lines', async () => {
      const res = await AUD.get('/api/stats?from=2026-01&to=2026-03&format=csv');
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      const lines = res.body.split('\r\n');
      expect(lines[0]).toBe('country,month,submissions,items,uniqueItems,newItems,series,victimsIdentified,victimsSafeguarded,offendersIdentified,crossCountryMatches,noticesGreen,noticesYellow,operations');
      expect(lines[1]).toBe('DE,2026-02,1,2,2,1,0,0,0,0,2,0,0,0');
      expect(lines).toHaveLength(expected.length + 2);
      expect(lines.at(-1)).toBe('');
    });

    it('counts identification when it happens: PeopleService stamps the first identification and safeguarding', async () => {
      const month = new Date().toISOString().slice(0, 7);
      const figures = async () => ((await GA.get(`/api/stats?from=${month}&to=${month}&country=FR`)).json() as { totals: Record<string, number> }).totals;
      const victim = (await INV.post('/api/people', { kind: 'victim', label: 'child A', sex: 'female' })).json() as { id: number };
      expect(await figures()).toMatchObject({ victimsIdentified: 0, victimsSafeguarded: 0 });
      expect((await INV.patch(`/api/people/${victim.id}`, { status: 'identified' })).statusCode).toBe(200);
      expect(await figures()).toMatchObject({ victimsIdentified: 1, victimsSafeguarded: 0 });
      await INV.patch(`/api/people/${victim.id}`, { status: 'safeguarded' });
      const row = await env.container.database.db.selectFrom('people').select(['identified_at', 'safeguarded_at']).where('id', '=', victim.id).executeTakeFirstOrThrow();
      expect(Number(row.safeguarded_at)).toBeGreaterThanOrEqual(Number(row.identified_at));
      expect(await figures()).toMatchObject({ victimsIdentified: 1, victimsSafeguarded: 1 });
      await INV.patch(`/api/people/${victim.id}`, { status: 'unidentified' });
      expect(await figures()).toMatchObject({ victimsIdentified: 0, victimsSafeguarded: 0 });
      await INV.post('/api/people', { kind: 'offender', label: 'man B', sex: 'male', status: 'identified' });
      expect(await figures()).toMatchObject({ offendersIdentified: 1 });
    });

    it('shows a country admin its own country only; investigators none', async () => {
      const own = (await FRA.get('/api/stats?from=2026-01&to=2026-03')).json() as { rows: Array<{ country: string }>; country: string };
      expect(own.country).toBe('FR');
      expect(own.rows.map((r) => r.country)).toEqual(['FR', 'FR', 'FR']);
      expect((await FRA.get('/api/stats?country=DE')).statusCode).toBe(403);
      expect((await INV.get('/api/stats')).statusCode).toBe(403);
      expect((await GA.get('/api/stats?from=2026-13')).statusCode).toBe(400);
      expect((await GA.get('/api/stats?from=2026-03&to=2026-01')).statusCode).toBe(400);
      expect(((await GA.get('/api/stats?from=2026-01&to=2026-03&country=de')).json() as { rows: unknown[] }).rows).toEqual(expected.slice(0, 2));
    });
  });
}
