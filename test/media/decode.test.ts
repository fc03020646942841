import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { syntheticPixels } from '../../bench/hash-corpus.js';
import { InvalidError } from '../../src/core/errors.js';
import { hammingDistance256 } from '../../src/core/hash256.js';
import { decodeBmp } from '../../src/media/decode-bmp.js';
import { ImageDecoder, sniffMediaType, type DecodedImage } from '../../src/media/decode.js';
import { PdqHasher } from '../../src/signals/pdq/pdq-hasher.js';
import { missing } from '../support/requirements.js';

const W = 97;
const H = 61;
const rgb = syntheticPixels(W, H, 7);
const raw = { raw: { width: W, height: H, channels: 3 as const } };

function maxDifference(a: DecodedImage, b: Uint8Array, channels: number): number {
  let max = 0;
  for (let p = 0; p < a.width * a.height; p++) {
    for (let c = 0; c < Math.min(3, channels, a.channels); c++) max = Math.max(max, Math.abs(a.data[p * a.channels + c] - b[p * channels + c]));
  }
  return max;
}

/** A BMP file written by hand: 24 or 32 bits per pixel, or 8-bit with a palette; bottom-up unless topDown. */
function makeBmp(pixels: Uint8Array, width: number, height: number, bits: 8 | 24 | 32, topDown: boolean, palette?: Uint8Array): Uint8Array {
  const rowBytes = Math.floor((width * bits + 31) / 32) * 4;
  const paletteBytes = bits === 8 ? 256 * 4 : 0;
  const offset = 14 + 40 + paletteBytes;
  const file = new Uint8Array(offset + rowBytes * height);
  const view = new DataView(file.buffer);
  file[0] = 0x42;
  file[1] = 0x4d;
  view.setUint32(2, file.length, true);
  view.setUint32(10, offset, true);
  view.setUint32(14, 40, true);
  view.setInt32(18, width, true);
  view.setInt32(22, topDown ? -height : height, true);
  view.setUint16(26, 1, true);
  view.setUint16(28, bits, true);
  view.setUint32(30, 0, true);
  view.setUint32(46, bits === 8 ? 256 : 0, true);
  if (palette) for (let i = 0; i < 256; i++) file.set([palette[i * 3 + 2], palette[i * 3 + 1], palette[i * 3], 0], 54 + i * 4);
  for (let y = 0; y < height; y++) {
    const row = offset + (topDown ? y : height - 1 - y) * rowBytes;
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 3;
      if (bits === 8) file[row + x] = pixels[y * width + x];
      else {
        const q = row + x * (bits / 8);
        file[q] = pixels[p + 2];
        file[q + 1] = pixels[p + 1];
        file[q + 2] = pixels[p];
        if (bits === 32) file[q + 3] = 0x80;
      }
    }
  }
  return file;
}

