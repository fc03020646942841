import { describe, expect, it } from 'vitest';
import { InvalidError } from '../../../src/core/errors.js';
import { formatHash256, hammingDistance256, isZeroHash256 } from '../../../src/core/hash256.js';
import { boxFilterColumns, boxFilterRows, jaroszWindowSize } from '../../../src/signals/pdq/jarosz.js';
import { PdqHasher, type RawImage } from '../../../src/signals/pdq/pdq-hasher.js';

/** The reference's one-dimensional box filter, written plainly (strided, one sample at a time, float32 sum). */
function box1D(input: Float32Array, output: Float32Array, start: number, length: number, stride: number, window: number): void {
  const half = Math.floor((window + 2) / 2);
  let sum = 0;
  let count = 0;
  let ri = start;
  let li = start;
  let oi = start;
  for (let i = 0; i < half - 1; i++, ri += stride) {
    sum = Math.fround(sum + input[ri]);
    count++;
  }
  for (let i = 0; i < window - half + 1; i++, ri += stride, oi += stride) {
    sum = Math.fround(sum + input[ri]);
    count++;
    output[oi] = Math.fround(sum / count);
  }
  for (let i = 0; i < length - window; i++, ri += stride, li += stride, oi += stride) {
    sum = Math.fround(sum + input[ri]);
    sum = Math.fround(sum - input[li]);
    output[oi] = Math.fround(sum / count);
  }
  for (let i = 0; i < half - 1; i++, li += stride, oi += stride) {
    sum = Math.fround(sum - input[li]);
    count--;
    output[oi] = Math.fround(sum / count);
  }
}

function countDifferences(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.max(a.length, b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) n++;
  return n;
}

function randomLuma(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = Math.fround(((x >>> 8) % 25600) / 100.37);
  }
  return out;
}

/** Synthetic RGB with structure: gradients, a disc and some texture. */
function syntheticImage(width: number, height: number, channels: 1 | 2 | 3 | 4 = 3, seed = 1): RawImage {
  const data = new Uint8Array(width * height * channels);
  let x = seed;
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < width; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const inDisc = (i - width * 0.6) ** 2 + (y - height * 0.4) ** 2 < (Math.min(width, height) * 0.25) ** 2;
      const base = inDisc ? 220 : (255 * i) / width;
      const p = (y * width + i) * channels;
      const noise = (x >>> 24) % 16;
      for (let c = 0; c < channels; c++) data[p + c] = Math.min(255, Math.round(c === 3 || (channels === 2 && c === 1) ? 255 - noise : base * (1 - c * 0.2) + ((255 * y) / height) * c * 0.3 + noise));
    }
  }
  return { data, width, height, channels };
}

describe('Jarosz box filter', () => {
  it('window sizes follow floor((n + 127) / 128)', () => {
    expect(jaroszWindowSize(5)).toBe(1);
    expect(jaroszWindowSize(128)).toBe(1);
    expect(jaroszWindowSize(129)).toBe(2);
    expect(jaroszWindowSize(1024)).toBe(8);
    expect(jaroszWindowSize(1600)).toBe(13);
  });

  for (const [width, height] of [
    [5, 5],
    [7, 131],
    [129, 6],
    [257, 300],
    [1024, 37],
    [333, 1025],
  ]) {
    it(`rows and columns are bit-exact with the plain reference filter on ${width}x${height}`, () => {
      const input = randomLuma(width * height, width * 31 + height);
      const rowWindow = jaroszWindowSize(width) + (width > 200 ? 3 : 0);
      const columnWindow = jaroszWindowSize(height) + (height > 200 ? 2 : 0);
      const expectedRows = new Float32Array(width * height);
      for (let r = 0; r < height; r++) box1D(input, expectedRows, r * width, width, 1, rowWindow);
      const rows = new Float32Array(width * height);
      boxFilterRows(input, rows, width, height, rowWindow);
      expect(countDifferences(rows, expectedRows)).toBe(0);

      const expectedColumns = new Float32Array(width * height);
      for (let c = 0; c < width; c++) box1D(rows, expectedColumns, c, height, width, columnWindow);
      for (const block of [1, 3, 64, 256, 4096]) {
        const columns = new Float32Array(width * height);
        boxFilterColumns(rows, columns, width, height, columnWindow, new Float32Array(block), block);
        expect(countDifferences(columns, expectedColumns), `block ${block}`).toBe(0);
      }
    });
  }
});

