import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { DbJobQueue } from '../../src/jobs/db-job-queue.js';
import { LocalBlobStore } from '../../src/storage/local-blob-store.js';
import { createKeyring, loadOrCreateMasterKey } from '../../src/storage/master-key.js';
import { spawnNode, type Spawned } from '../support/processes.js';

/** The real `ariadne serve` (compiled CLI) on a temporary data directory. */
describe('ariadne serve on the embedded default', () => {
  let dataDir: string;
  const env = () => ({ ARIADNE_DATA_DIR: dataDir, ARIADNE_PORT: '0', ARIADNE_LOG_LEVEL: 'info' });

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'ariadne-serve-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  async function start(): Promise<{ proc: Spawned; url: string }> {
    const proc = spawnNode('dist/src/cli/main.js', ['serve'], env());
    const [, url] = await proc.waitFor(/listening on (http:\/\/\S+) /, 30_000);
    return { proc, url };
  }

  it('answers /api/health with 200, keeps its data across restarts, and exits 0 on SIGTERM', async () => {
    const first = await start();
    const health = await fetch(`${first.url}/api/health`);
    expect(health.status).toBe(200);
    const body = (await health.json()) as { status: string; database: { dialect: string; schemaVersion: number }; blobStore: { kind: string } };
    expect(body).toMatchObject({ status: 'ok', database: { dialect: 'sqlite' }, blobStore: { kind: 'local' } });
    expect(body.database.schemaVersion).toBeGreaterThan(0);
    expect(health.headers.get('x-request-id')).toBeTruthy();
    first.proc.child.kill('SIGTERM');
    expect(await first.proc.exited).toEqual({ code: 0, signal: null });
    expect(first.proc.output()).toMatch(/"msg":"stopped"/);

    // Data written under the server's master key stays readable across a restart.
    const keyFile = join(dataDir, 'keys', 'master.key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const keyBefore = readFileSync(keyFile, 'utf8');
    const store = await LocalBlobStore.open({ root: join(dataDir, 'blobs'), keyring: createKeyring(await loadOrCreateMasterKey(keyFile)) });
    const put = await store.put(Buffer.from('evidence survives restarts'));
    await store.close();
    const database = await openDatabase({ dialect: 'sqlite', path: join(dataDir, 'ariadne.sqlite') });
    await new DbJobQueue({ db: database.db, dialect: 'sqlite', defaultMaxAttempts: 3 }).enqueue('unknown.kind', { keep: true }, { runAt: Date.now() + 3_600_000 });
    await database.close();

    const second = await start();
    expect((await fetch(`${second.url}/api/health`)).status).toBe(200);
    expect(readFileSync(keyFile, 'utf8')).toBe(keyBefore);
    second.proc.child.kill('SIGTERM');
    expect((await second.proc.exited).code).toBe(0);
    const reopened = await LocalBlobStore.open({ root: join(dataDir, 'blobs'), keyring: createKeyring(await loadOrCreateMasterKey(keyFile)) });
    expect((await reopened.getBuffer(put.sha256)).toString()).toBe('evidence survives restarts');
    await reopened.close();
    const db2 = await openDatabase({ dialect: 'sqlite', path: join(dataDir, 'ariadne.sqlite') });
    expect((await new DbJobQueue({ db: db2.db, dialect: 'sqlite', defaultMaxAttempts: 3 }).stats()).queued).toBe(1);
    await db2.close();
  });

  it('stops at start-up with a message naming an invalid setting', async () => {
    const proc = spawnNode('dist/src/cli/main.js', ['serve'], { ...env(), ARIADNE_PORT: 'eighty' });
    const exit = await proc.exited;
    expect(exit.code).toBe(78);
    expect(proc.output()).toContain('ARIADNE_PORT: must be a whole number');
  });

  it('prints its version and help', async () => {
    const version = spawnNode('dist/src/cli/main.js', ['--version'], env());
    expect((await version.exited).code).toBe(0);
    expect(version.output().trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = spawnNode('bin/ariadne.js', ['--help'], env());
    expect((await help.exited).code).toBe(0);
    expect(help.output()).toMatch(/serve/);
  });
});

/** Crash safety of jobs: a server killed mid-job completes it exactly once after a restart. */
describe('jobs across a crash', () => {
  let dataDir: string;
  let marker: string;
  const env = () => ({
    ARIADNE_DATA_DIR: dataDir,
    ARIADNE_PORT: '0',
    ARIADNE_LOG_LEVEL: 'warn',
    ARIADNE_JOB_LEASE_MS: '1500',
    ARIADNE_JOB_POLL_MS: '50',
    FIXTURE_MARKER_FILE: marker,
  });

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'ariadne-crash-'));
    marker = join(dataDir, 'marker.log');
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  async function queue() {
    const database = await openDatabase({ dialect: 'sqlite', path: join(dataDir, 'ariadne.sqlite') });
    await migrateToLatest(database.db as Kysely<unknown>, 'sqlite');
    return { database, queue: new DbJobQueue({ db: database.db, dialect: 'sqlite', defaultMaxAttempts: 3 }) };
  }

  async function waitUntil(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: string) {
    const deadline = Date.now() + timeoutMs;
    while (!(await predicate())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('SIGKILL during a job, restart: the job completes exactly once', async () => {
    const { database, queue: q } = await queue();
    const { id } = await q.enqueue('fixture.slow', { ms: 1500 });
    const first = spawnNode('dist/test/fixtures/serve-with-slow-job.js', [], env());
    await first.waitFor(/READY/);
    await waitUntil(() => existsSync(marker) && readFileSync(marker, 'utf8').includes('attempt 1'), 20_000, 'the job to start');
    first.child.kill('SIGKILL');
    await first.exited;
    expect((await q.get(id))?.status).toBe('running');

    const second = spawnNode('dist/test/fixtures/serve-with-slow-job.js', [], env());
    await second.waitFor(/READY/);
    await waitUntil(async () => (await q.get(id))?.status === 'done', 30_000, 'the job to finish after the restart');
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);

    const job = await q.get(id);
    expect(job).toMatchObject({ status: 'done', attempts: 2 });
    const effects = await database.db.selectFrom('jobs').select('payload').where('kind', '=', 'fixture.effect').execute();
    expect(effects.map((e) => JSON.parse(e.payload))).toEqual([{ of: id }]);
    expect(readFileSync(marker, 'utf8').trim().split('\n')).toHaveLength(2);
    await database.close();
  });

  it('SIGTERM during a job: the server finishes it before exiting', async () => {
    rmSync(marker, { force: true });
    const { database, queue: q } = await queue();
    const { id } = await q.enqueue('fixture.slow', { ms: 1000 });
    const proc = spawnNode('dist/test/fixtures/serve-with-slow-job.js', [], env());
    await proc.waitFor(/READY/);
    await waitUntil(() => existsSync(marker), 20_000, 'the job to start');
    proc.child.kill('SIGTERM');
    expect((await proc.exited).code).toBe(0);
    expect(await q.get(id)).toMatchObject({ status: 'done', attempts: 1 });
    await database.close();
  });
});
