import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, signIn, startTestEnv, type TestEnv, type TestSession } from '../auth/support.js';
import { api } from './support.js';

/** GET /api/people: the same visibility as one person (owning agency, or a visible investigation linking them). */
describe('listing victims and offenders', () => {
  let env: TestEnv;
  let ana: TestSession;
  let ben: TestSession;
  let carla: TestSession;

  beforeAll(async () => {
    env = await startTestEnv();
    ana = await signIn(env, await createUser(env, { username: 'ana', country: 'FR' }));
    ben = await signIn(env, await createUser(env, { username: 'ben', country: 'DE' }));
    carla = await signIn(env, await createUser(env, { username: 'carla', country: 'ES' }));
  });
  afterAll(async () => env.close());

  const labels = async (s: TestSession, q = '') => ((await api(env, s).get(`/api/people${q}`)).json() as { people: Array<{ label: string }> }).people.map((p) => p.label);

  it('lists what the caller may see, newest first, with filters and pages', async () => {
    const a = api(env, ana);
    expect((await a.post('/api/people', { kind: 'victim', label: 'Girl in the garden', ageMin: 6, ageMax: 9 })).statusCode).toBe(201);
    expect((await a.post('/api/people', { kind: 'offender', label: 'Man with the watch' })).statusCode).toBe(201);
    const b = api(env, ben);
    const theirs = (await b.post('/api/people', { kind: 'victim', label: 'Boy by the lake' })).json() as { id: number };

    expect(await labels(ana)).toEqual(['Man with the watch', 'Girl in the garden']);
    expect(await labels(ana, '?kind=victim')).toEqual(['Girl in the garden']);
    expect(await labels(ana, '?limit=1')).toEqual(['Man with the watch']);
    expect(await labels(ben)).toEqual(['Boy by the lake']);
    expect(await labels(carla)).toEqual([]);

    // Linked in an investigation shared with France: now French investigators see the person too.
    const inv = (await b.post('/api/investigations', { title: 'Lake' })).json() as { id: number };
    expect((await b.post(`/api/investigations/${inv.id}/links`, { kind: 'person', targetId: theirs.id })).statusCode).toBe(200);
    expect(await labels(ana)).not.toContain('Boy by the lake');
    expect((await b.post(`/api/investigations/${inv.id}/shares`, { countryCode: 'FR' })).statusCode).toBe(200);
    expect(await labels(ana)).toEqual(['Boy by the lake', 'Man with the watch', 'Girl in the garden']);
    expect(await labels(carla)).toEqual([]);
    expect((await api(env, carla).get('/api/people?status=bogus')).statusCode).toBe(400);
  });
});
