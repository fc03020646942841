import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readArchive } from '../../src/archives/read-archive.js';
import { crc32 } from '../../src/archives/entry-names.js';
import { buildZip } from './support/zip-writer.js';
import { TempDir, collect, readAll } from './support/collect.js';

let dir: TempDir;
beforeAll(async () => {
  dir = await TempDir.create();
});
afterAll(async () => {
  await dir.remove();
});

describe('ZIP reader', () => {
  it('reads entries in nested folders, stored and deflated, and skips folder entries', async () => {
    const noise = randomBytes(200_000);
    const text = Buffer.from('hello archive\n'.repeat(100));
    const path = await dir.write(
      'normal.zip',
      buildZip([
        { name: 'top.txt', data: text, method: 0 },
        { name: 'photos/', data: Buffer.alloc(0), method: 0 },
        { name: 'photos/2020/noise.bin', data: noise },
        { name: './photos//2020/./again.txt', data: text },
        { name: 'windows\\style\\name.txt', data: text },
      ]),
    );
    const got = await collect(path);
    expect(got.problems).toEqual([]);
    expect(got.entries.map((e) => e.path)).toEqual(['top.txt', 'photos/2020/noise.bin', 'photos/2020/again.txt', 'windows/style/name.txt']);
    expect(got.files.get('photos/2020/noise.bin')!.equals(noise)).toBe(true);
    expect(got.files.get('top.txt')!.equals(text)).toBe(true);
    expect(got.entries[1].size).toBe(noise.length);
    expect(got.entries[0].mtime?.toISOString()).toBe('2020-05-06T12:34:56.000Z');
    expect(got.entries[0].nameEncoding).toBe('utf-8');
  });

  it('refuses absolute paths and .. traversal, and still reads the other entries', async () => {
    const path = await dir.write(
      'evil.zip',
      buildZip([
        { name: '../evil.txt', data: Buffer.from('x') },
        { name: '/abs/path.txt', data: Buffer.from('x') },
        { name: 'C:\\windows\\system.ini', data: Buffer.from('x') },
        { name: 'ok/../../escape.txt', data: Buffer.from('x') },
        { name: '..\\dos-evil.txt', data: Buffer.from('x') },
        { name: 'fine.txt', data: Buffer.from('fine') },
      ]),
    );
    const got = await collect(path);
    expect(got.entries.map((e) => e.path)).toEqual(['fine.txt']);
    expect(got.problems.map((p) => [p.path, p.code])).toEqual([
      ['../evil.txt', 'path_traversal'],
      ['/abs/path.txt', 'absolute_path'],
      ['C:\\windows\\system.ini', 'absolute_path'],
      ['ok/../../escape.txt', 'path_traversal'],
      ['..\\dos-evil.txt', 'path_traversal'],
    ]);
  });

  it('refuses encrypted entries (general-purpose bit 0), symlinks and devices by their Unix mode', async () => {
    const path = await dir.write(
      'flags.zip',
      buildZip([
        { name: 'secret.jpg', data: Buffer.from('not really encrypted'), flags: 0x1 },
        { name: 'link', data: Buffer.from('/etc/passwd'), method: 0, unixMode: 0o120777 },
        { name: 'dev', data: Buffer.alloc(0), method: 0, unixMode: 0o020644 },
        { name: 'regular.txt', data: Buffer.from('regular'), unixMode: 0o100644 },
        { name: 'bzip2.bin', data: Buffer.from('x'), method: 12 },
      ]),
    );
    const got = await collect(path);
    expect(got.entries.map((e) => e.path)).toEqual(['regular.txt']);
    expect(got.problems.map((p) => [p.path, p.code])).toEqual([
      ['secret.jpg', 'encrypted'],
      ['link', 'link'],
      ['dev', 'special_file'],
      ['bzip2.bin', 'unsupported'],
    ]);
  });

  it('decodes names without the UTF-8 flag as CP437, keeps invalid UTF-8 lossy with the raw bytes', async () => {
    const cp437 = Buffer.from([0x63, 0x61, 0x66, 0x82, 0x2f, 0x94, 0x2e, 0x74, 0x78, 0x74]); // "café/ö.txt" in CP437
    const invalid = Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe, 0x2e, 0x74, 0x78, 0x74]);
    const nfd = 'e\u0301t\u00e9.txt'; // decomposed é, then precomposed
    const path = await dir.write(
      'names.zip',
      buildZip([
        { name: cp437, data: Buffer.from('a') },
        { name: invalid, data: Buffer.from('b'), flags: 0x800 },
        { name: nfd, data: Buffer.from('c') },
        { name: Buffer.from('unflagged-\u00fcber.txt', 'utf8'), data: Buffer.from('d') },
        { name: Buffer.from('ctl\x07name.txt'), data: Buffer.from('e') },
      ]),
    );
    const got = await collect(path);
    expect(got.problems).toEqual([]);
    const [a, b, c, d, e] = got.entries;
    expect(a).toMatchObject({ path: 'café/ö.txt', nameEncoding: 'cp437', rawNameHex: cp437.toString('hex') });
    expect(b).toMatchObject({ path: 'bad\ufffd\ufffd.txt', nameEncoding: 'lossy', rawNameHex: invalid.toString('hex') });
    expect(c.path).toBe('\u00e9t\u00e9.txt');
    expect(c.nameEncoding).toBe('utf-8');
    expect(d).toMatchObject({ path: 'unflagged-\u00fcber.txt', nameEncoding: 'utf-8' });
    expect(e).toMatchObject({ path: 'ctl\ufffdname.txt', nameEncoding: 'lossy' });
    expect(got.files.get('café/ö.txt')!.toString()).toBe('a');
  });

  it('prefers the Info-ZIP Unicode Path field when its CRC matches the stored name', async () => {
    const stored = Buffer.from('old-name.txt');
    const unicode = Buffer.from('新しい.txt', 'utf8');
    const field = Buffer.alloc(4 + 5 + unicode.length);
    field.writeUInt16LE(0x7075, 0);
    field.writeUInt16LE(5 + unicode.length, 2);
    field[4] = 1;
    field.writeUInt32LE(crc32(stored), 5);
    unicode.copy(field, 9);
    const path = await dir.write('unicode-extra.zip', buildZip([{ name: stored, data: Buffer.from('x'), extra: field }]));
    const got = await collect(path);
    expect(got.entries[0]).toMatchObject({ path: '新しい.txt', nameEncoding: 'utf-8-extra-field' });
  });

  it('refuses a ratio bomb from its declared sizes without decompressing it', async () => {
    const zeros = Buffer.alloc(64 * 1024 * 1024);
    const path = await dir.write('bomb.zip', buildZip([{ name: 'zeros.bin', data: zeros }, { name: 'after.txt', data: Buffer.from('after') }]));
    const got = await collect(path);
    expect(got.problems.map((p) => [p.path, p.code])).toEqual([['zeros.bin', 'ratio']]);
    expect(got.entries.map((e) => e.path)).toEqual(['after.txt']);
  });

  it('cuts an entry that decompresses past its declared size (a lying header) and records the problem', async () => {
    const zeros = Buffer.alloc(64 * 1024 * 1024);
    const path = await dir.write('liar.zip', buildZip([{ name: 'liar.bin', data: zeros, declaredSize: 1000 }, { name: 'after.txt', data: Buffer.from('after') }]));
    const got = await collect(path);
    expect(got.streamErrors.get('liar.bin')).toBeDefined();
    expect(got.problems.map((p) => [p.path, p.code])).toEqual([['liar.bin', 'too_large']]);
    expect(got.files.get('after.txt')!.toString()).toBe('after');
  });

  it('stops at the total uncompressed budget and at the entry count limit', async () => {
    const chunk = randomBytes(300_000);
    const specs = [0, 1, 2, 3, 4].map((i) => ({ name: `f${i}.bin`, data: chunk }));
    const path = await dir.write('many.zip', buildZip(specs));
    const budget = await collect(path, { limits: { maxTotalUncompressedBytes: 1_000_000 } });
    expect(budget.entries.map((e) => e.path)).toEqual(['f0.bin', 'f1.bin', 'f2.bin']);
    expect(budget.problems.map((p) => [p.path, p.code])).toEqual([
      ['f3.bin', 'total_size'],
      ['f4.bin', 'total_size'],
    ]);
    const count = await collect(path, { limits: { maxArchiveEntries: 2 } });
    expect(count.entries.map((e) => e.path)).toEqual(['f0.bin', 'f1.bin']);
    expect(count.problems.map((p) => [p.path, p.code])).toEqual([['', 'too_many_entries']]);
    const size = await collect(path, { limits: { maxFileBytes: 100_000 } });
    expect(size.entries).toEqual([]);
    expect(size.problems.every((p) => p.code === 'too_large')).toBe(true);
  });

  it('refuses entries whose data overlap another entry (overlapping-file bomb)', async () => {
    const path = await dir.write(
      'overlap.zip',
      buildZip([{ name: 'kernel.bin', data: Buffer.alloc(1000) }, { name: 'copy1.bin', sameDataAs: 0 }, { name: 'copy2.bin', sameDataAs: 0 }]),
    );
    const got = await collect(path);
    expect(got.entries.map((e) => e.path)).toEqual(['kernel.bin']);
    expect(got.problems.map((p) => [p.path, p.code])).toEqual([
      ['copy1.bin', 'overlapping'],
      ['copy2.bin', 'overlapping'],
    ]);
  });

  it('reports a CRC mismatch as corrupt', async () => {
    const path = await dir.write('crc.zip', buildZip([{ name: 'bad.bin', data: randomBytes(5000), method: 0, crc: 0x12345678 }]));
    const got = await collect(path);
    expect(got.streamErrors.get('bad.bin')?.message).toMatch(/CRC/);
    expect(got.problems.map((p) => [p.path, p.code])).toEqual([['bad.bin', 'corrupt']]);
  });

  it('answers a truncated or garbage ZIP with one problem record instead of throwing', async () => {
    const whole = buildZip([{ name: 'a.bin', data: randomBytes(10_000) }, { name: 'b.bin', data: randomBytes(10_000) }]);
    const truncated = await collect(await dir.write('truncated.zip', whole.subarray(0, whole.length - 40)));
    expect(truncated.entries).toEqual([]);
    expect(truncated.problems).toHaveLength(1);
    expect(truncated.problems[0]).toMatchObject({ path: '', code: 'corrupt' });
    const garbage = await collect(await dir.write('garbage.zip', Buffer.concat([Buffer.from('PK\x03\x04'), randomBytes(3000)])));
    expect(garbage.problems.map((p) => p.code)).toEqual(['corrupt']);
    const missing = await collect(`${dir.path}/does-not-exist.zip`);
    expect(missing.problems.map((p) => p.code)).toEqual(['unreadable']);
  });

  it('skips entries that are never opened and lets the consumer stop early', async () => {
    const path = await dir.write('skip.zip', buildZip([0, 1, 2, 3].map((i) => ({ name: `s${i}.bin`, data: randomBytes(100_000) }))));
    const seen: string[] = [];
    for await (const item of readArchive({ path })) {
      if (item.kind !== 'entry') continue;
      seen.push(item.path);
      if (item.path === 's1.bin') expect((await readAll(item.open())).length).toBe(100_000);
      if (item.path === 's2.bin') break;
    }
    expect(seen).toEqual(['s0.bin', 's1.bin', 's2.bin']);
  });

  it('cuts a stream that was opened but not read when the next entry is requested', async () => {
    const path = await dir.write('unread.zip', buildZip([{ name: 'big.bin', data: randomBytes(2_000_000) }, { name: 'next.txt', data: Buffer.from('n') }]));
    const items = [];
    let opened;
    for await (const item of readArchive({ path })) {
      items.push(item);
      if (item.kind === 'entry' && item.path === 'big.bin') {
        opened = item.open();
        opened.on('error', () => {});
        expect(() => item.open()).toThrow(/once/);
      }
    }
    expect(items.map((i) => [i.kind, i.path, i.kind === 'problem' ? i.code : ''])).toEqual([
      ['entry', 'big.bin', ''],
      ['problem', 'big.bin', 'not_read'],
      ['entry', 'next.txt', ''],
    ]);
    expect(opened!.destroyed).toBe(true);
  });
});
