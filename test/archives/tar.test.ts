import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { pack, type Header } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readArchive } from '../../src/archives/read-archive.js';
import { TempDir, collect, readAll } from './support/collect.js';

type Spec = Partial<Header> & { name: string; data?: Buffer };

async function buildTar(specs: readonly Spec[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (chunk) => {
    chunks.push(chunk as Buffer);
  });
  const ended = new Promise<void>((resolve, reject) => {
    p.on('end', () => resolve());
    p.on('error', reject);
  });
  for (const { data, ...header } of specs) {
    await new Promise<void>((resolve, reject) => {
      p.entry({ mtime: new Date('2021-02-03T04:05:06Z'), ...header }, data ?? Buffer.alloc(0), (error) => (error ? reject(error) : resolve()));
    });
  }
  p.finalize();
  await ended;
  return Buffer.concat(chunks);
}

/** Replaces the bytes of `from` in the first header naming it with `to` (same length) and fixes the checksum. */
function patchName(tar: Buffer, from: string, to: Buffer): Buffer {
  const out = Buffer.from(tar);
  const at = out.indexOf(from, 0, 'latin1');
  to.copy(out, at);
  const header = at - (at % 512);
  out.fill(0x20, header + 148, header + 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += out[header + i];
  out.write(sum.toString(8).padStart(6, '0') + '\0 ', header + 148, 'latin1');
  return out;
}

let dir: TempDir;
beforeAll(async () => {
  dir = await TempDir.create();
});
afterAll(async () => {
  await dir.remove();
});

describe('tar reader', () => {
  const noise = randomBytes(150_000);
  const specs: Spec[] = [
    { name: 'case', type: 'directory' },
    { name: 'case/scene/one.bin', data: noise },
    { name: 'case/two.txt', data: Buffer.from('two') },
    { name: 'empty.txt', data: Buffer.alloc(0) },
    { name: `deep/${'long-folder-name/'.repeat(12)}file.txt`, data: Buffer.from('long path') },
  ];

  it.each([
    ['tar', false],
    ['tar.gz', true],
  ])('reads nested entries from a %s', async (label, gzipped) => {
    const tar = await buildTar(specs);
    const path = await dir.write(`normal.${label}`, gzipped ? gzipSync(tar) : tar);
    const got = await collect(path);
    expect(got.problems).toEqual([]);
    expect(got.entries.map((e) => e.path)).toEqual(['case/scene/one.bin', 'case/two.txt', 'empty.txt', `deep/${'long-folder-name/'.repeat(12)}file.txt`]);
    expect(got.files.get('case/scene/one.bin')!.equals(noise)).toBe(true);
    expect(got.files.get('empty.txt')!.length).toBe(0);
    expect(got.entries[0].mtime?.toISOString()).toBe('2021-02-03T04:05:06.000Z');
    expect(got.entries[0].size).toBe(noise.length);
  });

  it('refuses symlinks, hard links, devices, fifos, absolute and .. paths, and keeps reading', async () => {
    const tar = await buildTar([
      { name: 'link-to-passwd', type: 'symlink', linkname: '/etc/passwd' },
      { name: 'hard', type: 'link', linkname: 'case/two.txt' },
      { name: 'tty', type: 'character-device', devmajor: 4, devminor: 1 },
      { name: 'disk', type: 'block-device', devmajor: 8, devminor: 0 },
      { name: 'pipe', type: 'fifo' },
      { name: '/etc/cron.d/evil', data: Buffer.from('x') },
      { name: '../../evil.sh', data: Buffer.from('x') },
      { name: 'ok.txt', data: Buffer.from('ok') },
    ]);
    const got = await collect(await dir.write('special.tar', tar));
    expect(got.entries.map((e) => e.path)).toEqual(['ok.txt']);
    expect(got.files.get('ok.txt')!.toString()).toBe('ok');
    expect(got.problems.map((p) => [p.path, p.code])).toEqual([
      ['link-to-passwd', 'link'],
      ['hard', 'link'],
      ['tty', 'special_file'],
      ['disk', 'special_file'],
      ['pipe', 'special_file'],
      ['/etc/cron.d/evil', 'absolute_path'],
      ['../../evil.sh', 'path_traversal'],
    ]);
  });

  it('keeps names that are not valid UTF-8 as replacement characters with the raw bytes in hex', async () => {
    const tar = patchName(await buildTar([{ name: 'bad-XX.txt', data: Buffer.from('x') }]), 'bad-XX', Buffer.from([0x62, 0x61, 0x64, 0x2d, 0xe9, 0xff]));
    const got = await collect(await dir.write('names.tar', tar));
    expect(got.entries[0]).toMatchObject({ path: 'bad-\ufffd\ufffd.txt', nameEncoding: 'lossy', rawNameHex: Buffer.from('bad-\xe9\xff.txt', 'latin1').toString('hex') });
  });

  it('refuses a declared size over the limit but still reads the entries after it', async () => {
    const tar = await buildTar([{ name: 'big.bin', data: randomBytes(300_000) }, { name: 'small.txt', data: Buffer.from('small') }]);
    const got = await collect(await dir.write('big.tar', tar), { limits: { maxFileBytes: 100_000 } });
    expect(got.problems.map((p) => [p.path, p.code])).toEqual([['big.bin', 'too_large']]);
    expect(got.files.get('small.txt')!.toString()).toBe('small');
  });

  it('stops a tar.gz whose gzip stream has a bomb-like compression ratio', async () => {
    const tar = await buildTar([{ name: 'first.txt', data: Buffer.from('first') }, { name: 'zeros.bin', data: Buffer.alloc(64 * 1024 * 1024) }, { name: 'last.txt', data: Buffer.from('last') }]);
    const got = await collect(await dir.write('bomb.tar.gz', gzipSync(tar)));
    expect(got.files.get('first.txt')!.toString()).toBe('first');
    expect(got.entries.map((e) => e.path)).not.toContain('last.txt');
    const last = got.problems.at(-1)!;
    expect(last).toMatchObject({ path: '', code: 'ratio' });
  });

  it('stops at the total decompressed budget', async () => {
    const tar = await buildTar([0, 1, 2, 3].map((i) => ({ name: `n${i}.bin`, data: randomBytes(400_000) })));
    const got = await collect(await dir.write('budget.tar', tar), { limits: { maxTotalUncompressedBytes: 1_000_000 } });
    expect(got.entries.map((e) => e.path)).toEqual(['n0.bin', 'n1.bin', 'n2.bin']);
    expect(got.problems.map((p) => [p.path, p.code])).toEqual([
      ['n2.bin', 'total_size'],
      ['', 'total_size'],
    ]);
  });

  it('yields the entries before the damage of a truncated tar.gz, then a problem', async () => {
    const tar = await buildTar([0, 1, 2, 3].map((i) => ({ name: `t${i}.bin`, data: randomBytes(100_000) })));
    const gz = gzipSync(tar);
    const got = await collect(await dir.write('truncated.tar.gz', gz.subarray(0, Math.floor(gz.length * 0.6))));
    expect(got.entries.map((e) => e.path).slice(0, 2)).toEqual(['t0.bin', 't1.bin']);
    expect(got.files.get('t0.bin')!.length).toBe(100_000);
    expect(got.problems.at(-1)).toMatchObject({ path: '', code: 'corrupt' });
    const plain = await collect(await dir.write('truncated.tar', tar.subarray(0, 250_000)));
    expect(plain.entries.map((e) => e.path).slice(0, 2)).toEqual(['t0.bin', 't1.bin']);
    expect(plain.problems.at(-1)).toMatchObject({ path: '', code: 'corrupt' });
  });

  it('drains entries that are never opened and handles an early stop', async () => {
    const tar = await buildTar([0, 1, 2, 3].map((i) => ({ name: `d${i}.bin`, data: randomBytes(70_000) })));
    const path = await dir.write('drain.tar.gz', gzipSync(tar));
    const seen: string[] = [];
    for await (const item of readArchive({ path })) {
      if (item.kind !== 'entry') continue;
      seen.push(item.path);
      if (item.path === 'd2.bin') expect((await readAll(item.open())).length).toBe(70_000);
      if (item.path === 'd3.bin') break;
    }
    expect(seen).toEqual(['d0.bin', 'd1.bin', 'd2.bin', 'd3.bin']);
  });

  it('answers a file that is no archive with one problem', async () => {
    const got = await collect(await dir.write('noise.bin', randomBytes(4096)));
    expect(got.problems.map((p) => [p.path, p.code])).toEqual([['', 'unsupported']]);
    const gz = await collect(await dir.write('not-tar.gz', gzipSync(randomBytes(4096))));
    expect(gz.problems.map((p) => [p.path, p.code])).toEqual([['', 'corrupt']]);
  });
});
