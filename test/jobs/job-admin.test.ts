import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, tokenFor, startTestEnv, type TestEnv } from '../auth/support.js';
import { spawnNode } from '../support/processes.js';

/** Dead jobs are visible to global admins (HTTP and CLI) and can be retried, audited; nobody else sees the queue. */
describe('job administration', () => {
  let env: TestEnv;
  let dead: number;
  let admin: Record<string, string>;
  let countryAdmin: Record<string, string>;
  let investigator: Record<string, string>;

  beforeAll(async () => {
    env = await startTestEnv();
    const queue = env.container.queue;
    const { id } = await queue.enqueue('test.doomed', { n: 1 }, { maxAttempts: 1 });
    const claimed = await queue.claim('test-worker', ['test.doomed'], 10_000);
    expect(claimed?.id).toBe(id);
    expect(await queue.finish(claimed!, { status: 'failed', reason: 'disk on fire', retryable: true })).toBe(true);
    dead = id;
    await queue.enqueue('test.pending', {}, { runAt: Date.now() + 3_600_000 });
    admin = (await tokenFor(env, await createUser(env, { username: 'ga-jobs', role: 'global_admin' }), ['admin'])).headers;
    countryAdmin = (await tokenFor(env, await createUser(env, { username: 'ca-jobs', role: 'country_admin' }), ['admin'])).headers;
    investigator = (await tokenFor(env, await createUser(env, { username: 'inv-jobs' }), ['read', 'upload'])).headers;
  });
  afterAll(() => env.close());

  it('lists dead jobs with their error for global admins only', async () => {
    const res = await env.app.inject({ method: 'GET', url: '/api/admin/jobs?status=failed', headers: admin });
    expect(res.statusCode).toBe(200);
    const { jobs } = res.json() as { jobs: Array<{ id: number; kind: string; status: string; attempts: number; lastError: string }> };
    expect(jobs).toEqual([expect.objectContaining({ id: dead, kind: 'test.doomed', status: 'failed', attempts: 1, lastError: 'disk on fire' })]);
    const queued = (await env.app.inject({ method: 'GET', url: '/api/admin/jobs?status=queued', headers: admin })).json() as { jobs: Array<{ kind: string }> };
    expect(queued.jobs.map((j) => j.kind)).toEqual(['test.pending']);
    expect((await env.app.inject({ method: 'GET', url: '/api/admin/jobs', headers: countryAdmin })).statusCode).toBe(403);
    expect((await env.app.inject({ method: 'GET', url: '/api/admin/jobs', headers: investigator })).statusCode).toBe(403);
    expect((await env.app.inject({ method: 'GET', url: '/api/admin/jobs?status=dead', headers: admin })).statusCode).toBe(400);
  });

  it('retries a dead job once (audited); a job that is not dead cannot be retried', async () => {
    expect((await env.app.inject({ method: 'POST', url: `/api/admin/jobs/${dead}/retry`, headers: countryAdmin })).statusCode).toBe(403);
    const res = await env.app.inject({ method: 'POST', url: `/api/admin/jobs/${dead}/retry`, headers: admin });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: dead, status: 'queued', attempts: 0, maxAttempts: 1 });
    expect((await env.container.queue.claim('w2', ['test.doomed'], 10_000))?.id).toBe(dead);
    expect((await env.app.inject({ method: 'POST', url: `/api/admin/jobs/${dead}/retry`, headers: admin })).statusCode).toBe(409);
    expect((await env.app.inject({ method: 'POST', url: '/api/admin/jobs/999999/retry', headers: admin })).statusCode).toBe(404);
    const audit = await env.container.database.db.selectFrom('audit_log').selectAll().where('action', '=', 'job.retry').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_name: 'ga-jobs', object_type: 'job', object_id: String(dead) });
    expect(JSON.parse(audit[0].details!)).toMatchObject({ kind: 'test.doomed', previousStatus: 'failed', lastError: 'disk on fire' });
  });

  it('ariadne jobs list --status failed --json and ariadne jobs retry ID (compiled CLI)', async () => {
    const queue = env.container.queue;
    const { id } = await queue.enqueue('test.doomed-cli', {}, { maxAttempts: 1 });
    const claimed = await queue.claim('test-worker', ['test.doomed-cli'], 10_000);
    await queue.finish(claimed!, { status: 'failed', reason: 'no handler', retryable: false });
    const cliEnv = { ARIADNE_DATA_DIR: env.container.config.dataDir, ARIADNE_LOG_LEVEL: 'error', NODE_NO_WARNINGS: '1' };
    const list = spawnNode('dist/src/cli/main.js', ['jobs', 'list', '--status', 'failed', '--json'], cliEnv);
    expect((await list.exited).code, list.output()).toBe(0);
    expect((JSON.parse(list.output()) as Array<{ id: number; lastError: string }>).map((j) => [j.id, j.lastError])).toEqual([[id, 'no handler']]);
    const retry = spawnNode('dist/src/cli/main.js', ['jobs', 'retry', String(id)], cliEnv);
    expect((await retry.exited).code, retry.output()).toBe(0);
    expect(retry.output()).toMatch(new RegExp(`job ${id} \\(test.doomed-cli\\) queued again`));
    expect((await queue.get(id))?.status).toBe('queued');
    const again = spawnNode('dist/src/cli/main.js', ['jobs', 'retry', String(id)], cliEnv);
    expect((await again.exited).code).not.toBe(0);
    expect(again.output()).toMatch(/only failed or cancelled jobs can be retried/);
    const audit = await env.container.database.db.selectFrom('audit_log').select(['actor_name', 'object_id']).where('action', '=', 'job.retry').execute();
    expect(audit.map((a) => a.object_id)).toContain(String(id));
    expect(audit.find((a) => a.object_id === String(id))?.actor_name).toMatch(/^system:cli:/);
  });
});
