import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { pack } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { crc32, decodeZipName, normaliseEntryPath } from '../../src/archives/entry-names.js';
import { looksLikeArchive, sniffArchive } from '../../src/archives/sniff.js';
import { buildZip } from './support/zip-writer.js';

async function tarBytes(): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((resolve) => p.on('end', () => resolve()));
  p.entry({ name: 'x.txt' }, 'x');
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

describe('sniffArchive', () => {
  it('recognises formats by their bytes, not their names', async () => {
    const zip = buildZip([{ name: 'a', data: Buffer.from('a') }]);
    const tar = await tarBytes();
    expect(sniffArchive(zip)).toBe('zip');
    expect(sniffArchive(buildZip([]))).toBe('zip'); // empty archive: only the end record
    expect(sniffArchive(tar)).toBe('tar');
    expect(sniffArchive(gzipSync(tar))).toBe('gzip');
    expect(sniffArchive(Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c, 0, 4]))).toBe('7z');
    // An old-style (pre-POSIX) tar header: no magic, but a correct checksum.
    const v7 = Buffer.from(tar.subarray(0, 512));
    v7.fill(0, 257, 265);
    v7.fill(0x20, 148, 156);
    let sum = 0;
    for (const byte of v7) sum += byte;
    v7.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
    expect(sniffArchive(v7)).toBe('tar');
  });

  it('says null for images, text, short and broken inputs', async () => {
    const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#123456' } }).jpeg().toBuffer();
    expect(sniffArchive(jpeg)).toBeNull();
    expect(looksLikeArchive(jpeg)).toBe(false);
    expect(sniffArchive(Buffer.from('PK'))).toBeNull();
    expect(sniffArchive(Buffer.alloc(0))).toBeNull();
    expect(sniffArchive(Buffer.alloc(512))).toBeNull();
    const tar = await tarBytes();
    const badSum = Buffer.from(tar.subarray(0, 512));
    badSum[0] ^= 1;
    expect(sniffArchive(badSum)).toBeNull(); // ustar magic, but the header checksum is wrong
    expect(looksLikeArchive(buildZip([]))).toBe(true);
  });
});

describe('entry names', () => {
  it.each([
    ['a/b/c.jpg', 'a/b/c.jpg'],
    ['./a//b/./c.jpg', 'a/b/c.jpg'],
    ['a\\b\\c.jpg', 'a/b/c.jpg'],
    ['folder/', 'folder'],
    ['cafe\u0301.jpg', 'caf\u00e9.jpg'],
  ])('normalises %j to %j', (input, expected) => {
    expect(normaliseEntryPath(input)).toEqual({ ok: true, path: expected });
  });

  it.each([
    ['/etc/passwd', 'absolute_path'],
    ['//server/share/x', 'absolute_path'],
    ['C:/x.jpg', 'absolute_path'],
    ['c:x.jpg', 'absolute_path'],
    ['../x', 'path_traversal'],
    ['a/../../x', 'path_traversal'],
    ['a/..', 'path_traversal'],
    ['..\\x', 'path_traversal'],
    ['', 'invalid_name'],
    ['./', 'invalid_name'],
    [`${'a'.repeat(1025)}/x`, 'invalid_name'],
  ] as const)('refuses a name (%#) as %s', (input, code) => {
    expect(normaliseEntryPath(input)).toMatchObject({ ok: false, code });
  });

  it('decodes ZIP names: UTF-8 flag, CP437 default, lossy', () => {
    expect(decodeZipName(Buffer.from('plain.txt'), 0, [])).toEqual({ name: 'plain.txt', encoding: 'utf-8' });
    expect(decodeZipName(Buffer.from([0x8e, 0x2e, 0x6a, 0x70, 0x67]), 0, [])).toEqual({ name: 'Ä.jpg', encoding: 'cp437', rawHex: '8e2e6a7067' });
    expect(decodeZipName(Buffer.from('Ä.jpg'), 0x800, [])).toEqual({ name: 'Ä.jpg', encoding: 'utf-8' });
    expect(decodeZipName(Buffer.from([0xc3, 0x28]), 0x800, [])).toEqual({ name: '\ufffd(', encoding: 'lossy', rawHex: 'c328' });
  });

  it('computes CRC-32 as ZIP does', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(Buffer.from('56789'), crc32(Buffer.from('1234')))).toBe(0xcbf43926);
  });
});
