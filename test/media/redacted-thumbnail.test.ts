import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { encodeGreyPng } from '../../src/media/png-grey.js';
import { redactedThumbnail } from '../../src/media/redacted-thumbnail.js';
import { PdqHasher } from '../../src/signals/pdq/pdq-hasher.js';

async function greyOf(png: Buffer) {
  expect(await sharp(png).metadata()).toMatchObject({ format: 'png', channels: 1, depth: 'uchar' });
  const { data, info } = await sharp(png).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  expect(info.channels).toBe(1);
  return { data, width: info.width, height: info.height, at: (x: number, y: number) => data[y * info.width + x] };
}

/** 400x200 RGB: the left half dark, the right half bright. */
function halves(channels: 3 | 4 = 3, alpha = 255): Uint8Array {
  const data = new Uint8Array(400 * 200 * channels);
  for (let y = 0; y < 200; y++) {
    for (let x = 0; x < 400; x++) {
      const p = (y * 400 + x) * channels;
      data.fill(x < 200 ? 20 : 230, p, p + 3);
      if (channels === 4) data[p + 3] = alpha;
    }
  }
  return data;
}

/** The exact area average of a grey image at tw x th (each output pixel the mean of the inputs it covers). */
function areaAverage(data: Uint8Array, width: number, height: number, tw: number, th: number): Float64Array {
  const sums = new Float64Array(tw * th);
  const counts = new Float64Array(tw * th);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = Math.floor((y * th) / height) * tw + Math.floor((x * tw) / width);
      sums[o] += data[y * width + x];
      counts[o]++;
    }
  }
  return sums.map((v, i) => v / counts[i]);
}

/** A true Gaussian of `sigma` (kernel to 4 sigma, edges extended), rows then columns. */
function gaussian(image: Float64Array, width: number, height: number, sigma: number): Float64Array {
  const r = Math.ceil(4 * sigma);
  const kernel = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const total = kernel.reduce((a, b) => a + b, 0);
  const pass = (input: Float64Array, along: 'x' | 'y') => {
    const out = new Float64Array(input.length);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let sum = 0;
        for (let k = -r; k <= r; k++) {
          const xx = along === 'x' ? Math.min(width - 1, Math.max(0, x + k)) : x;
          const yy = along === 'y' ? Math.min(height - 1, Math.max(0, y + k)) : y;
          sum += input[yy * width + xx] * kernel[k + r];
        }
        out[y * width + x] = sum / total;
      }
    }
    return out;
  };
  return pass(pass(image, 'x'), 'y');
}

/** 1200x800 grey: blocks of many intensities and a diagonal ramp, so there is detail at every scale. */
function detailed(): { data: Uint8Array; width: number; height: number } {
  const width = 1200;
  const height = 800;
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data[y * width + x] = ((Math.floor(x / 37) * 53 + Math.floor(y / 29) * 97) % 200) + ((x + y) % 56);
  }
  return { data, width, height };
}

/**
 * How far a 256-wide redacted thumbnail of a grey image is from the exact Gaussian (sigma 256/28) of its area
 * average: the mean difference, and the worst one away from the borders (where the edge handling differs more).
 */
async function errorAgainstGaussian(png: Buffer, data: Uint8Array, width: number, height: number): Promise<{ mean: number; worst: number }> {
  const ours = await greyOf(png);
  const [tw, th] = [ours.width, ours.height];
  const sigma = tw / 28;
  const reference = gaussian(areaAverage(data, width, height, tw, th), tw, th, sigma);
  const margin = Math.ceil(sigma);
  let sum = 0;
  let worst = 0;
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const d = Math.abs(ours.at(x, y) - reference[y * tw + x]);
      sum += d;
      if (x >= margin && x < tw - margin && y >= margin && y < th - margin) worst = Math.max(worst, d);
    }
  }
  return { mean: sum / (tw * th), worst };
}

describe('encodeGreyPng', () => {
  it('writes a PNG that decoders read back byte for byte', async () => {
    const data = new Uint8Array(37 * 23);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) & 0xff;
    for (const content of ['general', 'smooth'] as const) {
      const back = await greyOf(encodeGreyPng(data, 37, 23, content));
      expect([back.width, back.height]).toEqual([37, 23]);
      expect(Buffer.from(back.data).equals(Buffer.from(data))).toBe(true);
    }
  });

  it('refuses a buffer that does not match the size', () => {
    expect(() => encodeGreyPng(new Uint8Array(10), 4, 4)).toThrow(RangeError);
  });
});

