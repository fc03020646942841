import { RenditionReader } from '../../src/storage/inline-blobs.js';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextFor, systemActor } from '../../src/auth/actor.js';
import type { SubmissionReport } from '../../src/ingest/report-service.js';
import { syntheticJpeg, syntheticPng } from '../../bench/hash-corpus.js';
import { createUser, signIn, startTestEnv, type TestEnv, type TestSession, type TestUser } from '../auth/support.js';
import { buildZip } from '../archives/support/zip-writer.js';
import { multipart } from '../cases/support.js';

const operator = contextFor(systemActor('test'));

async function waitComplete(env: TestEnv, id: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const s = await env.container.submissions.get(operator, id);
    if (s.status === 'complete') return;
    if (Date.now() > deadline) throw new Error(`submission ${id} did not complete: ${JSON.stringify(await env.container.submissions.progress(operator, id))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('ingest: upload a seizure, learn what is known and what is new', () => {
  let env: TestEnv;
  let ana: TestUser;
  let anaSession: TestSession;
  let images: Buffer[];

  beforeAll(async () => {
    env = await startTestEnv({ role: 'all', env: { ARIADNE_JOB_POLL_MS: '20' } });
    env.container.start();
    ana = await createUser(env, { username: 'ana', country: 'FR', agency: 'OCRVP' });
    anaSession = await signIn(env, ana);
    images = await Promise.all([0, 1, 2, 3, 4].map((i) => syntheticJpeg(400 + i * 16, 300, 1000 + i)));
    // Image 0 is on a hash list another unit shared: it must come out as known.
    const pdq0 = (await env.container.hashPool().hashBuffer(images[0])).pdq!;
    await env.container.hashSets.importPdqList(operator, { name: 'Shared list', source: 'partner unit', input: Readable.from([`${pdq0},series Alpha\n`]) });
  });

  afterAll(async () => env.close());

  it('ingests files, archives and bad input through the HTTP API and reports new before known', async () => {
    const created = await env.app.inject({ method: 'POST', url: '/api/submissions', headers: anaSession.headers, payload: { reference: 'OP-2026-17', device: 'laptop HDD' } });
    expect(created.statusCode).toBe(201);
    const id = (created.json() as { id: number }).id;

    const recompressed = await sharp(images[0]).jpeg({ quality: 60 }).toBuffer();
    const truncated = images[3].subarray(0, Math.floor(images[3].length / 3));
    const zip = buildZip([
      { name: 'inner/a.png', data: await syntheticPng(200, 150, 77) },
      { name: 'inner/copy-of-1.jpg', data: images[1] },
      { name: '../escape.jpg', data: images[2] },
      { name: 'inner/nested.zip', data: buildZip([{ name: 'deep.jpg', data: images[4] }]) },
    ]);
    const upload = multipart([
      { name: 'DCIM/img0-recompressed.jpg', data: recompressed },
      { name: 'DCIM/img1.jpg', data: images[1] },
      { name: 'DCIM/img1 copy.jpg', data: images[1] },
      { name: 'DCIM/img2.jpg', data: images[2] },
      { name: 'broken/truncated.jpg', data: truncated },
      { name: 'docs/readme.txt', data: Buffer.from('not media') },
      { name: 'empty.bin', data: Buffer.alloc(0) },
      { name: 'archive.zip', data: zip },
    ]);
    const res = await env.app.inject({ method: 'POST', url: `/api/submissions/${id}/files`, headers: { ...anaSession.headers, 'content-type': upload.contentType }, payload: upload.body });
    expect(res.statusCode, res.body).toBe(200);
    expect((res.json() as { files: unknown[] }).files).toHaveLength(8);

    const sealed = await env.app.inject({ method: 'POST', url: `/api/submissions/${id}/seal`, headers: anaSession.headers });
    expect(sealed.statusCode).toBe(200);
    await waitComplete(env, id);

    const r = await env.app.inject({ method: 'GET', url: `/api/submissions/${id}/report`, headers: anaSession.headers });
    expect(r.statusCode).toBe(200);
    const report = r.json() as SubmissionReport;
    const byPath = new Map(report.files.map((f) => [f.path, f]));
    expect(byPath.get('docs/readme.txt')).toMatchObject({ status: 'error', error: expect.stringMatching(/not a supported media file/) });
    expect(byPath.get('empty.bin')).toMatchObject({ status: 'error', error: 'empty file' });
    expect(byPath.get('broken/truncated.jpg')?.status).toBe('error');
    expect(byPath.get('archive.zip')).toMatchObject({ status: 'done', mediaId: null });
    expect(byPath.get('archive.zip!/inner/a.png')?.status).toBe('done');
    expect(byPath.get('archive.zip!/inner/nested.zip!/deep.jpg')?.status).toBe('done');
    const refused = report.files.find((f) => f.path.includes('escape.jpg'));
    // The entry is refused and recorded with its raw name, marked, and with the reason; nothing was stored for it.
    expect(refused).toMatchObject({ status: 'error', sha256: null, path: expect.stringMatching(/^\[refused\] /), error: expect.stringMatching(/\.\.|travers/i) });
    expect(report.files.filter((f) => f.status !== 'error').some((f) => f.path.startsWith('..') || f.path.includes('/../'))).toBe(false);

    // img1 three times (two uploads, one inside the archive), img0 (as a re-compressed copy), img2, a.png, deep.jpg.
    expect(report.totals).toMatchObject({ uniqueItems: 5, duplicates: 2, known: 1, new: 4, pending: 0, containers: 2 });
    expect(report.items.map((i) => i.status)).toEqual(['new', 'new', 'new', 'new', 'known']);
    const known = report.items.find((i) => i.status === 'known')!;
    expect(known.paths).toEqual(['DCIM/img0-recompressed.jpg']);
    expect(known.hits[0]).toMatchObject({ signal: 'pdq', source: 'set', set: 'Shared list', label: 'series Alpha' });
    expect(known.hits[0].distance).toBeLessThanOrEqual(31);
    expect(report.items.find((i) => i.paths.includes('DCIM/img1.jpg'))?.paths).toHaveLength(3);

    const csv = await env.app.inject({ method: 'GET', url: `/api/submissions/${id}/report?format=csv`, headers: anaSession.headers });
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body.split('\r\n')[0]).toBe('path,file_status,sha256,mime,item_status,best_signal,best_distance,best_set,best_label,matched_item_sha256,best_series,best_series_status,best_category,best_baseline,seen_before_countries,error');
    expect(csv.body).toContain('DCIM/img0-recompressed.jpg,done');
    const html = await env.app.inject({ method: 'GET', url: `/api/submissions/${id}/report?format=html`, headers: anaSession.headers });
    expect(html.body).toContain('<h1>Submission');
    expect(html.body).not.toMatch(/<script|<img/);

    // One media item per unique content, with thumbnails kept encrypted (in the database, with the item), and every
    // step audited.
    const db = env.container.database.db;
    expect((await db.selectFrom('media_items').select('id').execute()).length).toBe(5);
    const item = await db.selectFrom('media_items').selectAll().where('sha256', '=', known.sha256).executeTakeFirstOrThrow();
    expect(item).toMatchObject({ kind: 'image', first_country: 'FR' });
    expect(await env.container.blobStore.has(item.thumbnail_sha256!)).toBe(false);
    const thumb = await sharp(await new RenditionReader(db, env.container.blobStore).read(item.thumbnail_sha256!)).raw().toBuffer({ resolveWithObject: true });
    expect(thumb.info.width).toBeLessThanOrEqual(256);
    const actions = (await db.selectFrom('audit_log').select('action').execute()).map((a) => a.action);
    expect(actions.filter((a) => a === 'media.ingest')).toHaveLength(5);
    expect(actions.filter((a) => a === 'media.sighting')).toHaveLength(2);
    expect(actions).toContain('submission.file.refuse');
  });

  it('records a second seizure of the same bytes as a sighting, never a second copy', async () => {
    const bea = await createUser(env, { username: 'bea', country: 'DE', agency: 'BKA' });
    const session = await signIn(env, bea);
    const created = await env.app.inject({ method: 'POST', url: '/api/submissions', headers: session.headers, payload: { reference: 'DE-1' } });
    const id = (created.json() as { id: number }).id;
    const upload = multipart([{ name: 'x/same-as-img2.jpg', data: images[2] }]);
    await env.app.inject({ method: 'POST', url: `/api/submissions/${id}/files`, headers: { ...session.headers, 'content-type': upload.contentType }, payload: upload.body });
    await env.app.inject({ method: 'POST', url: `/api/submissions/${id}/seal`, headers: session.headers });
    await waitComplete(env, id);
    const report = (await env.app.inject({ method: 'GET', url: `/api/submissions/${id}/report`, headers: session.headers })).json() as SubmissionReport;
    expect(report.items).toHaveLength(1);
    expect(report.items[0].seenBefore).toMatchObject({ submissions: 1, countries: ['FR'] });
    expect((await env.container.database.db.selectFrom('media_items').select('id').execute()).length).toBe(5);

    // Another agency's submission is invisible to Ana: 404, not 403, so ids leak nothing.
    for (const url of [`/api/submissions/${id}`, `/api/submissions/${id}/report`]) {
      expect((await env.app.inject({ method: 'GET', url, headers: anaSession.headers })).statusCode).toBe(404);
    }
    const list = (await env.app.inject({ method: 'GET', url: '/api/submissions', headers: anaSession.headers })).json() as { submissions: Array<{ id: number }> };
    expect(list.submissions.map((s) => s.id)).not.toContain(id);
  });

  it('matches an uploaded file, its mirror image included, without storing it', async () => {
    const mirrored = await sharp(images[2]).flop().jpeg({ quality: 90 }).toBuffer();
    const upload = multipart([{ name: 'query.jpg', data: mirrored }]);
    const before = (await env.container.database.db.selectFrom('media_items').select('id').execute()).length;
    const res = await env.app.inject({ method: 'POST', url: '/api/match', headers: { ...anaSession.headers, 'content-type': upload.contentType }, payload: upload.body });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { matches: Array<{ queryVariant: string; source: string; distance: number }>; known: boolean };
    expect(body.matches.some((m) => m.source === 'media' && m.queryVariant === 'flipY' && m.distance <= 31)).toBe(true);
    expect((await env.container.database.db.selectFrom('media_items').select('id').execute()).length).toBe(before);
  });
});
