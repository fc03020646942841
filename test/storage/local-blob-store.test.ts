import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { IntegrityError } from '../../src/core/errors.js';
import { LocalBlobStore } from '../../src/storage/local-blob-store.js';
import { createKeyring, generateMasterKey } from '../../src/storage/master-key.js';
import { tempFileName } from '../../src/storage/temp-files.js';
import { blobStoreContract, sha256Of } from './blob-store.contract.js';

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else out.push(path);
  }
  return out;
}

const roots: string[] = [];
async function freshRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'ariadne-blobs-'));
  roots.push(root);
  return root;
}
afterEach(async () => {
  // Roots of the contract suite are removed by its dispose; these are the ones the local tests below made.
  while (roots.length) await rm(roots.pop() as string, { recursive: true, force: true });
});

blobStoreContract('local', async () => {
  const root = await mkdtemp(join(tmpdir(), 'ariadne-blobs-contract-'));
  const store = await LocalBlobStore.open({ root, keyring: createKeyring(generateMasterKey()) });
  return {
    store,
    async rewriteStored(sha256, mutate) {
      const path = store.blobPath(sha256);
      await writeFile(path, mutate(await readFile(path)));
    },
    async leftovers() {
      return readdir(join(root, 'tmp'));
    },
    async storedAddresses() {
      const files = await walk(root);
      return files
        .map((file) => relative(root, file).split(sep))
        .filter((parts) => parts[0] !== 'tmp')
        .map((parts) => parts[parts.length - 1])
        .sort();
    },
    async dispose() {
      await store.close();
      await rm(root, { recursive: true, force: true });
    },
  };
});

describe('LocalBlobStore', () => {
  it('lays blobs out as ab/cd/<sha256>, private, holding ciphertext only', async () => {
    const root = await freshRoot();
    const store = await LocalBlobStore.open({ root, keyring: createKeyring(generateMasterKey()) });
    const bytes = Buffer.alloc(200_000, 'plaintext marker ');
    const { sha256 } = await store.put(bytes);
    const path = join(root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
    expect(store.blobPath(sha256)).toBe(path);
    const stored = await readFile(path);
    expect(stored.subarray(0, 4).toString('latin1')).toBe('ARDB');
    expect(stored.includes(Buffer.from('plaintext marker'))).toBe(false);
    if (process.platform !== 'win32') {
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect((await stat(join(root, sha256.slice(0, 2)))).mode & 0o777).toBe(0o700);
      expect((await stat(join(root, 'tmp'))).mode & 0o777).toBe(0o700);
    }
  });

  it('makes a shard directory again when it was removed by hand after a put', async () => {
    const root = await freshRoot();
    const store = await LocalBlobStore.open({ root, keyring: createKeyring(generateMasterKey()) });
    const first = await store.put(Buffer.from('first blob'));
    await rm(join(root, first.sha256.slice(0, 2)), { recursive: true });
    const again = await store.put(Buffer.from('first blob'));
    expect(again.created).toBe(true);
    expect((await store.getBuffer(first.sha256)).toString()).toBe('first blob');
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
  });

  it('reports exactly one creation among concurrent puts of the same bytes', async () => {
    const root = await freshRoot();
    const store = await LocalBlobStore.open({ root, keyring: createKeyring(generateMasterKey()) });
    const bytes = randomBytes(300_000);
    const results = await Promise.all(Array.from({ length: 12 }, () => store.put(bytes)));
    expect(results.filter((result) => result.created).length).toBe(1);
    expect((await store.getBuffer(sha256Of(bytes))).equals(bytes)).toBe(true);
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
  });

  it('reads blobs written before a master key rotation, and not without the old key', async () => {
    const root = await freshRoot();
    const old = generateMasterKey();
    const before = await LocalBlobStore.open({ root, keyring: createKeyring(old) });
    const { sha256 } = await before.put(Buffer.from('sealed under the old key'));
    const current = generateMasterKey();
    const rotated = await LocalBlobStore.open({ root, keyring: createKeyring(current, old) });
    expect((await rotated.getBuffer(sha256)).toString()).toBe('sealed under the old key');
    const { sha256: fresh } = await rotated.put(Buffer.from('sealed under the new key'));
    const stored = await readFile(rotated.blobPath(fresh));
    expect(stored.subarray(6, 14).toString('hex')).toBe(current.id);
    const withoutOld = await LocalBlobStore.open({ root, keyring: createKeyring(generateMasterKey()) });
    await expect(withoutOld.getBuffer(sha256)).rejects.toBeInstanceOf(IntegrityError);
  });

  it('removes temporary files of crashed writers at open, and keeps live or recent ones', async () => {
    const root = await freshRoot();
    const tmp = join(root, 'tmp');
    await mkdir(tmp, { recursive: true });
    // A process that has exited: its pid names a crashed writer on this host.
    const exited = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(exited.stdout);
    const ours = tempFileName();
    const crashed = ours.replace(`put-${process.pid}-`, `put-${deadPid}-`);
    const foreignHost = ours.replace(/-[0-9a-f]{8}\.tmp$/, '-00000000.tmp').replace(`put-${process.pid}-`, 'put-1-');
    const foreignOld = foreignHost.replace('put-1-', 'put-2-');
    const unrelated = 'notes.txt';
    for (const name of [ours, crashed, foreignHost, foreignOld, unrelated]) await writeFile(join(tmp, name), 'x');
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(join(tmp, foreignOld), twoHoursAgo, twoHoursAgo);

    const store = await LocalBlobStore.open({ root, keyring: createKeyring(generateMasterKey()) });
    expect(store.staleTempFilesRemoved).toBe(2);
    expect((await readdir(tmp)).sort()).toEqual([foreignHost, ours, unrelated].sort());
  });

  it('refuses work after close', async () => {
    const store = await LocalBlobStore.open({ root: await freshRoot(), keyring: createKeyring(generateMasterKey()) });
    await store.close();
    await expect(store.put(Buffer.from('late'))).rejects.toThrow(/closed/);
    expect((await store.check()).ok).toBe(false);
  });
});