describe('redactedThumbnail', () => {
  it('reduces to the size asked, never enlarges, and blurs', async () => {
    const t = redactedThumbnail({ data: halves(), width: 400, height: 200, channels: 3 }, 256);
    expect([t.width, t.height]).toEqual([256, 128]);
    const grey = await greyOf(t.png);
    expect(grey.at(5, 64)).toBeLessThan(40);
    expect(grey.at(250, 64)).toBeGreaterThan(200);
    // The sharp edge between the halves is smeared over many pixels.
    expect(grey.at(122, 64)).toBeGreaterThan(60);
    expect(grey.at(122, 64)).toBeLessThan(200);
    const small = redactedThumbnail({ data: new Uint8Array(30 * 20), width: 30, height: 20, channels: 1 }, 256);
    expect([small.width, small.height]).toEqual([30, 20]);
  });

  it('shows the image as displayed: orientation 6 puts the stored left half on top', async () => {
    const t = redactedThumbnail({ data: halves(), width: 400, height: 200, channels: 3, orientation: 6 }, 256);
    expect([t.width, t.height]).toEqual([128, 256]);
    const grey = await greyOf(t.png);
    expect(grey.at(64, 5)).toBeLessThan(40);
    expect(grey.at(64, 250)).toBeGreaterThan(200);
    const t8 = await greyOf(redactedThumbnail({ data: halves(), width: 400, height: 200, channels: 3, orientation: 8 }, 256).png);
    expect(t8.at(64, 5)).toBeGreaterThan(200);
    const t2 = await greyOf(redactedThumbnail({ data: halves(), width: 400, height: 200, channels: 3, orientation: 2 }, 256).png);
    expect(t2.at(5, 64)).toBeGreaterThan(200);
  });

  it('is the Gaussian blur of the reduced image, though blurred on a coarser grid', async () => {
    const { data, width, height } = detailed();
    const t = redactedThumbnail({ data, width, height, channels: 1 }, 256);
    expect([t.width, t.height]).toEqual([256, 171]);
    // The coarse grid, the skipped samples and the boxes for the Gaussian cost a grey level on average, a few at
    // most away from the borders (where the edge handling of the two differs more).
    const { mean, worst } = await errorAgainstGaussian(t.png, data, width, height);
    expect(mean).toBeLessThan(1.5);
    expect(worst).toBeLessThan(5);
  });

  it('is the same blur when made from PDQ\'s 64x64 reduction of the image, which then stands for the pixels', async () => {
    const { data, width, height } = detailed();
    const pdq = new PdqHasher();
    pdq.hash({ data, width, height, channels: 1 });
    const grid = pdq.lastDecimated()!;
    expect(grid).toHaveLength(64 * 64);
    const reduced = { data: grid, width: 64, height: 64 };
    const t = redactedThumbnail({ data, width, height, channels: 1, reduced }, 256);
    expect([t.width, t.height]).toEqual([256, 171]);
    const { mean, worst } = await errorAgainstGaussian(t.png, data, width, height);
    expect(mean).toBeLessThan(1.5);
    expect(worst).toBeLessThan(5);
    // The pixels are not read: the reduction alone makes the picture (and is left as it was given).
    const before = grid.slice();
    const fromGridOnly = redactedThumbnail({ data: new Uint8Array(width * height), width, height, channels: 1, reduced }, 256);
    expect(fromGridOnly.png.equals(t.png)).toBe(true);
    expect(grid).toEqual(before);
  });

  it('turns a thumbnail made from a reduction as the image is displayed, and ignores it for transparent pixels', async () => {
    const pdq = new PdqHasher();
    pdq.hash({ data: halves(), width: 400, height: 200, channels: 3 });
    const reduced = { data: pdq.lastDecimated()!, width: 64, height: 64 };
    const t = redactedThumbnail({ data: halves(), width: 400, height: 200, channels: 3, orientation: 6, reduced }, 256);
    expect([t.width, t.height]).toEqual([128, 256]);
    const g = await greyOf(t.png);
    // Orientation 6 (turn 90 degrees clockwise): the dark left half of the stored image is now at the top.
    expect(g.at(64, 10)).toBeLessThan(60);
    expect(g.at(64, 245)).toBeGreaterThan(190);
    // With transparency the thumbnail shows the pixels over mid grey, which PDQ's reduction does not know of.
    pdq.hash({ data: halves(4, 0), width: 400, height: 200, channels: 4 });
    const clear = await greyOf(redactedThumbnail({ data: halves(4, 0), width: 400, height: 200, channels: 4, reduced: { data: pdq.lastDecimated()!, width: 64, height: 64 } }, 64).png);
    expect(Math.abs(clear.at(3, 10) - 128)).toBeLessThanOrEqual(1);
    // An image too small to hash leaves no reduction.
    pdq.hash({ data: new Uint8Array(4 * 4), width: 4, height: 4, channels: 1 });
    expect(pdq.lastDecimated()).toBeNull();
  });

  it('puts transparent pixels on mid grey', async () => {
    const t = await greyOf(redactedThumbnail({ data: halves(4, 0), width: 400, height: 200, channels: 4 }, 64).png);
    expect(Math.abs(t.at(3, 10) - 128)).toBeLessThanOrEqual(1);
    expect(Math.abs(t.at(60, 10) - 128)).toBeLessThanOrEqual(1);
  });
});
