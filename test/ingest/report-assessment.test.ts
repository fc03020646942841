import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticJpeg } from '../../bench/hash-corpus.js';
import { createUser, signIn, startTestEnv, type TestEnv, type TestSession } from '../auth/support.js';
import { api, mediaAt, uploadSeizure } from '../cases/support.js';

/** The same bytes seized again after investigators placed them in a series: known, with that assessment. */
describe('triage report: an exact copy of assessed material', () => {
  let env: TestEnv;
  let ana: TestSession;
  let ben: TestSession;

  beforeAll(async () => {
    env = await startTestEnv({ role: 'all', env: { ARIADNE_JOB_POLL_MS: '20' } });
    env.container.start();
    ana = await signIn(env, await createUser(env, { username: 'ana', country: 'FR' }));
    ben = await signIn(env, await createUser(env, { username: 'ben', country: 'DE' }));
  });
  afterAll(async () => env.close());

  it('reports the item known, with its series and category, and an unassessed copy as new', async () => {
    const photo = await syntheticJpeg(400, 300, 8080);
    const other = await syntheticJpeg(400, 300, 8081);
    const first = await uploadSeizure(env, ben, 'DE-1', [{ name: 'a.jpg', data: photo }, { name: 'b.jpg', data: other }]);
    const assessed = await mediaAt(env, first, 'a.jpg');
    expect((await api(env, ben).post('/api/series', { name: 'Harbour', mediaIds: [assessed] })).statusCode).toBe(201);

    const second = await uploadSeizure(env, ana, 'FR-1', [{ name: 'copy.jpg', data: photo }, { name: 'other.jpg', data: other }]);
    const report = (await api(env, ana).get(`/api/submissions/${second}/report`)).json() as {
      totals: { known: number; new: number };
      items: Array<{ paths: string[]; status: string; assessment: { series: Array<{ name: string }>; victimStatus: string | null } | null }>;
    };
    expect(report.totals).toMatchObject({ known: 1, new: 1 });
    const copy = report.items.find((i) => i.paths[0] === 'copy.jpg')!;
    expect(copy.status).toBe('known');
    expect(copy.assessment).toMatchObject({ series: [{ name: 'Harbour' }], victimStatus: 'unidentified' });
    const unassessed = report.items.find((i) => i.paths[0] === 'other.jpg')!;
    expect(unassessed).toMatchObject({ status: 'new', assessment: null });
  });
});
