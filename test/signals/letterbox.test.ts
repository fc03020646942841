import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { syntheticPixels } from '../../bench/hash-corpus.js';
import { formatHash256, hammingDistance256 } from '../../src/core/hash256.js';
import { ImageDecoder } from '../../src/media/decode.js';
import { computeImageSignals } from '../../src/signals/pdq/image-signals.js';
import { detectLetterbox } from '../../src/signals/pdq/letterbox.js';
import { PdqHasher, type RawImage } from '../../src/signals/pdq/pdq-hasher.js';
import { missingShared, sharedPath } from '../support/requirements.js';

const W = 400;
const H = 300;
const content = syntheticPixels(W, H, 21);
const decoder = new ImageDecoder();
const hasher = new PdqHasher();

type Bars = { top?: number; bottom?: number; left?: number; right?: number; background: { r: number; g: number; b: number } };

async function withBars(bars: Bars, format: 'png' | 'jpeg'): Promise<RawImage> {
  const extended = sharp(content.data, { raw: { width: W, height: H, channels: 3 } }).extend({
    top: bars.top ?? 0,
    bottom: bars.bottom ?? 0,
    left: bars.left ?? 0,
    right: bars.right ?? 0,
    background: bars.background,
  });
  const encoded = format === 'png' ? await extended.png().toBuffer() : await extended.jpeg({ quality: 80 }).toBuffer();
  return decoder.decode(encoded);
}

describe('letterbox detection', () => {
  const cases: Array<[string, Bars]> = [
    ['black bars top and bottom', { top: 90, bottom: 90, background: { r: 0, g: 0, b: 0 } }],
    ['white bars left and right', { left: 120, right: 120, background: { r: 255, g: 255, b: 255 } }],
    ['a coloured frame on all four sides', { top: 30, bottom: 50, left: 40, right: 20, background: { r: 30, g: 120, b: 200 } }],
    ['one bar at the bottom', { bottom: 100, background: { r: 12, g: 12, b: 12 } }],
  ];

  for (const [name, bars] of cases) {
    it(`finds ${name} exactly in a PNG, and the trimmed PDQ equals the content's PDQ`, async () => {
      const image = await withBars(bars, 'png');
      const box = detectLetterbox(image);
      expect(box).toEqual({ left: bars.left ?? 0, top: bars.top ?? 0, width: W, height: H });
      const signals = computeImageSignals(hasher, image);
      const original = hasher.hash(content);
      expect(formatHash256(signals.trimmed!.pdq)).toBe(formatHash256(original.hash));
      expect(signals.trimmed!.quality).toBe(original.quality);
    });

    it(`finds ${name} within a few pixels in a JPEG, and the trimmed PDQ matches the content`, async () => {
      const image = await withBars(bars, 'jpeg');
      const box = detectLetterbox(image)!;
      expect(box).toBeDefined();
      expect(Math.abs(box.left - (bars.left ?? 0))).toBeLessThanOrEqual(4);
      expect(Math.abs(box.top - (bars.top ?? 0))).toBeLessThanOrEqual(4);
      expect(Math.abs(box.width - W)).toBeLessThanOrEqual(8);
      expect(Math.abs(box.height - H)).toBeLessThanOrEqual(8);
      const signals = computeImageSignals(hasher, image);
      const original = hasher.hash(content).hash;
      expect(hammingDistance256(signals.trimmed!.pdq, original)).toBeLessThanOrEqual(31);
      expect(hammingDistance256(signals.pdq, original)).toBeGreaterThan(hammingDistance256(signals.trimmed!.pdq, original));
    });
  }

  it('finds nothing in an image without bars, in a uniform image, or when asked not to look', async () => {
    expect(detectLetterbox(content)).toBeUndefined();
    expect(computeImageSignals(hasher, content).trimmed).toBeUndefined();
    const flat: RawImage = { data: new Uint8Array(W * H * 3).fill(40), width: W, height: H, channels: 3 };
    expect(detectLetterbox(flat)).toBeUndefined();
    const barred = await withBars({ top: 90, bottom: 90, background: { r: 0, g: 0, b: 0 } }, 'png');
    expect(computeImageSignals(hasher, barred, { letterbox: false }).trimmed).toBeUndefined();
  });

  it('ignores bars too thin to matter and content too small to hash meaningfully', async () => {
    expect(detectLetterbox(await withBars({ top: 1, bottom: 1, background: { r: 0, g: 0, b: 0 } }, 'png'))).toBeUndefined();
    const dot = new Uint8Array(W * H * 3);
    for (let y = 140; y < 160; y++) for (let x = 190; x < 210; x++) dot.fill(255, (y * W + x) * 3, (y * W + x) * 3 + 3);
    expect(detectLetterbox({ data: dot, width: W, height: H, channels: 3 })).toBeUndefined();
  });

  it('gives dihedral variants of the trimmed content too', async () => {
    const image = await withBars({ left: 100, right: 100, background: { r: 0, g: 0, b: 0 } }, 'png');
    const signals = computeImageSignals(hasher, image, { dihedral: true });
    expect(signals.dihedral).toHaveLength(8);
    expect(signals.trimmed!.dihedral).toHaveLength(8);
    expect(formatHash256(signals.trimmed!.dihedral![0])).toBe(formatHash256(signals.trimmed!.pdq));
  });
});

describe.skipIf(missingShared('testdata', 'pdq', 'pytx-resources', 'letterboxed_sample-b.jpg'))('letterbox on the reference sample', () => {
  it('trims letterboxed_sample-b.jpg back to the bridge photo (whole image no match, trimmed within 31)', async () => {
    const read = (file: string) => readFileSync(sharedPath('testdata', 'pdq', file));
    const original = hasher.hash(await decoder.decode(read('bridge-mods/aaa-orig.jpg'))).hash;
    const signals = computeImageSignals(hasher, await decoder.decode(read('pytx-resources/letterboxed_sample-b.jpg')));
    expect(hammingDistance256(signals.pdq, original)).toBeGreaterThan(31);
    expect(signals.trimmed).toBeDefined();
    expect(hammingDistance256(signals.trimmed!.pdq, original)).toBeLessThanOrEqual(31);
  });
});
