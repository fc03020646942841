import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { syntheticJpeg } from '../../bench/hash-corpus.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { missing } from '../support/requirements.js';
import {
  apiClient,
  cli,
  createPgDatabase,
  investigatorToken,
  matchSha256,
  multipart,
  processEnv,
  resolvable,
  serve,
  startS3,
  stop,
  submit,
  waitComplete,
  type DeploymentSettings,
  type MatchAnswer,
  type S3Server,
  type ServeProcess,
} from './cluster.js';

const pgUrl = inject('pgUrl');
const skip =
  missing('PostgreSQL server binaries (apt-get install postgresql) for the scale-out test', pgUrl !== '') ??
  missing('s3rver (npm dev dependency) for the scale-out test', resolvable('s3rver'));

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/**
 * Issue 11: one PostgreSQL database, one S3-protocol server, two `serve --role api` and two `serve --role worker`
 * processes of the compiled CLI. Ingest through one API, match through the other; SIGKILL a worker holding jobs and
 * show each file completed exactly once by the other; restart an API process and show it answers from its
 * snapshot plus catch-up.
 */
describe.skipIf(skip)('scale-out: PostgreSQL, S3, two API processes and two workers', () => {
  let dir: string;
  let s3: S3Server;
  let pgDb: { url: string; drop(): Promise<void> };
  let settings: DeploymentSettings;
  let database: Database;
  let token: string;
  const procs: ServeProcess[] = [];
  let api1: ServeProcess;
  let api2: ServeProcess;
  let worker1: ServeProcess;
  let worker2: ServeProcess;
  const env = (name: string) => processEnv(settings, join(dir, name));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ariadne-scale-out-'));
    s3 = await startS3(join(dir, 's3'), ['ariadne-blobs']);
    pgDb = await createPgDatabase(pgUrl);
    settings = {
      databaseUrl: pgDb.url,
      s3Endpoint: s3.endpoint,
      bucket: 'ariadne-blobs',
      masterKeyHex: randomBytes(32).toString('hex'),
      extra: { ARIADNE_JOB_LEASE_MS: '1500', ARIADNE_JOB_POLL_MS: '50', ARIADNE_INDEX_REFRESH_MS: '200', ARIADNE_JOB_CONCURRENCY: '2', ARIADNE_SHUTDOWN_TIMEOUT_MS: '5000' },
    };
    // The CLI migrates the empty database before the servers start; then every process shares it.
    token = await investigatorToken(env('cli'), 'ana');
    [api1, api2, worker1, worker2] = await Promise.all([serve('api', env('api1')), serve('api', env('api2')), serve('worker', env('worker1')), serve('worker', env('worker2'))]);
    procs.push(api1, api2, worker1, worker2);
    database = await openDatabase({ dialect: 'postgres', url: pgDb.url, poolSize: 2 });
  }, 90_000);

  afterAll(async () => {
    await Promise.all(procs.map((p) => stop(p.proc)));
    await database?.close();
    await pgDb?.drop();
    await s3?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('an item ingested through API 1 is matchable through API 2 within the bound', async () => {
    const image = await syntheticJpeg(400, 300, 1101);
    const id = await submit(api1.url!, token, 'SCALE-1', [{ name: 'one.jpg', data: image }]);
    await waitComplete(api1.url!, token, id, 30_000);
    const completedAt = Date.now();
    let item: number | null = null;
    while (item === null && Date.now() - completedAt < 10_000) {
      item = await matchSha256(api2.url!, token, sha256(image));
      if (item === null) await new Promise((r) => setTimeout(r, 20));
    }
    const propagationMs = Date.now() - completedAt;
    console.info(`scale-out: propagation to the other API process ${propagationMs} ms`);
    expect(item).not.toBeNull();
    expect(propagationMs).toBeLessThan(5000);
    // The same bytes uploaded to API 2 for matching: hashed there, found by SHA-256 and PDQ.
    const form = multipart([{ name: 'query.jpg', data: image }]);
    const answer = await apiClient(token).post<MatchAnswer>(`${api2.url!}/api/match`, form.body, form.contentType);
    expect(new Set(answer.matches.filter((m) => m.item !== null).map((m) => m.signal))).toEqual(new Set(['sha256', 'pdq', 'md5', 'sha1']));
    expect(answer.matches.every((m) => m.item === null || m.item.id === item)).toBe(true);
    // Both API processes answer the same.
    expect(await matchSha256(api1.url!, token, sha256(image))).toBe(item);
  }, 40_000);

  it('SIGKILL of a worker mid-job: every file completes exactly once; a restarted API process serves from snapshot + catch-up', async () => {
    // API 2 stops (saving its index snapshot) while the batch is ingested, so its restart must catch up.
    await stop(api2.proc);
    expect(readdirSync(join(dir, 'api2', 'index')).length).toBeGreaterThan(0);

    const images = await Promise.all(Array.from({ length: 40 }, (_, i) => syntheticJpeg(640 + (i % 4) * 32, 480, 2200 + i)));
    const files = images.map((data, i) => ({ name: `batch/img-${i}.jpg`, data }));
    // Kill worker 1 while it holds running ingest jobs (its worker id is host:pid:…); jobs start as files arrive.
    const pid = String(worker1.proc.child.pid);
    const seen = new Set<string>();
    const heldBy = async () =>
      (await database.db.selectFrom('jobs').select(['id', 'locked_by']).where('kind', '=', 'ingest.file').where('status', '=', 'running').execute())
        .filter((r) => r.locked_by?.split(':').at(-2) === pid)
        .map((r) => Number(r.id));
    const killer = (async () => {
      const deadline = Date.now() + 40_000;
      for (;;) {
        const rows = await database.db.selectFrom('jobs').select(['id', 'locked_by']).where('kind', '=', 'ingest.file').where('status', '=', 'running').execute();
        for (const r of rows) if (r.locked_by) seen.add(r.locked_by);
        if (rows.some((r) => r.locked_by?.split(':').at(-2) === pid)) {
          worker1.proc.child.kill('SIGKILL');
          await worker1.proc.exited;
          // The jobs it still held when it died (it can change nothing any more; its lease has not expired yet).
          return heldBy();
        }
        if (Date.now() > deadline) throw new Error(`worker 1 (pid ${pid}) never held a job; holders seen: ${[...seen].join(', ')}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const id = await submit(api1.url!, token, 'SCALE-KILL', files);
    const held = await killer;
    expect((await worker1.proc.exited).signal).toBe('SIGKILL');
    expect(held.length).toBeGreaterThan(0);

    await waitComplete(api1.url!, token, id, 60_000);
    // The jobs the dead worker held were taken over once its lease expired, and finished once.
    const taken = await database.db.selectFrom('jobs').select(['id', 'status', 'attempts', 'locked_by']).where('id', 'in', held).execute();
    expect(taken).toHaveLength(held.length);
    for (const job of taken) {
      expect(job.status).toBe('done');
      expect(Number(job.attempts)).toBeGreaterThanOrEqual(2);
      expect(job.locked_by).toBeNull();
    }
    const rows = await database.db.selectFrom('submission_files').select(['status', 'media_id']).where('submission_id', '=', id).execute();
    expect(rows).toHaveLength(images.length);
    expect(rows.every((r) => r.status === 'done' && r.media_id !== null)).toBe(true);
    expect(new Set(rows.map((r) => r.media_id)).size).toBe(images.length);
    const media = await database.db.selectFrom('media_items').select(['id', 'sha256']).execute();
    expect(media).toHaveLength(images.length + 1);
    expect(new Set(media.map((m) => m.sha256)).size).toBe(media.length);
    const ingests = await database.db.selectFrom('audit_log').select('object_id').where('action', '=', 'media.ingest').execute();
    expect(ingests).toHaveLength(media.length);
    expect(new Set(ingests.map((a) => a.object_id)).size).toBe(media.length);
    const entries = await database.db.selectFrom('signal_entries').select(['media_id', 'signal', 'variant']).execute();
    const keys = entries.map((e) => `${e.media_id}/${e.signal}/${e.variant}`);
    expect(new Set(keys).size).toBe(keys.length);

    // API 2 restarts from its snapshot and catches up with everything ingested while it was down.
    const restarted = await serve('api', env('api2'));
    procs.push(restarted);
    expect(restarted.proc.output()).toMatch(/index loaded from snapshot/);
    expect(restarted.proc.output()).not.toMatch(/rebuilding|index built from the database/);
    const bySha = new Map(media.map((m) => [m.sha256, Number(m.id)]));
    for (const image of images) expect(await matchSha256(restarted.url!, token, sha256(image))).toBe(bySha.get(sha256(image)));

    // The surviving worker keeps ingesting; the restarted API process keeps up with new items.
    const late = await syntheticJpeg(500, 360, 3301);
    const lateId = await submit(api1.url!, token, 'SCALE-LATE', [{ name: 'late.jpg', data: late }]);
    await waitComplete(api1.url!, token, lateId, 30_000);
    const from = Date.now();
    let found: number | null = null;
    while (found === null && Date.now() - from < 5000) {
      found = await matchSha256(restarted.url!, token, sha256(late));
      if (found === null) await new Promise((r) => setTimeout(r, 20));
    }
    expect(found).not.toBeNull();
    // The audit chain written by four processes is intact.
    await expect(cli(['audit', 'verify'], env('cli'))).resolves.toMatch(/audit chain intact/);
  }, 90_000);
});
