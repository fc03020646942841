import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { encodeGreyPng } from '../../src/media/png-grey.js';
import { redactedThumbnail } from '../../src/media/redacted-thumbnail.js';

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

describe('encodeGreyPng', () => {
  it('writes a PNG that decoders read back byte for byte', async () => {
    const data = new Uint8Array(37 * 23);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) & 0xff;
    const back = await greyOf(encodeGreyPng(data, 37, 23));
    expect([back.width, back.height]).toEqual([37, 23]);
    expect(Buffer.from(back.data).equals(Buffer.from(data))).toBe(true);
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

  it('puts transparent pixels on mid grey', async () => {
    const t = await greyOf(redactedThumbnail({ data: halves(4, 0), width: 400, height: 200, channels: 4 }, 64).png);
    expect(Math.abs(t.at(3, 10) - 128)).toBeLessThanOrEqual(1);
    expect(Math.abs(t.at(60, 10) - 128)).toBeLessThanOrEqual(1);
  });
});