describe('PdqHasher', () => {
  it('gives the all-zero hash and quality 0 below 5 pixels on a side', () => {
    const hasher = new PdqHasher();
    for (const [w, h] of [
      [4, 100],
      [100, 4],
      [0, 0],
      [1, 1],
    ]) {
      const result = hasher.hash(syntheticImage(w, h), { dihedral: true });
      expect(isZeroHash256(result.hash)).toBe(true);
      expect(result.quality).toBe(0);
      expect(result.dihedral).toHaveLength(8);
      for (const v of result.dihedral!) expect(isZeroHash256(v)).toBe(true);
    }
    expect(hasher.hash(syntheticImage(5, 5)).quality).toBeGreaterThanOrEqual(0);
  });

  it('gives quality 0 for a flat image (its bits are float noise, as in the reference)', () => {
    const image: RawImage = { data: new Uint8Array(64 * 48 * 3).fill(77), width: 64, height: 48, channels: 3 };
    expect(new PdqHasher().hash(image).quality).toBe(0);
  });

  it('ignores alpha (no flattening) and treats RGB grey like grey', () => {
    const hasher = new PdqHasher();
    const rgba = syntheticImage(120, 90, 4);
    const rgb = new Uint8Array(120 * 90 * 3);
    for (let p = 0; p < 120 * 90; p++) rgb.set(rgba.data.subarray(p * 4, p * 4 + 3), p * 3);
    expect(formatHash256(hasher.hash(rgba).hash)).toBe(formatHash256(hasher.hash({ data: rgb, width: 120, height: 90, channels: 3 }).hash));
    const greyAlpha = syntheticImage(120, 90, 2);
    const grey = new Uint8Array(120 * 90);
    for (let p = 0; p < grey.length; p++) grey[p] = greyAlpha.data[p * 2];
    const a = hasher.hash(greyAlpha);
    const b = hasher.hash({ data: grey, width: 120, height: 90, channels: 1 });
    expect(formatHash256(a.hash)).toBe(formatHash256(b.hash));
    const greyAsRgb = new Uint8Array(grey.length * 3);
    for (let p = 0; p < grey.length; p++) greyAsRgb.fill(grey[p], p * 3, p * 3 + 3);
    expect(hammingDistance256(b.hash, hasher.hash({ data: greyAsRgb, width: 120, height: 90, channels: 3 }).hash)).toBeLessThanOrEqual(2);
  });

  it('reuses its buffers: the same image hashes the same after larger and smaller ones', () => {
    const hasher = new PdqHasher();
    const small = syntheticImage(200, 150, 3, 5);
    const first = formatHash256(hasher.hash(small).hash);
    hasher.hash(syntheticImage(900, 700, 3, 9));
    expect(formatHash256(hasher.hash(small).hash)).toBe(first);
    expect(formatHash256(new PdqHasher().hash(small).hash)).toBe(first);
  });

  it('hashes a region the same as the cropped pixels', () => {
    const hasher = new PdqHasher();
    const image = syntheticImage(300, 200, 3, 3);
    const box = { left: 40, top: 25, width: 200, height: 150 };
    const cropped = new Uint8Array(box.width * box.height * 3);
    for (let y = 0; y < box.height; y++) {
      cropped.set(image.data.subarray(((box.top + y) * 300 + box.left) * 3, ((box.top + y) * 300 + box.left + box.width) * 3), y * box.width * 3);
    }
    const a = hasher.hash(image, { region: box });
    const b = hasher.hash({ data: cropped, width: box.width, height: box.height, channels: 3 });
    expect(formatHash256(a.hash)).toBe(formatHash256(b.hash));
    expect(a.quality).toBe(b.quality);
  });

  it('the dihedral variants of an image match the hashes of the transformed pixels', () => {
    const hasher = new PdqHasher();
    const w = 160;
    const h = 120;
    const image = syntheticImage(w, h, 1, 11);
    const variants = hasher.hash(image, { dihedral: true }).dihedral!;
    const at = (x: number, y: number) => image.data[y * w + x];
    const transforms: Array<[number, number, (x: number, y: number) => number]> = [
      [w, h, (x, y) => at(x, y)],
      [h, w, (x, y) => at(w - 1 - y, x)], // rot90 (counter-clockwise)
      [w, h, (x, y) => at(w - 1 - x, h - 1 - y)],
      [h, w, (x, y) => at(y, h - 1 - x)], // rot270
      [w, h, (x, y) => at(x, h - 1 - y)], // flipX: top-bottom
      [w, h, (x, y) => at(w - 1 - x, y)], // flipY: mirror
      [h, w, (x, y) => at(y, x)], // transpose
      [h, w, (x, y) => at(w - 1 - y, h - 1 - x)], // anti-transpose
    ];
    transforms.forEach(([tw, th, pixel], v) => {
      const data = new Uint8Array(tw * th);
      for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) data[y * tw + x] = pixel(x, y);
      const direct = hasher.hash({ data, width: tw, height: th, channels: 1 }).hash;
      // The box filter's window and the decimation grid are not exactly symmetric, so the variant is a near match (a
      // match at the usual threshold of 31), and the nearest of the eight.
      const distances = variants.map((variant) => hammingDistance256(direct, variant));
      expect(distances[v], `variant ${v}`).toBeLessThanOrEqual(31);
      expect(Math.min(...distances), `variant ${v}`).toBe(distances[v]);
    });
  });

  it('refuses malformed input with InvalidError', () => {
    const hasher = new PdqHasher();
    expect(() => hasher.hash({ data: new Uint8Array(10), width: 10, height: 10, channels: 3 })).toThrow(InvalidError);
    expect(() => hasher.hash({ data: new Uint8Array(300), width: 10, height: 10, channels: 5 as 3 })).toThrow(InvalidError);
    expect(() => hasher.hash(syntheticImage(10, 10), { region: { left: 5, top: 0, width: 6, height: 10 } })).toThrow(InvalidError);
    expect(() => hasher.hash({ data: new Uint8Array(300), width: 10.5, height: 10, channels: 3 })).toThrow(InvalidError);
  });
});
