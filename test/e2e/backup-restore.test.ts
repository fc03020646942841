import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { syntheticJpeg } from '../../bench/hash-corpus.js';
import { openDatabase } from '../../src/db/database.js';
import { S3BlobStore } from '../../src/storage/s3-blob-store.js';
import { createKeyring, masterKeyFromHex } from '../../src/storage/master-key.js';
import { findPostgresBin } from '../support/postgres-server.js';
import { missing } from '../support/requirements.js';
import { cli, createPgDatabase, investigatorToken, matchSha256, processEnv, resolvable, serve, startS3, stop, submit, waitComplete, type S3Server } from './cluster.js';

const pgUrl = inject('pgUrl');
const pgBin = findPostgresBin();
const skip =
  missing('PostgreSQL server binaries (apt-get install postgresql) for the backup/restore test', pgUrl !== '' && pgBin !== undefined) ??
  missing('s3rver (npm dev dependency) for the backup/restore test', resolvable('s3rver'));

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/**
 * The backup and restore procedure of docs/DEPLOYMENT.md, run for real: `pg_dump -Fc` of the database, a copy of
 * every object of the blob bucket (what `aws s3 sync` / `rclone sync` do), the master key kept apart; then a restore
 * into an empty deployment (empty database, empty bucket, empty data directory) and its verification.
 */
