import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, signIn, startTestEnv, tokenFor, type TestEnv } from '../auth/support.js';
import { digest, mediaRecord, vicsDocument } from '../exchange/fixtures.js';

/** Hash sets over HTTP: admins import and export (audited), investigators list, nobody else manages. */
describe('hash-set API', () => {
  let env: TestEnv;
  let admin: Record<string, string>;
  let investigator: Record<string, string>;

  beforeAll(async () => {
    env = await startTestEnv();
    const ca = await createUser(env, { username: 'ca-sets', role: 'country_admin' });
    admin = (await tokenFor(env, ca, ['admin'])).headers;
    investigator = (await signIn(env, await createUser(env, { username: 'inv-sets' }))).headers;
  });
  afterAll(async () => env.close());

  it('imports a VICS file sent as the body, lists it, exports ICSE and VICS, and audits it all', async () => {
    const doc = vicsDocument('Media', [mediaRecord(1, { Series: 'Kappa' }), mediaRecord(2), mediaRecord(3, { SHA1: 'bad' })]);
    const res = await env.app.inject({
      method: 'POST',
      url: '/api/hashsets/imports/vics?set=API%20set&source=unit%20Y&terms=LE%20only',
      headers: { ...admin, 'content-type': 'application/octet-stream' },
      payload: Buffer.from(doc),
    });
    expect(res.statusCode, res.body).toBe(200);
    const report = res.json() as { imported: number; problems: Array<{ message: string }>; set: { id: number; source: string; terms: string; entryCount: number } };
    expect(report).toMatchObject({ imported: 2, set: { source: 'unit Y', terms: 'LE only', entryCount: 2 }, problems: [{ message: expect.stringMatching(/media record 3: SHA1/) }] });

    const list = await env.app.inject({ method: 'GET', url: '/api/hashsets', headers: investigator });
    expect(list.statusCode).toBe(200);
    expect((list.json() as { sets: Array<{ name: string; entryCount: number }> }).sets).toEqual([expect.objectContaining({ name: 'API set', entryCount: 2 })]);

    const icse = await env.app.inject({ method: 'GET', url: `/api/hashsets/${report.set.id}/export/icse`, headers: admin });
    expect(icse.statusCode).toBe(200);
    expect(icse.headers['content-type']).toMatch(/^text\/csv/);
    expect(icse.body.split('\n')[1]).toBe(`${digest('md5', 'm1')};${digest('sha1', 'm1')};;;;1;Kappa;false;false;true;;;1;;`);
    const vics = await env.app.inject({ method: 'GET', url: `/api/hashsets/${report.set.id}/export/vics`, headers: admin });
    expect((JSON.parse(vics.body) as { value: unknown[] }).value).toHaveLength(2);

    const actions = await env.container.database.db.selectFrom('audit_log').select('action').where('action', 'like', 'hashset.%').orderBy('seq').execute();
    expect(actions.map((a) => a.action)).toEqual(['hashset.create', 'hashset.entries.add', 'hashset.export', 'hashset.export']);
  });

  it('answers 400 to a file that is not what it claims, and nothing is created', async () => {
    const res = await env.app.inject({
      method: 'POST',
      url: '/api/hashsets/imports/vics?set=Wrong',
      headers: { ...admin, 'content-type': 'application/octet-stream' },
      payload: Buffer.from('MD5;SHA1\n'),
    });
    expect(res.statusCode).toBe(400);
    expect((res.json() as { error: { message: string } }).error.message).toMatch(/not a VICS JSON file/);
    const list = await env.app.inject({ method: 'GET', url: '/api/hashsets', headers: admin });
    expect(list.statusCode).toBe(403);
    const sets = await env.container.database.db.selectFrom('hash_sets').select('name').execute();
    expect(sets.map((s) => s.name)).toEqual(['API set']);
  });

  it('lets admins disable a set, and refuses investigators', async () => {
    const [set] = await env.container.database.db.selectFrom('hash_sets').select('id').execute();
    const refused = await env.app.inject({ method: 'PUT', url: `/api/hashsets/${set.id}/enabled`, headers: investigator, payload: { enabled: false } });
    expect(refused.statusCode).toBe(403);
    const off = await env.app.inject({ method: 'PUT', url: `/api/hashsets/${set.id}/enabled`, headers: admin, payload: { enabled: false } });
    expect(off.statusCode).toBe(200);
    expect(off.json()).toMatchObject({ enabled: false, entryCount: 2 });
    const missing = await env.app.inject({ method: 'GET', url: '/api/hashsets/999/export/pdq', headers: admin });
    expect(missing.statusCode).toBe(404);
  });
});

describe('investigation export through the API', () => {
  let env: TestEnv;

  beforeAll(async () => {
    env = await startTestEnv();
  });
  afterAll(async () => env.close());

  it('exports the media of an investigation to an admin who can see it, and hides it from others', async () => {
    const lead = await createUser(env, { username: 'ca-lead', role: 'country_admin' });
    const other = await createUser(env, { username: 'ca-other', role: 'country_admin', country: 'NL' });
    const leadSession = await signIn(env, lead);
    const db = env.container.database.db;
    const media: number[] = [];
    for (let i = 1; i <= 2; i++) {
      const hex = (n: number) => n.toString(16).padStart(2, '0').repeat(32);
      const row = await db
        .insertInto('media_items')
        .values({ sha256: hex(i), sha1: hex(i).slice(0, 40), md5: hex(i).slice(0, 32), size: 1, mime: 'image/jpeg', kind: 'image', width: 1, height: 1, created_at: 1000, first_seen_at: 1000 })
        .returning('id')
        .executeTakeFirstOrThrow();
      media.push(Number(row.id));
    }
    await db.insertInto('signal_entries').values({ signal: 'pdq', hash: Buffer.alloc(32, 0xab), quality: 90, variant: 'plain', media_id: media[0], set_id: null, label: null, created_at: 1000, removed_at: null }).execute();
    const inv = await env.app.inject({ method: 'POST', url: '/api/investigations', headers: leadSession.headers, payload: { title: 'Export me' } });
    expect(inv.statusCode, inv.body).toBe(201);
    const id = (inv.json() as { id: number }).id;
    for (const m of media) {
      const link = await env.app.inject({ method: 'POST', url: `/api/investigations/${id}/links`, headers: leadSession.headers, payload: { kind: 'media', targetId: m } });
      expect(link.statusCode, link.body).toBeLessThan(300);
    }
    const res = await env.app.inject({ method: 'GET', url: `/api/hashsets/investigations/${id}/export/icse`, headers: leadSession.headers });
    expect(res.statusCode, res.body).toBe(200);
    const lines = res.body.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1].startsWith(`${'01'.repeat(16)};${'01'.repeat(20)};${'01'.repeat(32)};${'ab'.repeat(32)};`)).toBe(true);
    const vics = await env.app.inject({ method: 'GET', url: `/api/hashsets/investigations/${id}/export/vics`, headers: leadSession.headers });
    expect((JSON.parse(vics.body) as { value: Array<{ MediaID: number }> }).value.map((v) => v.MediaID)).toEqual(media);

    const hidden = await env.app.inject({ method: 'GET', url: `/api/hashsets/investigations/${id}/export/icse`, headers: (await signIn(env, other)).headers });
    expect(hidden.statusCode).toBe(404);
    const audit = await db.selectFrom('audit_log').select('action').where('action', '=', 'investigation.export').execute();
    expect(audit).toHaveLength(2);
  });
});
