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