describe.skipIf(skip)('backup and restore into an empty deployment', () => {
  let dir: string;
  let s3: S3Server;
  let admin: S3Client;
  const dbs: Array<{ url: string; drop(): Promise<void> }> = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ariadne-backup-'));
    s3 = await startS3(join(dir, 's3'), ['source-blobs', 'restored-blobs']);
    admin = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials });
  });
  afterAll(async () => {
    admin?.destroy();
    for (const db of dbs) await db.drop();
    await s3?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('pg_dump + blob copy + master key restore to a working deployment', async () => {
    const pgTool = (name: string, args: string[]) => execFileSync(join(pgBin!, name), args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    const masterKeyHex = randomBytes(32).toString('hex');
    const source = await createPgDatabase(pgUrl);
    dbs.push(source);
    const sourceEnv = (name: string) => processEnv({ databaseUrl: source.url, s3Endpoint: s3.endpoint, bucket: 'source-blobs', masterKeyHex, extra: { ARIADNE_JOB_POLL_MS: '50' } }, join(dir, name));

    // The source deployment: a user, three ingested images.
    const token = await investigatorToken(sourceEnv('cli'), 'ana');
    const server = await serve('all', sourceEnv('node'));
    const images = await Promise.all([0, 1, 2].map((i) => syntheticJpeg(480, 360, 7100 + i)));
    const id = await submit(server.url!, token, 'BACKUP-1', images.map((data, i) => ({ name: `img-${i}.jpg`, data })));
    await waitComplete(server.url!, token, id, 30_000);
    await stop(server.proc);

    // Backup: database, blobs, key (each to its own place).
    const backup = join(dir, 'backup');
    mkdirSync(join(backup, 'blobs'), { recursive: true });
    pgTool('pg_dump', ['--format=custom', '--no-owner', `--file=${join(backup, 'ariadne.pgdump')}`, source.url]);
    let copied = 0;
    let token2: string | undefined;
    do {
      const page = await admin.send(new ListObjectsV2Command({ Bucket: 'source-blobs', ContinuationToken: token2 }));
      for (const item of page.Contents ?? []) {
        const object = await admin.send(new GetObjectCommand({ Bucket: 'source-blobs', Key: item.Key! }));
        const file = join(backup, 'blobs', item.Key!);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, await object.Body!.transformToByteArray());
        copied++;
      }
      token2 = page.NextContinuationToken;
    } while (token2);
    // Each image: the original (the preview of a small JPEG without metadata is the original itself, the same blob).
    // Redacted thumbnails are kept in the database (inline_blobs), so they come with the dump.
    expect(copied).toBeGreaterThanOrEqual(images.length);
    writeFileSync(join(backup, 'master.key'), `${masterKeyHex}\n`, { mode: 0o600 });
    expect(statSync(join(backup, 'master.key')).mode & 0o777).toBe(0o600);
    // What is stored is ciphertext: no backed-up object holds an original image's bytes.
    const files = walk(join(backup, 'blobs'));
    for (const image of images) expect(files.some((f) => readFileSync(f).includes(image.subarray(0, 64)))).toBe(false);

    // Restore into an empty deployment: new database, empty bucket, empty data directory, the kept key.
    const target = await createPgDatabase(pgUrl);
    dbs.push(target);
    pgTool('pg_restore', ['--no-owner', '--exit-on-error', `--dbname=${target.url}`, join(backup, 'ariadne.pgdump')]);
    for (const file of files) {
      await admin.send(new PutObjectCommand({ Bucket: 'restored-blobs', Key: relative(join(backup, 'blobs'), file), Body: readFileSync(file) }));
    }
    const restoredKey = readFileSync(join(backup, 'master.key'), 'utf8').trim();
    const restoredEnv = (name: string) => processEnv({ databaseUrl: target.url, s3Endpoint: s3.endpoint, bucket: 'restored-blobs', masterKeyHex: restoredKey }, join(dir, name));
    const restored = await serve('all', restoredEnv('restored'));
    try {
      // Health, the audit chain, every stored blob, matching (index rebuilt from the restored database), the old token.
      const health = await fetch(`${restored.url!}/api/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', database: { dialect: 'postgres' }, blobStore: { kind: 's3' } });
      await expect(cli(['audit', 'verify'], restoredEnv('cli-restored'))).resolves.toMatch(/audit chain intact/);
      const database = await openDatabase({ dialect: 'postgres', url: target.url, poolSize: 1 });
      const rows = await database.db.selectFrom('submission_files').select(['path', 'blob_sha256']).where('submission_id', '=', id).orderBy('path').execute();
      const thumbnails = await database.db
        .selectFrom('media_items as m')
        .innerJoin('inline_blobs as b', 'b.sha256', 'm.thumbnail_sha256')
        .select(['b.sha256', 'b.envelope'])
        .execute();
      await database.close();
      expect(rows).toHaveLength(images.length);
      expect(thumbnails).toHaveLength(images.length);
      const store = await S3BlobStore.open({ endpoint: s3.endpoint, region: 'us-east-1', bucket: 'restored-blobs', forcePathStyle: true, credentials, keyring: createKeyring(masterKeyFromHex(restoredKey)), tmpDir: join(dir, 'spool') });
      try {
        for (const [i, row] of rows.entries()) expect(sha256(await store.getBuffer(row.blob_sha256!))).toBe(sha256(images[i]));
        // The restored thumbnails open with the kept key (a grey PNG each).
        for (const t of thumbnails) expect(store.openInline(t.sha256, t.envelope).subarray(1, 4).toString('latin1')).toBe('PNG');
      } finally {
        await store.close();
      }
      for (const image of images) expect(await matchSha256(restored.url!, token, sha256(image))).not.toBeNull();
      // Without the master key the backup is unreadable.
      const wrong = await S3BlobStore.open({ endpoint: s3.endpoint, region: 'us-east-1', bucket: 'restored-blobs', forcePathStyle: true, credentials, keyring: createKeyring(masterKeyFromHex(randomBytes(32).toString('hex'))), tmpDir: join(dir, 'spool') });
      try {
        await expect(wrong.getBuffer(rows[0].blob_sha256!)).rejects.toThrow();
        expect(() => wrong.openInline(thumbnails[0].sha256, thumbnails[0].envelope)).toThrow();
      } finally {
        await wrong.close();
      }
    } finally {
      await stop(restored.proc);
    }
  }, 90_000);
});

function walk(root: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const path = join(root, entry.name);
    if (entry.isDirectory()) out.push(...walk(path));
    else out.push(path);
  }
  return out;
}
