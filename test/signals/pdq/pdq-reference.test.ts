import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatHash256, hammingDistance256, isZeroHash256, parseHash256 } from '../../../src/core/hash256.js';
import { ImageDecoder } from '../../../src/media/decode.js';
import { DIHEDRAL_VARIANTS } from '../../../src/signals/pdq/dihedral.js';
import { PdqHasher, type PdqHashResult } from '../../../src/signals/pdq/pdq-hasher.js';
import { missingShared } from '../../support/requirements.js';
import { PDQ_DATA, pdqPath, readReferenceCsv, type ReferenceRow } from './support.js';

/**
 * Agreement with Meta's reference full-resolution PDQ core on the shared test images (hashes made with the C++
 * reference on ImageMagick-decoded pixels: generated/fullres-core-hashes.csv).
 */
describe.skipIf(missingShared(...PDQ_DATA))('PDQ agrees with the reference implementation', () => {
  const decoder = new ImageDecoder();
  const hasher = new PdqHasher();
  const results = new Map<string, PdqHashResult>();
  let rows: ReferenceRow[] = [];

  async function hashFile(file: string): Promise<PdqHashResult> {
    let result = results.get(file);
    if (!result) {
      const image = await decoder.decode(readFileSync(pdqPath(file)));
      result = hasher.hash(image, { dihedral: true });
      results.set(file, result);
    }
    return result;
  }

  beforeAll(async () => {
    rows = readReferenceCsv('fullres-core-hashes.csv');
    for (const row of rows) await hashFile(row.file);
  });

  it('covers the reference list', () => {
    expect(rows.length).toBeGreaterThanOrEqual(50);
  });

  it('reproduces every PNG (8-bit, and the 16-bit grey one) bit for bit, with the same quality', () => {
    const pngs = rows.filter((row) => row.file.endsWith('.png'));
    expect(pngs.length).toBeGreaterThanOrEqual(9);
    const mismatches = pngs
      .map((row) => ({ row, got: results.get(row.file)! }))
      .filter(({ row, got }) => formatHash256(got.hash) !== row.hash || got.quality !== row.quality)
      .map(({ row, got }) => `${row.file}: ${formatHash256(got.hash)} q${got.quality}, expected ${row.hash} q${row.quality}`);
    expect(mismatches).toEqual([]);
  });

  it('gives the same PNG results with the JavaScript kernels as with WebAssembly', async () => {
    const plain = new PdqHasher({ backend: 'js' });
    for (const row of rows.filter((r) => r.file.endsWith('.png'))) {
      const got = plain.hash(await decoder.decode(readFileSync(pdqPath(row.file))));
      expect(`${row.file} ${formatHash256(got.hash)} q${got.quality}`).toBe(`${row.file} ${row.hash} q${row.quality}`);
    }
  });

  it('hashes every JPEG within 2 bits of the reference, with the same quality', () => {
    const jpegs = rows.filter((row) => /\.jpe?g$/.test(row.file));
    expect(jpegs.length).toBeGreaterThanOrEqual(35);
    const report = jpegs.map((row) => {
      const got = results.get(row.file)!;
      return { file: row.file, distance: hammingDistance256(got.hash, parseHash256(row.hash)), quality: got.quality, expected: row.quality };
    });
    expect(report.filter((r) => r.distance > 2 || r.quality !== r.expected)).toEqual([]);
  });

  it('hashes the WebP colour modes within 2 bits, with the same quality', () => {
    const webps = rows.filter((row) => row.file.endsWith('.webp'));
    expect(webps.length).toBeGreaterThanOrEqual(5);
    for (const row of webps) {
      const got = results.get(row.file)!;
      expect({ file: row.file, distance: hammingDistance256(got.hash, parseHash256(row.hash)) <= 2, quality: got.quality }).toEqual({
        file: row.file,
        distance: true,
        quality: row.quality,
      });
    }
  });

  it('keeps a quality-0 image at quality 0 and all-zero reference hashes all-zero', async () => {
    expect(results.get('misc-images/small.jpg')!.quality).toBe(0);
    for (const row of rows.filter((r) => isZeroHash256(parseHash256(r.hash)))) {
      expect(isZeroHash256(results.get(row.file)!.hash), row.file).toBe(true);
    }
    // The reference answers all-zero bits and quality 0 below 5 pixels on a side: slivers of a test image.
    const wee = await decoder.decode(readFileSync(pdqPath('misc-images/wee.jpg')));
    for (const region of [
      { left: 0, top: 0, width: 4, height: wee.height },
      { left: 3, top: 10, width: 20, height: 4 },
    ]) {
      const sliver = hasher.hash(wee, { region, dihedral: true });
      expect(isZeroHash256(sliver.hash) && sliver.quality === 0 && sliver.dihedral!.every((h) => isZeroHash256(h))).toBe(true);
    }
  });

  it('matches each rotated/mirrored bridge file to the same dihedral variant of the original (distance <= 31)', async () => {
    const original = await hashFile('reg-test-input/dih/bridge-1-original.jpg');
    const files = [
      'bridge-1-original.jpg',
      'bridge-2-rotate-90.jpg',
      'bridge-3-rotate-180.jpg',
      'bridge-4-rotate-270.jpg',
      'bridge-5-flipx.jpg',
      'bridge-6-flipy.jpg',
      'bridge-7-flip-plus-1.jpg',
      'bridge-8-flip-minus-1.jpg',
    ];
    for (let v = 0; v < files.length; v++) {
      const transformed = await hashFile(`reg-test-input/dih/${files[v]}`);
      const distances = original.dihedral!.map((variant) => hammingDistance256(variant, transformed.hash));
      expect({ file: files[v], variant: DIHEDRAL_VARIANTS[v], distance: distances[v] <= 31 }).toEqual({ file: files[v], variant: DIHEDRAL_VARIANTS[v], distance: true });
      // and it is the closest variant
      expect(Math.min(...distances)).toBe(distances[v]);
    }
  });

  it('reproduces the reference dihedral hashes exactly where the reference did not pre-resize (images <= 512 px)', async () => {
    const rowsDih = readReferenceCsv('cpp-cli-dihedral.csv').filter((r) => !r.file.includes('bridge'));
    expect(rowsDih.length).toBe(16);
    const order = ['orig', 'rot90', 'rot180', 'rot270', 'flipx', 'flipy', 'flipplus1', 'flipminus1'];
    for (const row of rowsDih) {
      const got = await hashFile(row.file);
      expect(`${row.file} ${row.variant} ${formatHash256(got.dihedral![order.indexOf(row.variant!)])}`).toBe(`${row.file} ${row.variant} ${row.hash}`);
    }
  });

  it('parses and formats every hash of the reference hashtool test files', () => {
    for (const name of ['short256.dat', 'long256.dat', 'order256.dat']) {
      const lines = readFileSync(pdqPath(`reg-test-input/${name}`), 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
      for (const line of lines) expect(formatHash256(parseHash256(line))).toBe(line.toLowerCase());
    }
  });
});
