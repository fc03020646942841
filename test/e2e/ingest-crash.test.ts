import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticJpeg } from '../../bench/hash-corpus.js';
import { openDatabase } from '../../src/db/database.js';
import { spawnNode } from '../support/processes.js';

/** Every blob the store holds (content addresses), from its directory layout ab/cd/<sha256>. */
function storedBlobs(root: string): Set<string> {
  const out = new Set<string>();
  for (const a of readdirSync(root)) {
    if (!/^[0-9a-f]{2}$/.test(a)) continue;
    for (const b of readdirSync(join(root, a))) for (const name of readdirSync(join(root, a, b))) out.add(name);
  }
  return out;
}

describe('ingest survives SIGKILL: every file exactly once, no orphan blobs', () => {
  let dir: string;
  let data: string;
  let seizure: string;
  let fileCount = 0;
  const unique = 90;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ariadne-ingest-crash-'));
    data = join(dir, 'data');
    seizure = join(dir, 'seizure');
    for (let i = 0; i < unique; i++) {
      const folder = join(seizure, `folder-${i % 5}`);
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, `img-${i}.jpg`), await syntheticJpeg(320 + (i % 7) * 16, 240, 5000 + i));
      fileCount++;
    }
    // 20 % duplicates under other names.
    for (let i = 0; i < unique / 5; i++) {
      copyFileSync(join(seizure, `folder-${i % 5}`, `img-${i}.jpg`), join(seizure, `copy-${i}.jpg`));
      fileCount++;
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('kill mid-ingest, resume, finish', async () => {
    const env = { ARIADNE_DATA_DIR: data, ARIADNE_JOB_LEASE_MS: '1500', ARIADNE_JOB_POLL_MS: '50', ARIADNE_LOG_LEVEL: 'error' };
    const first = spawnNode('dist/src/cli/main.js', ['ingest', seizure, '--country', 'FR', '--reference', 'crash test'], env);
    const [, id] = await first.waitFor(/submission (\d+)/, 60_000);
    const database = await openDatabase({ dialect: 'sqlite', path: join(data, 'ariadne.sqlite') });
    const db = database.db;
    // Kill once some files are processed and others are not.
    const deadline = Date.now() + 120_000;
    for (;;) {
      const done = await db.selectFrom('submission_files').select('id').where('status', '=', 'done').execute();
      if (done.length >= 15) break;
      if (Date.now() > deadline) throw new Error(`ingest made no progress:\n${first.output()}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    first.child.kill('SIGKILL');
    await first.exited;
    const before = await db.selectFrom('submission_files').select('status').execute();
    expect(before.filter((f) => f.status === 'pending').length + (fileCount - before.length)).toBeGreaterThan(0);

    const second = spawnNode('dist/src/cli/main.js', ['ingest', '--resume', id, seizure, '--json'], env);
    const exit = await second.exited;
    expect(exit.code, second.output()).toBe(0);

    const submission = await db.selectFrom('submissions').selectAll().where('id', '=', Number(id)).executeTakeFirstOrThrow();
    expect(submission.status).toBe('complete');
    const files = await db.selectFrom('submission_files').selectAll().where('submission_id', '=', Number(id)).execute();
    expect(files).toHaveLength(fileCount);
    expect(new Set(files.map((f) => f.path)).size).toBe(fileCount);
    expect(files.every((f) => f.status === 'done' && f.media_id !== null)).toBe(true);
    const media = await db.selectFrom('media_items').selectAll().execute();
    expect(media).toHaveLength(unique);
    // One entry per item, signal and variant: nothing indexed twice.
    const entries = await db.selectFrom('signal_entries').select(['media_id', 'signal', 'variant']).execute();
    const keys = entries.map((e) => `${e.media_id}/${e.signal}/${e.variant}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(entries.filter((e) => e.signal === 'sha256')).toHaveLength(unique);
    // Each item was ingested (audited) once; each duplicate is one sighting.
    const audit = await db.selectFrom('audit_log').select('action').execute();
    expect(audit.filter((a) => a.action === 'media.ingest')).toHaveLength(unique);
    expect(audit.filter((a) => a.action === 'media.sighting')).toHaveLength(fileCount - unique);
    // No orphan blobs: everything stored is a submitted file or a preview of a row, and every one is there. Each item's
    // redacted thumbnail is kept in the database (inline_blobs), written with the item: one per item, none else.
    const referenced = new Set<string>([...files.map((f) => f.blob_sha256!), ...media.map((m) => m.preview_sha256!)]);
    const stored = storedBlobs(join(data, 'blobs'));
    expect([...stored].filter((s) => !referenced.has(s))).toEqual([]);
    expect([...referenced].filter((s) => !stored.has(s))).toEqual([]);
    const inline = new Set((await db.selectFrom('inline_blobs').select('sha256').execute()).map((r) => r.sha256));
    expect(media.filter((m) => !inline.has(m.thumbnail_sha256!))).toEqual([]);
    expect(inline.size).toBe(new Set(media.map((m) => m.thumbnail_sha256)).size);
    await database.close();

    const verify = spawnNode('dist/src/cli/main.js', ['audit', 'verify'], env);
    expect((await verify.exited).code, verify.output()).toBe(0);
  });
});
