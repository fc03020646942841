import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findSevenZip } from '../../src/archives/sevenzip-reader.js';
import { readArchive } from '../../src/archives/read-archive.js';
import { missing } from '../support/requirements.js';
import { TempDir, collect } from './support/collect.js';

const sevenZip = findSevenZip();
const skip = missing('the 7-Zip program for 7z archives (Debian package 7zip: apt-get install 7zip)', sevenZip !== null);

describe.skipIf(skip)('7z reader (7-Zip program)', () => {
  let dir: TempDir;
  const noise = randomBytes(120_000);
  const run = (...args: string[]) => execFileSync(sevenZip!, args, { cwd: dir.path, stdio: ['ignore', 'ignore', 'pipe'] });

  beforeAll(async () => {
    dir = await TempDir.create();
    mkdirSync(join(dir.path, 'src/photos/2020'), { recursive: true });
    writeFileSync(join(dir.path, 'src/photos/2020/noise.bin'), noise);
    writeFileSync(join(dir.path, 'src/photos/a.txt'), 'alpha');
    writeFileSync(join(dir.path, 'src/empty.txt'), '');
    writeFileSync(join(dir.path, 'src/ünïcode.txt'), 'unicode');
    symlinkSync('/etc/passwd', join(dir.path, 'src/passwd-link'));
    writeFileSync(join(dir.path, 'secret.txt'), 'secret');
    writeFileSync(join(dir.path, 'zeros.bin'), Buffer.alloc(32 * 1024 * 1024));
  });
  afterAll(async () => {
    await dir.remove();
  });

  it('reads files in nested folders of a solid archive and refuses the symlink', async () => {
    run('a', '-snl', '-ms=on', 'normal.7z', './src/*');
    const got = await collect(join(dir.path, 'normal.7z'));
    expect([...got.files.keys()].sort()).toEqual(['empty.txt', 'photos/2020/noise.bin', 'photos/a.txt', 'ünïcode.txt']);
    expect(got.files.get('photos/2020/noise.bin')!.equals(noise)).toBe(true);
    expect(got.files.get('photos/a.txt')!.toString()).toBe('alpha');
    expect(got.files.get('empty.txt')!.length).toBe(0);
    expect(got.problems.map((p) => [p.path, p.code])).toEqual([['passwd-link', 'link']]);
    expect(got.entries.find((e) => e.path === 'photos/a.txt')!.mtime).toBeInstanceOf(Date);
  });

  it('refuses encrypted entries and reads the others; an archive with encrypted names is one problem', async () => {
    run('a', 'mixed.7z', './src/photos/a.txt');
    run('a', '-pSECRET', 'mixed.7z', 'secret.txt');
    const got = await collect(join(dir.path, 'mixed.7z'));
    expect(got.files.get('a.txt')!.toString()).toBe('alpha');
    expect(got.problems.map((p) => [p.path, p.code])).toEqual([['secret.txt', 'encrypted']]);

    run('a', '-pSECRET', '-mhe=on', 'headers.7z', 'secret.txt');
    const hidden = await collect(join(dir.path, 'headers.7z'));
    expect(hidden.entries).toEqual([]);
    expect(hidden.problems.map((p) => [p.path, p.code])).toEqual([['', 'encrypted']]);
  });

  it('refuses a solid block whose compression ratio is bomb-like, without decompressing it', async () => {
    run('a', 'bomb.7z', 'zeros.bin');
    const got = await collect(join(dir.path, 'bomb.7z'));
    expect(got.entries).toEqual([]);
    expect(got.problems.map((p) => [p.path, p.code])).toEqual([['zeros.bin', 'ratio']]);
  });

  it('yields a problem for a truncated or damaged archive instead of throwing', async () => {
    run('a', '-mx=0', 'whole.7z', './src/photos/2020/noise.bin', './src/photos/a.txt');
    const whole = readFileSync(join(dir.path, 'whole.7z'));
    const truncated = await collect(await dir.write('truncated.7z', whole.subarray(0, 60_000)));
    expect(truncated.problems.at(-1)).toMatchObject({ path: '', code: 'corrupt' });
    const damaged = Buffer.from(whole);
    for (let i = 1000; i < 1100; i++) damaged[i] ^= 0xff;
    const got = await collect(await dir.write('damaged.7z', damaged));
    expect(got.problems.length).toBeGreaterThan(0);
    expect(got.files.has('noise.bin')).toBe(false);
  });

  it('releases the 7-Zip process when the consumer stops early', async () => {
    run('a', 'early.7z', './src/photos/2020/noise.bin', './src/photos/a.txt');
    for await (const item of readArchive({ path: join(dir.path, 'early.7z') })) {
      expect(item.kind).toBe('entry');
      break;
    }
  });

  it('refuses 7z archives when no 7-Zip program is configured', async () => {
    run('a', 'none.7z', './src/photos/a.txt');
    const got = await collect(join(dir.path, 'none.7z'), { sevenZipPath: null });
    expect(got.problems.map((p) => [p.path, p.code])).toEqual([['', 'unsupported']]);
  });
});