describe('ImageDecoder', () => {
  const decoder = new ImageDecoder();

  it('decodes PNG RGB losslessly', async () => {
    const png = await sharp(rgb.data, raw).png().toBuffer();
    const image = await decoder.decode(png);
    expect({ width: image.width, height: image.height, channels: image.channels, format: image.format }).toEqual({ width: W, height: H, channels: 3, format: 'png' });
    expect(Buffer.from(image.data).equals(Buffer.from(rgb.data))).toBe(true);
  });

  it('keeps alpha as a channel without flattening it', async () => {
    const rgba = new Uint8Array(W * H * 4);
    for (let p = 0; p < W * H; p++) rgba.set([...rgb.data.subarray(p * 3, p * 3 + 3), p % 256], p * 4);
    const image = await decoder.decode(await sharp(rgba, { raw: { width: W, height: H, channels: 4 } }).png().toBuffer());
    expect(image.channels).toBe(4);
    expect(maxDifference(image, rgba, 4)).toBe(0);
    expect(image.data[7]).toBe(1);
  });

  it('decodes grey, grey + alpha and palette PNGs', async () => {
    const grey = new Uint8Array(W * H);
    for (let p = 0; p < grey.length; p++) grey[p] = rgb.data[p * 3];
    const greyPng = await sharp(grey, { raw: { width: W, height: H, channels: 1 } }).png().toBuffer();
    const g = await decoder.decode(greyPng);
    expect(g.data.filter((_, i) => i % g.channels === 0)).toEqual(grey);
    const palettePng = await sharp(rgb.data, raw).png({ palette: true, colours: 256, dither: 0 }).toBuffer();
    expect((await sharp(palettePng).metadata()).isPalette).toBe(true);
    const p = await decoder.decode(palettePng);
    expect(p.channels).toBeGreaterThanOrEqual(3);
    expect(maxDifference(p, rgb.data, 3)).toBeLessThan(64);
  });

  it('rounds 16-bit samples to 8 bits as ImageMagick does (v / 257, rounded)', async () => {
    const wide = new Uint16Array(W * H * 3);
    for (let i = 0; i < wide.length; i++) wide[i] = (i * 7919 + 128) % 65536;
    const png16 = await sharp(wide, { raw: { width: W, height: H, channels: 3 } })
      .toColourspace('rgb16')
      .png()
      .toBuffer();
    expect((await sharp(png16).metadata()).depth).toBe('ushort');
    const image = await decoder.decode(png16);
    const expected = new Uint8Array(wide.length);
    for (let i = 0; i < wide.length; i++) expected[i] = Math.round(wide[i] / 257);
    expect(maxDifference(image, expected, 3)).toBe(0);
  });

  it('decodes WebP (lossless exactly), TIFF, GIF (first frame) and AVIF', async () => {
    const webp = await decoder.decode(await sharp(rgb.data, raw).webp({ lossless: true }).toBuffer());
    expect(maxDifference(webp, rgb.data, 3)).toBe(0);
    const tiff = await decoder.decode(await sharp(rgb.data, raw).tiff({ compression: 'lzw' }).toBuffer());
    expect(maxDifference(tiff, rgb.data, 3)).toBe(0);
    expect(tiff.format).toBe('tiff');

    // A two-frame GIF: the first frame is the image, the second is black.
    const frames = new Uint8Array(W * H * 3 * 2);
    frames.set(rgb.data);
    const gif = await sharp(frames, { raw: { width: W, height: H * 2, channels: 3, pageHeight: H } }).gif().toBuffer();
    expect((await sharp(gif).metadata()).pages).toBe(2);
    const first = await decoder.decode(gif);
    expect({ width: first.width, height: first.height }).toEqual({ width: W, height: H });
    const hasher = new PdqHasher();
    expect(hammingDistance256(hasher.hash(first).hash, hasher.hash(rgb).hash)).toBeLessThanOrEqual(31);

    const avif = await decoder.decode(await sharp(rgb.data, raw).avif({ quality: 90 }).toBuffer());
    expect({ width: avif.width, height: avif.height }).toEqual({ width: W, height: H });
    expect(hammingDistance256(hasher.hash(avif).hash, hasher.hash(rgb).hash)).toBeLessThanOrEqual(31);
  });

  it('ignores EXIF orientation and embedded ICC profiles (the reference hashes the stored pixels)', async () => {
    const rotated = await sharp(rgb.data, raw).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
    expect((await sharp(rotated).metadata()).orientation).toBe(6);
    const image = await decoder.decode(rotated);
    expect({ width: image.width, height: image.height }).toEqual({ width: W, height: H });

    const tagged = await sharp(rgb.data, raw).withIccProfile('p3').png().toBuffer();
    expect((await sharp(tagged).metadata()).hasProfile).toBe(true);
    const stored = await sharp(tagged, { ignoreIcc: true }).raw().toBuffer();
    const decoded = await decoder.decode(tagged);
    expect(Buffer.from(decoded.data).equals(stored)).toBe(true);
  });

  it('decodes BMP: 24-bit and 32-bit, 8-bit palette, bottom-up and top-down', async () => {
    for (const bits of [24, 32] as const) {
      for (const topDown of [false, true]) {
        const bmp = makeBmp(rgb.data, W, H, bits, topDown);
        expect((await sniffMediaType(bmp))?.mime).toBe('image/bmp');
        const image = await decoder.decode(bmp);
        expect({ bits, topDown, format: image.format, channels: image.channels, diff: maxDifference(image, rgb.data, 3) }).toEqual({
          bits,
          topDown,
          format: 'bmp',
          channels: 3,
          diff: 0,
        });
      }
    }
    const palette = new Uint8Array(256 * 3);
    for (let i = 0; i < 256; i++) palette.set([i, 255 - i, (i * 7) % 256], i * 3);
    const indices = new Uint8Array(W * H);
    for (let i = 0; i < indices.length; i++) indices[i] = rgb.data[i * 3];
    for (const topDown of [false, true]) {
      const image = decodeBmp(makeBmp(indices, W, H, 8, topDown, palette));
      const expected = new Uint8Array(W * H * 3);
      for (let i = 0; i < indices.length; i++) expected.set(palette.subarray(indices[i] * 3, indices[i] * 3 + 3), i * 3);
      expect(Buffer.from(image.data).equals(Buffer.from(expected))).toBe(true);
    }
  });

  it('refuses corrupt BMPs with InvalidError', () => {
    const bmp = makeBmp(rgb.data, W, H, 24, false);
    expect(() => decodeBmp(bmp.subarray(0, bmp.length - 100))).toThrow(/truncated/);
    const rle = bmp.slice();
    new DataView(rle.buffer).setUint32(30, 1, true);
    expect(() => decodeBmp(rle)).toThrow(/RLE/);
    const huge = bmp.slice();
    new DataView(huge.buffer).setInt32(18, 100000, true);
    new DataView(huge.buffer).setInt32(22, 100000, true);
    expect(() => decodeBmp(huge)).toThrow(InvalidError);
  });

  it('refuses files that are not images, and corrupt images, with InvalidError and a clear message', async () => {
    await expect(decoder.decode(Buffer.from('just some text, not an image'))).rejects.toThrow(/not a supported image: the file type could not be recognised/);
    await expect(decoder.decode(Buffer.from('%PDF-1.4\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n'))).rejects.toThrow(/not a supported image: application\/pdf/);
    const jpeg = await sharp(rgb.data, raw).jpeg().toBuffer();
    const truncated = jpeg.subarray(0, Math.floor(jpeg.length / 2));
    await expect(decoder.decode(truncated)).rejects.toThrow(InvalidError);
    await expect(decoder.decode(truncated)).rejects.toThrow(/cannot decode image/);
    const png = await sharp(rgb.data, raw).png().toBuffer();
    const garbage = Buffer.concat([png.subarray(0, 40), Buffer.alloc(200, 0x5a)]);
    await expect(decoder.decode(garbage)).rejects.toThrow(InvalidError);
    // The lenient mode decodes what it can of a truncated JPEG.
    const partial = await decoder.decode(truncated, { lenient: true });
    expect(partial.width).toBe(W);
  });
});

