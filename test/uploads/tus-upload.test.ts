import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { LightMyRequestResponse } from 'fastify';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextFor, systemActor } from '../../src/auth/actor.js';
import { UploadService } from '../../src/uploads/upload-service.js';
import { UploadStore } from '../../src/uploads/upload-store.js';
import { createUser, signIn, startTestEnv, tokenFor, type TestEnv, type TestUser } from '../auth/support.js';

/**
 * Resumable uploads (tus 1.0.0) end to end through the real application: creation, PATCHes, HEAD, termination,
 * expiry, the encrypted chunks on disk, and the completed file ingested into its submission.
 */
const TUS = { 'tus-resumable': '1.0.0' };
const GIB = 1024 ** 3;

type Method = 'OPTIONS' | 'POST' | 'HEAD' | 'PATCH' | 'DELETE' | 'GET';

function metadata(pairs: Record<string, string>): string {
  return Object.entries(pairs)
    .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
    .join(',');
}

describe('resumable uploads (tus)', () => {
  let env: TestEnv;
  let ana: TestUser;
  let anaToken: Record<string, string>;
  let carlToken: Record<string, string>;
  let beaToken: Record<string, string>;
  let submissionId: number;
  let jpeg: Buffer;
  let uploadsDir: string;

  const call = (method: Method, url: string, headers: Record<string, string>, payload?: Buffer | string): Promise<LightMyRequestResponse> =>
    env.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });

  const patch = (url: string, headers: Record<string, string>, offset: number, body: Buffer) =>
    call('PATCH', url, { ...headers, ...TUS, 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' }, body);

  async function createUpload(headers: Record<string, string>, length: number, filename: string, into = submissionId): Promise<string> {
    const res = await call('POST', '/api/uploads', { ...headers, ...TUS, 'upload-length': String(length), 'upload-metadata': metadata({ submissionId: String(into), filename }) });
    expect(res.statusCode, res.body).toBe(201);
    const location = res.headers.location;
    expect(location).toMatch(/^\/api\/uploads\/[0-9a-f]{32}$/);
    return String(location);
  }

  const idOf = (url: string) => url.split('/').pop()!;

  async function waitForFile(fileId: number): Promise<{ status: string; blob_sha256: string | null; size: number | null }> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const row = await env.container.database.db.selectFrom('submission_files').select(['status', 'blob_sha256', 'size']).where('id', '=', fileId).executeTakeFirstOrThrow();
      if (row.status !== 'pending') return { status: row.status, blob_sha256: row.blob_sha256, size: row.size === null ? null : Number(row.size) };
      if (Date.now() > deadline) throw new Error(`file ${fileId} was not processed`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  beforeAll(async () => {
    env = await startTestEnv({ role: 'all', env: { ARIADNE_JOB_POLL_MS: '20' } });
    env.container.start();
    uploadsDir = join(env.container.config.dataDir, 'uploads');
    ana = await createUser(env, { username: 'ana', country: 'FR', agency: 'OCRVP' });
    const carl = await createUser(env, { username: 'carl', country: 'FR', agency: 'OCRVP' });
    const bea = await createUser(env, { username: 'bea', country: 'DE', agency: 'BKA' });
    anaToken = (await tokenFor(env, ana, ['upload'])).headers;
    carlToken = (await tokenFor(env, carl, ['upload'])).headers;
    beaToken = (await tokenFor(env, bea, ['upload'])).headers;
    const created = await call('POST', '/api/submissions', { ...anaToken, 'content-type': 'application/json' }, JSON.stringify({ reference: 'OP-TUS' }));
    expect(created.statusCode, created.body).toBe(201);
    submissionId = (created.json() as { id: number }).id;
    // Noise compresses badly: a JPEG of several 64 KiB envelope segments.
    jpeg = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).jpeg({ quality: 92 }).toBuffer();
    expect(jpeg.length).toBeGreaterThan(200_000);
  });

  afterAll(async () => env?.close());

  it('describes itself on OPTIONS', async () => {
    const res = await call('OPTIONS', '/api/uploads', anaToken);
    expect(res.statusCode).toBe(204);
    expect(res.headers['tus-version']).toBe('1.0.0');
    expect(res.headers['tus-resumable']).toBe('1.0.0');
    expect(String(res.headers['tus-extension']).split(',')).toEqual(expect.arrayContaining(['creation', 'termination', 'expiration']));
    expect(Number(res.headers['tus-max-size'])).toBe(8 * GIB);
    const doc = (await call('GET', '/api/openapi.json', {})).json() as { paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string }> }>> };
    expect(Object.keys(doc.paths['/api/uploads/{id}'])).toEqual(expect.arrayContaining(['delete', 'patch']));
    expect(Object.keys(doc.paths['/api/uploads'])).toContain('post');
    expect(doc.paths['/api/uploads/{id}'].patch.parameters?.some((p) => p.in === 'header' && p.name === 'upload-offset')).toBe(true);
  });

  it('takes a JPEG in several PATCHes, resumes after an interruption, and ingests it into the submission', async () => {
    const url = await createUpload(anaToken, jpeg.length, 'DCIM/100/big.jpg');
    const id = idOf(url);
    const cuts = [0, 70_001, 150_000, jpeg.length];

    const first = await patch(url, anaToken, 0, jpeg.subarray(cuts[0], cuts[1]));
    expect(first.statusCode, first.body).toBe(204);
    expect(first.headers['upload-offset']).toBe(String(cuts[1]));
    expect(first.headers['tus-resumable']).toBe('1.0.0');
    const expires = Date.parse(String(first.headers['upload-expires']));
    expect(expires).toBeGreaterThan(Date.now() + 23 * 3_600_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 24 * 3_600_000);

    // The client lost the answer: it asks where the server is, and a PATCH at any other offset is refused.
    const head = await call('HEAD', url, { ...anaToken, ...TUS });
    expect(head.statusCode).toBe(200);
    expect(head.headers['upload-offset']).toBe(String(cuts[1]));
    expect(head.headers['upload-length']).toBe(String(jpeg.length));
    expect(head.headers['cache-control']).toBe('no-store');
    expect(head.headers['upload-metadata']).toBe(metadata({ submissionId: String(submissionId), filename: 'DCIM/100/big.jpg' }));
    for (const wrong of [0, cuts[1] - 1, cuts[1] + 1]) {
      const res = await patch(url, anaToken, wrong, jpeg.subarray(wrong, cuts[2]));
      expect(res.statusCode, `offset ${wrong}`).toBe(409);
    }
    expect((await call('HEAD', url, { ...anaToken, ...TUS })).headers['upload-offset']).toBe(String(cuts[1]));

    const second = await patch(url, anaToken, cuts[1], jpeg.subarray(cuts[1], cuts[2]));
    expect(second.statusCode).toBe(204);
    expect(second.headers['upload-offset']).toBe(String(cuts[2]));

    // At rest the partial upload is sealed: no chunk (nor the info file) holds the plaintext.
    const files = readdirSync(join(uploadsDir, id));
    expect(files.filter((f) => f.endsWith('.chunk'))).toHaveLength(2);
    const distinctive = [jpeg.subarray(1000, 1048), jpeg.subarray(100_000, 100_048), jpeg.subarray(0, 4)];
    for (const f of files) {
      const bytes = readFileSync(join(uploadsDir, id, f));
      for (const run of distinctive) expect(bytes.includes(run), `${f} holds plaintext`).toBe(false);
    }
    const info = JSON.parse(readFileSync(join(uploadsDir, id, 'info.json'), 'utf8')) as Record<string, unknown>;
    expect(info).toMatchObject({ userId: ana.id, submissionId, length: jpeg.length, offset: cuts[2], path: 'DCIM/100/big.jpg' });

    const last = await patch(url, anaToken, cuts[2], jpeg.subarray(cuts[2]));
    expect(last.statusCode, last.body).toBe(204);
    expect(last.headers['upload-offset']).toBe(String(jpeg.length));
    expect(last.headers['upload-expires']).toBeUndefined();
    const fileId = Number(last.headers['x-ariadne-file-id']);
    expect(fileId).toBeGreaterThan(0);

    // The chunks are gone; the record (no content) answers HEAD with the full offset until it expires.
    expect(readdirSync(join(uploadsDir, id))).toEqual(['info.json']);
    const done = await call('HEAD', url, { ...anaToken, ...TUS });
    expect(done.headers['upload-offset']).toBe(String(jpeg.length));

    const file = await waitForFile(fileId);
    expect(file.status).toBe('done');
    expect(file.size).toBe(jpeg.length);
    expect((await env.container.blobStore.getBuffer(file.blob_sha256!)).equals(jpeg)).toBe(true);
    const row = await env.container.database.db.selectFrom('submission_files').select(['path', 'submission_id']).where('id', '=', fileId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ path: 'DCIM/100/big.jpg', submission_id: submissionId });
    const media = await env.container.database.db.selectFrom('media_items').select('kind').where('sha256', '=', file.blob_sha256!).executeTakeFirstOrThrow();
    expect(media.kind).toBe('image');
    const progress = await env.container.submissions.progress(contextFor(systemActor('test')), submissionId);
    expect(progress).toMatchObject({ files: 1, done: 1, pending: 0 });
  });

  it('counts only chunks that were completely written: the offset survives a crash between chunk and record', async () => {
    const data = Buffer.from('0123456789'.repeat(100));
    const url = await createUpload(anaToken, data.length, 'crash/notes.bin');
    const id = idOf(url);
    expect((await patch(url, anaToken, 0, data.subarray(0, 400))).statusCode).toBe(204);
    // A crash after the chunk was renamed into place but before info.json was rewritten, and a half-written
    // temporary chunk from a PATCH that died: the offset is what the renamed chunks prove.
    const infoPath = join(uploadsDir, id, 'info.json');
    const info = JSON.parse(readFileSync(infoPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(infoPath, JSON.stringify({ ...info, offset: 0 }));
    writeFileSync(join(uploadsDir, id, '.deadbeefdeadbeef.tmp'), Buffer.from('ARDB garbage'));
    const head = await call('HEAD', url, { ...anaToken, ...TUS });
    expect(head.headers['upload-offset']).toBe('400');
    expect((await patch(url, anaToken, 0, data)).statusCode).toBe(409);
    const last = await patch(url, anaToken, 400, data.subarray(400));
    expect(last.statusCode, last.body).toBe(204);
    const file = await waitForFile(Number(last.headers['x-ariadne-file-id']));
    expect(await env.container.blobStore.getBuffer(file.blob_sha256!)).toEqual(data);
    expect(readdirSync(join(uploadsDir, id))).toEqual(['info.json']);
  });

  it('keeps the bytes of a PATCH body that breaks off (the client\'s connection dies)', async () => {
    const data = Buffer.alloc(300_000, 7);
    const url = await createUpload(anaToken, data.length, 'partial/sevens.bin');
    await env.app.listen({ host: '127.0.0.1', port: 0 });
    const address = env.app.server.address() as AddressInfo;
    const req = request({
      host: '127.0.0.1',
      port: address.port,
      method: 'PATCH',
      path: url,
      headers: { ...anaToken, ...TUS, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream', 'content-length': String(data.length) },
    });
    req.on('error', () => undefined);
    req.write(data.subarray(0, 100_000));
    await new Promise((r) => setTimeout(r, 300));
    req.destroy();
    // The server notices, seals what arrived and counts it.
    const deadline = Date.now() + 10_000;
    let offset = '0';
    while (offset === '0' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      offset = String((await call('HEAD', url, { ...anaToken, ...TUS })).headers['upload-offset']);
    }
    expect(offset).toBe('100000');
    const rest = await patch(url, anaToken, 100_000, data.subarray(100_000));
    expect(rest.statusCode, rest.body).toBe(204);
    const file = await waitForFile(Number(rest.headers['x-ariadne-file-id']));
    expect((await env.container.blobStore.getBuffer(file.blob_sha256!)).equals(data)).toBe(true);
  });

  it('ends a PATCH body that goes silent, keeping what arrived', async () => {
    const c = env.container;
    const uploads = new UploadService({ store: new UploadStore(uploadsDir, c.keyring), submissions: c.submissions, policy: c.access.policy, maxSize: 1_000_000, expiryMs: 3_600_000, bodyIdleMs: 150 });
    const url = await createUpload(anaToken, 5000, 'silent/a.bin');
    let pushed = false;
    const body = new Readable({
      read() {
        if (!pushed) this.push(Buffer.alloc(1234, 4));
        pushed = true;
      },
    });
    const ctx = contextFor({
      kind: 'user', userId: ana.id, username: ana.username, role: ana.role, countryCode: ana.countryCode, agencyId: ana.agencyId,
      certifiedUntil: Date.now() + 86_400_000, credential: { kind: 'token', tokenId: 1, scopes: ['upload'] },
    });
    const started = Date.now();
    const result = await uploads.append(ctx, idOf(url), 0, body);
    expect(result.offset).toBe(1234);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(body.destroyed).toBe(true);
    expect((await call('HEAD', url, { ...anaToken, ...TUS })).headers['upload-offset']).toBe('1234');
  });

  it('answers 404 to anyone but the upload\'s owner, and 401 to anonymous callers', async () => {
    const url = await createUpload(anaToken, 1000, 'private/a.bin');
    expect((await patch(url, anaToken, 0, Buffer.alloc(10, 1))).statusCode).toBe(204);
    for (const other of [carlToken, beaToken]) {
      expect((await call('HEAD', url, { ...other, ...TUS })).statusCode).toBe(404);
      expect((await patch(url, other, 10, Buffer.alloc(10, 2))).statusCode).toBe(404);
      expect((await call('DELETE', url, { ...other, ...TUS })).statusCode).toBe(404);
    }
    for (const method of ['HEAD', 'DELETE'] as const) expect((await call(method, url, TUS)).statusCode).toBe(401);
    expect((await patch(url, {}, 10, Buffer.alloc(10, 2))).statusCode).toBe(401);
    // Nothing changed for the owner.
    expect((await call('HEAD', url, { ...anaToken, ...TUS })).headers['upload-offset']).toBe('10');
    // Another agency cannot start an upload into Ana's submission either, and nothing is created for it.
    const before = readdirSync(uploadsDir).length;
    const res = await call('POST', '/api/uploads', { ...beaToken, ...TUS, 'upload-length': '10', 'upload-metadata': metadata({ submissionId: String(submissionId), filename: 'x.jpg' }) });
    expect(res.statusCode).toBe(404);
    expect(readdirSync(uploadsDir)).toHaveLength(before);
  });

  it('works from a browser session with the CSRF header, and refuses it without', async () => {
    const session = await signIn(env, ana);
    const url = await createUpload(session.headers, 5, 'browser/x.bin');
    const withoutCsrf = await patch(url, { cookie: session.cookie }, 0, Buffer.from('hello'));
    expect(withoutCsrf.statusCode).toBe(403);
    expect((await patch(url, session.headers, 0, Buffer.from('hello'))).statusCode).toBe(204);
  });

  it('refuses uploads above Tus-Max-Size and bodies beyond Upload-Length with 413', async () => {
    const big = await call('POST', '/api/uploads', { ...anaToken, ...TUS, 'upload-length': String(8 * GIB + 1), 'upload-metadata': metadata({ submissionId: String(submissionId), filename: 'huge.bin' }) });
    expect(big.statusCode).toBe(413);
    const url = await createUpload(anaToken, 100, 'small.bin');
    const over = await patch(url, anaToken, 0, Buffer.alloc(101, 3));
    expect(over.statusCode).toBe(413);
    expect((await call('HEAD', url, { ...anaToken, ...TUS })).headers['upload-offset']).toBe('0');
    expect(readdirSync(join(uploadsDir, idOf(url)))).toEqual(['info.json']);
  });

  it('speaks only tus 1.0.0 and validates what it is given', async () => {
    const url = await createUpload(anaToken, 100, 'proto.bin');
    const noVersion = await call('HEAD', url, anaToken);
    expect(noVersion.statusCode).toBe(412);
    expect(noVersion.headers['tus-version']).toBe('1.0.0');
    const wrongType = await call('PATCH', url, { ...anaToken, ...TUS, 'upload-offset': '0', 'content-type': 'application/octet-stream' }, Buffer.alloc(5));
    expect(wrongType.statusCode).toBe(415);
    const noOffset = await call('PATCH', url, { ...anaToken, ...TUS, 'content-type': 'application/offset+octet-stream' }, Buffer.alloc(5));
    expect(noOffset.statusCode).toBe(400);
    for (const [headers, why] of [
      [{ 'upload-metadata': metadata({ submissionId: String(submissionId), filename: 'x' }) }, 'no length'],
      [{ 'upload-length': '5', 'upload-metadata': metadata({ filename: 'x' }) }, 'no submission'],
      [{ 'upload-length': '5', 'upload-metadata': metadata({ submissionId: String(submissionId) }) }, 'no filename'],
      [{ 'upload-length': '5', 'upload-metadata': metadata({ submissionId: String(submissionId), filename: '../../etc/passwd' }) }, 'traversal'],
      [{ 'upload-length': '5', 'upload-metadata': 'filename !!notbase64' }, 'bad base64'],
      [{ 'upload-length': '-5', 'upload-metadata': metadata({ submissionId: String(submissionId), filename: 'x' }) }, 'negative length'],
    ] as const) {
      const res = await call('POST', '/api/uploads', { ...anaToken, ...TUS, ...headers });
      expect(res.statusCode, why).toBe(400);
    }
  });

  it('terminates an upload and deletes its chunks', async () => {
    const url = await createUpload(anaToken, 1000, 'gone.bin');
    expect((await patch(url, anaToken, 0, Buffer.alloc(500, 9))).statusCode).toBe(204);
    expect(existsSync(join(uploadsDir, idOf(url)))).toBe(true);
    expect((await call('DELETE', url, { ...anaToken, ...TUS })).statusCode).toBe(204);
    expect(existsSync(join(uploadsDir, idOf(url)))).toBe(false);
    expect((await call('HEAD', url, { ...anaToken, ...TUS })).statusCode).toBe(404);
    expect((await patch(url, anaToken, 500, Buffer.alloc(500, 9))).statusCode).toBe(404);
  });

  it('removes expired uploads: lazily when asked for, and by the sweep', async () => {
    const fresh = await createUpload(anaToken, 1000, 'fresh.bin');
    const stale = await createUpload(anaToken, 1000, 'stale.bin');
    expect((await patch(stale, anaToken, 0, Buffer.alloc(100, 5))).statusCode).toBe(204);
    const lapsed = await createUpload(anaToken, 1000, 'lapsed.bin');

    // One whose expiry passed is gone as soon as anyone asks for it.
    const infoPath = join(uploadsDir, idOf(lapsed), 'info.json');
    const info = JSON.parse(readFileSync(infoPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(infoPath, JSON.stringify({ ...info, expiresAt: Date.now() - 1 }));
    expect((await call('HEAD', lapsed, { ...anaToken, ...TUS })).statusCode).toBe(404);
    expect(existsSync(join(uploadsDir, idOf(lapsed)))).toBe(false);

    // The sweep leaves live uploads alone, and removes every one 24 hours on.
    expect(await env.container.uploads.sweep()).toBe(0);
    expect(existsSync(join(uploadsDir, idOf(stale)))).toBe(true);
    const removed = await env.container.uploads.sweep(Date.now() + 24 * 3_600_000 + 60_000);
    expect(removed).toBeGreaterThanOrEqual(2);
    for (const url of [fresh, stale]) {
      expect(existsSync(join(uploadsDir, idOf(url)))).toBe(false);
      expect((await call('HEAD', url, { ...anaToken, ...TUS })).statusCode).toBe(404);
    }
    expect(readdirSync(uploadsDir)).toEqual([]);
  });
});

describe('expired uploads at start-up', () => {
  it('are removed when the container starts (the sweep then repeats on an unref\'d timer)', async () => {
    const env = await startTestEnv();
    try {
      const root = join(env.container.config.dataDir, 'uploads');
      const store = new UploadStore(root, env.container.keyring);
      const base = { version: 1, userId: 1, submissionId: 1, path: 'x.bin', mtime: null, length: 10, offset: 0, metadata: {}, createdAt: 0, completed: null } as const;
      await store.create({ ...base, id: '1'.repeat(32), expiresAt: Date.now() - 1000 });
      await store.create({ ...base, id: '2'.repeat(32), expiresAt: Date.now() + 3_600_000 });
      env.container.start();
      const deadline = Date.now() + 10_000;
      while (existsSync(join(root, '1'.repeat(32))) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(existsSync(join(root, '1'.repeat(32)))).toBe(false);
      expect(existsSync(join(root, '2'.repeat(32)))).toBe(true);
    } finally {
      await env.close();
    }
  });
});
