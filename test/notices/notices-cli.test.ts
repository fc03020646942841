import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, startTestEnv, tokenFor, type TestEnv } from '../auth/support.js';
import { spawnNode } from '../support/processes.js';
import { greenBody } from './fixtures.js';

/**
 * `ariadne notices …`, `ariadne operations …` and `ariadne stats` from the built CLI (npm run build) against a
 * running server: each person under their own API token (read from a file), so the server's lifecycle rules apply;
 * `stats` also as the operator on the installation itself.
 */
describe('ariadne notices / operations / stats', () => {
  let dir: string;
  let env: TestEnv;
  let server: string;
  const tokens: Record<string, string> = {};

  const cli = async (who: string | null, ...args: string[]) => {
    const run = spawnNode('dist/src/cli/main.js', args, {
      ARIADNE_DATA_DIR: join(dir, 'data'),
      ARIADNE_LOG_LEVEL: 'error',
      ...(who ? { ARIADNE_SERVER: server, ARIADNE_TOKEN_FILE: tokens[who] } : {}),
    });
    const exit = await run.exited;
    return { code: exit.code, output: run.output() };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ariadne-notices-cli-'));
    env = await startTestEnv({ env: { ARIADNE_DATA_DIR: join(dir, 'data') } });
    await env.app.listen({ host: '127.0.0.1', port: 0 });
    server = `http://127.0.0.1:${(env.app.server.address() as AddressInfo).port}`;
    const fr = await createUser(env, { username: 'cli-fr', country: 'FR', agency: 'OCRVP' });
    const de = await createUser(env, { username: 'cli-de', country: 'DE', agency: 'BKA' });
    const ga = await createUser(env, { username: 'cli-ga', role: 'global_admin', country: 'IT', agency: 'IPSG' });
    for (const [name, user, scopes] of [['fr', fr, ['read', 'upload']], ['de', de, ['read', 'upload']], ['ga', ga, ['read', 'admin']]] as const) {
      const file = join(dir, `${name}.token`);
      writeFileSync(file, `${(await tokenFor(env, user, scopes)).token}\n`, { mode: 0o600 });
      tokens[name] = file;
    }
    writeFileSync(join(dir, 'green.json'), JSON.stringify(greenBody('Cli')));
  });
  afterAll(async () => {
    await env?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates, lists, requests and publishes a notice, refusing what the rules refuse', async () => {
    const created = await cli('fr', 'notices', 'create', '--kind', 'green', '--body', join(dir, 'green.json'), '--json');
    expect(created.code, created.output).toBe(0);
    const notice = JSON.parse(created.output) as { id: number; reference: string; status: string };
    expect(notice.status).toBe('draft');

    expect((await cli('de', 'notices', 'list')).output).toBe('');
    const own = await cli('fr', 'notices', 'list');
    expect(own.output).toMatch(new RegExp(`^${notice.id}\\t${notice.reference}\\tgreen\\tdraft\\tFR\\tv1\\tCLI, John\\n$`));

    const selfPublish = await cli('fr', 'notices', 'publish', String(notice.id));
    expect(selfPublish.code).toBe(77);
    expect(selfPublish.output).toMatch(/HTTP 403/);
    expect((await cli('ga', 'notices', 'publish', String(notice.id))).code).toBe(75);

    expect((await cli('fr', 'notices', 'request', String(notice.id))).output).toMatch(/requested, version 1, FR/);
    const published = await cli('ga', 'notices', 'publish', String(notice.id));
    expect(published.code, published.output).toBe(0);
    expect(published.output).toMatch(new RegExp(`^${notice.reference} \\(Green Notice, id ${notice.id}\\) published, version 1, FR, contact OCRVP\\nsubject: CLI, John\\n`));

    const seen = await cli('de', 'notices', 'list', '--json');
    expect(JSON.parse(seen.output)).toMatchObject({ notices: [{ id: notice.id, status: 'published' }], next: null });
    const foreign = await cli('de', 'notices', 'update', String(notice.id), '--body', join(dir, 'green.json'));
    expect(foreign.code).toBe(77);
    expect(foreign.output).toMatch(/only the issuing country \(FR\) changes this notice/);
    expect((await cli(null, 'notices', 'list')).output).toMatch(/ARIADNE_SERVER/);
  }, 180_000);

  it('runs an operation from the command line', async () => {
    const op = await cli('fr', 'operations', 'create', '--name', 'Operation CLI', '--json');
    expect(op.code, op.output).toBe(0);
    const id = (JSON.parse(op.output) as { id: number }).id;
    expect((await cli('de', 'operations', 'show', String(id))).code).toBe(66);
    expect((await cli('fr', 'operations', 'post', String(id), 'first briefing at 09:00')).output).toBe(`message 1 posted\n`);
    expect((await cli('fr', 'operations', 'messages', String(id))).output).toMatch(/\tFR\/cli-fr\tfirst briefing at 09:00\n$/);
  }, 120_000);

  it('exports statistics as CSV, as the operator and through the API', async () => {
    const month = new Date().toISOString().slice(0, 7);
    const operator = await cli(null, 'stats', '--csv', '--from', month, '--to', month);
    expect(operator.code, operator.output).toBe(0);
    const lines = operator.output.split('\r\n');
    expect(lines[0]).toBe('country,month,submissions,items,uniqueItems,newItems,series,victimsIdentified,victimsSafeguarded,offendersIdentified,crossCountryMatches,noticesGreen,noticesYellow,operations');
    expect(lines).toContain(`FR,${month},0,0,0,0,0,0,0,0,0,1,0,1`);
    const viaApi = await cli('ga', 'stats', '--csv', '--from', month, '--to', month, '--out', join(dir, 'stats.csv'));
    expect(viaApi.code, viaApi.output).toBe(0);
    expect(readFileSync(join(dir, 'stats.csv'), 'utf8')).toBe(operator.output);
    const table = await cli(null, 'stats', '--from', month, '--to', month);
    expect(table.output).toMatch(new RegExp(`^total\\t${month}\\.\\.${month}\\t`, 'm'));
    expect((await cli('fr', 'stats')).code).toBe(77);
  }, 120_000);
});