/** HEIC needs an HEVC encoder to make a sample: Debian's libheif-examples (heif-enc with x265). */
function hasHeifEnc(): boolean {
  try {
    execFileSync('heif-enc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // heif-enc --version exits non-zero on some versions but runs
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

describe.skipIf(missing('heif-enc (Debian package libheif-examples) to make a HEIC sample', hasHeifEnc()))('HEIC decoding', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ariadne-heic-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('decodes an HEVC-coded HEIC through heic-decode', async () => {
    const big = syntheticPixels(320, 240, 3);
    const png = join(dir, 'in.png');
    const heic = join(dir, 'out.heic');
    writeFileSync(png, await sharp(big.data, { raw: { width: 320, height: 240, channels: 3 } }).png().toBuffer());
    execFileSync('heif-enc', ['-q', '90', '-o', heic, png], { stdio: 'ignore' });
    const bytes = readFileSync(heic);
    expect((await sniffMediaType(bytes))?.mime).toMatch(/^image\/hei[cf]/);
    const image = await new ImageDecoder().decode(bytes);
    expect({ width: image.width, height: image.height, format: image.format }).toEqual({ width: 320, height: 240, format: 'heic' });
    const hasher = new PdqHasher();
    expect(hammingDistance256(hasher.hash(image).hash, hasher.hash(big).hash)).toBeLessThanOrEqual(31);
  });
});
