import { RenditionReader } from '../../src/storage/inline-blobs.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticJpeg } from '../../bench/hash-corpus.js';
import { contextFor, systemActor } from '../../src/auth/actor.js';
import { InvalidError } from '../../src/core/errors.js';
import { SubmissionService } from '../../src/ingest/submission-service.js';
import { cryptoDigestsOf } from '../../src/signals/crypto/crypto-hashes.js';
import { startTestEnv, type TestEnv } from '../auth/support.js';

const operator = contextFor(systemActor('test'));

describe('intake of local files (the folder door)', () => {
  let env: TestEnv;
  let dir: string;

  beforeAll(async () => {
    env = await startTestEnv({ role: 'worker' });
    dir = join(env.container.config.dataDir, 'seizure');
    mkdirSync(dir);
  });

  afterAll(async () => env.close());

  it('stores each file once with its digests; through the hash workers an image is recorded at once, streamed it is queued', async () => {
    const c = env.container;
    // The container's service stores through the hash workers; a service without that streams the file in.
    const streaming = new SubmissionService(c.database.db, c.blobStore, c.queue, c.access.audit, c.access.policy);
    for (const [name, service] of [['workers', c.submissions], ['streamed', streaming]] as const) {
      const bytes = await syntheticJpeg(320, 240, name.length);
      const path = join(dir, `${name}.jpg`);
      writeFileSync(path, bytes);
      const submission = await service.create(operator, { reference: name });
      expect(service.takingIn).toBe(false);
      const added = await service.addLocalFile(operator, submission.id, { path: `seizure/${name}.jpg`, mtime: 1000 }, path);
      expect(added).toMatchObject({ path: `seizure/${name}.jpg`, sha256: cryptoDigestsOf(bytes).sha256, added: true });
      // Background work (faces, scenes) waits while files come in, even with no job queued for them.
      expect(service.takingIn).toBe(true);
      const row = await c.database.db.selectFrom('submission_files').selectAll().where('id', '=', added.fileId).executeTakeFirstOrThrow();
      const { md5, sha1, size } = cryptoDigestsOf(bytes);
      expect(row).toMatchObject({ md5, sha1, size, mtime: 1000 });
      const jobs = await c.database.db.selectFrom('jobs').select('payload').where('kind', '=', 'ingest.file').execute();
      const queued = jobs.some((j) => (JSON.parse(String(j.payload)) as { fileId: number }).fileId === added.fileId);
      if (name === 'workers') {
        // Analysed and recorded in the intake's transaction, with both audit entries and no job.
        expect(row).toMatchObject({ status: 'done', mime: 'image/jpeg' });
        const item = await c.database.db.selectFrom('media_items').selectAll().where('id', '=', row.media_id!).executeTakeFirstOrThrow();
        expect(item).toMatchObject({ sha256: added.sha256, width: 320, height: 240 });
        // The redacted thumbnail is kept in the database with the item, sealed: no file of its own.
        expect(await c.blobStore.has(item.thumbnail_sha256!)).toBe(false);
        expect((await new RenditionReader(c.database.db, c.blobStore).read(item.thumbnail_sha256!)).subarray(1, 4).toString('latin1')).toBe('PNG');
        const signals = await c.database.db.selectFrom('signal_entries').select('signal').where('media_id', '=', item.id).execute();
        expect([...new Set(signals.map((e) => e.signal))].sort()).toEqual(['md5', 'pdq', 'sha1', 'sha256']);
        const audit = await c.database.db.selectFrom('audit_log').select('action').where('details', 'like', `%"fileId":${added.fileId},%`).execute();
        expect(audit.map((a) => a.action).sort()).toEqual(['media.ingest', 'submission.file.add']);
        expect(queued).toBe(false);
        // New, and matching no stored item of a series: no series-match job; a second seizure of it (a sighting of a
        // stored item, which may be in a series by then) gets one.
        const seriesJobs = async (fileId: number) =>
          (await c.database.db.selectFrom('jobs').select('payload').where('kind', '=', 'cases.series-match').execute()).filter((j) => (JSON.parse(String(j.payload)) as { fileId: number }).fileId === fileId);
        expect(await seriesJobs(added.fileId)).toHaveLength(0);
        const again = await service.addLocalFile(operator, submission.id, { path: `seizure/${name}-again.jpg` }, path);
        expect(await seriesJobs(again.fileId)).toHaveLength(1);
      } else {
        expect(row).toMatchObject({ status: 'pending', media_id: null });
        expect(queued).toBe(true);
      }
      expect((await c.blobStore.getBuffer(added.sha256!)).equals(bytes)).toBe(true);
      // The same path again stores nothing.
      expect(await service.addLocalFile(operator, submission.id, { path: `seizure/${name}.jpg` }, path)).toMatchObject({ fileId: added.fileId, added: false });
      // A file that went away since it was listed is an InvalidError (the CLI records it as refused).
      await expect(service.addLocalFile(operator, submission.id, { path: 'seizure/gone.jpg' }, join(dir, 'gone.jpg'))).rejects.toThrow(InvalidError);
    }
  });
});
