import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../src/archives/entry-names.js';
import { InvalidError } from '../../src/core/errors.js';
import { extractExif } from '../../src/media/exif.js';
import { makeThumbnails } from '../../src/media/thumbnails.js';

/** A generated test picture: gradients, a checkerboard (high frequencies) and noise. */
function pattern(width: number, height: number, seed = 1): Buffer {
  const pixels = Buffer.alloc(width * height * 3);
  let s = seed;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      const checker = ((x >> 3) + (y >> 3)) & 1 ? 200 : 40;
      const noise = s & 31;
      const o = (y * width + x) * 3;
      pixels[o] = Math.min(255, checker + noise);
      pixels[o + 1] = (x * 255) / width;
      pixels[o + 2] = (y * 255) / height;
    }
  }
  return pixels;
}

async function jpegOf(width: number, height: number, orientation?: number): Promise<Buffer> {
  const image = sharp(pattern(width, height), { raw: { width, height, channels: 3 } }).jpeg({ quality: 95 });
  return (orientation ? image.withMetadata({ orientation }) : image).toBuffer();
}

async function rawOf(image: Buffer) {
  return sharp(image).raw().toBuffer({ resolveWithObject: true });
}

/** Mean squared difference between horizontal and vertical neighbours of the luminance: high-frequency energy. */
function highFrequencyEnergy(data: Buffer, width: number, height: number, channels: number): number {
  let sum = 0;
  let n = 0;
  for (let y = 0; y < height - 1; y++) {
    for (let x = 0; x < width - 1; x++) {
      const at = (y * width + x) * channels;
      const dx = data[at] - data[at + channels];
      const dy = data[at] - data[at + width * channels];
      sum += dx * dx + dy * dy;
      n++;
    }
  }
  return sum / n;
}

describe('makeThumbnails', () => {
  it('makes a 256 px greyscale, strongly blurred PNG thumbnail and a 1280 px WebP preview', async () => {
    const source = await jpegOf(2000, 1000);
    const t = await makeThumbnails(source);
    expect([t.width, t.height]).toEqual([2000, 1000]);
    expect([t.thumbnailWidth, t.thumbnailHeight]).toEqual([256, 128]);
    expect([t.previewWidth, t.previewHeight]).toEqual([1280, 640]);
    expect((await sharp(t.thumbnail).metadata()).format).toBe('png');
    expect((await sharp(t.thumbnail).metadata()).channels).toBe(1);
    expect((await sharp(t.preview).metadata()).format).toBe('webp');
    expect(t.previewFormat).toBe('webp');

    const thumb = await rawOf(t.thumbnail);
    expect([thumb.info.width, thumb.info.height]).toEqual([256, 128]);
    // Greyscale: every pixel has R = G = B.
    const c = thumb.info.channels;
    let coloured = 0;
    if (c >= 3) for (let i = 0; i < thumb.data.length; i += c) if (thumb.data[i] !== thumb.data[i + 1] || thumb.data[i] !== thumb.data[i + 2]) coloured++;
    expect(coloured).toBe(0);

    // Blurred: far less high-frequency energy than the same-size greyscale reduction without blur.
    const plain = await sharp(source).resize(256, 128).greyscale().raw().toBuffer({ resolveWithObject: true });
    const blurred = highFrequencyEnergy(thumb.data, 256, 128, c);
    const sharpEnergy = highFrequencyEnergy(plain.data, 256, 128, plain.info.channels);
    expect(blurred).toBeLessThan(sharpEnergy / 50);
  });

  it('never enlarges a small image', async () => {
    const t = await makeThumbnails(await jpegOf(100, 80));
    expect([t.thumbnailWidth, t.thumbnailHeight, t.previewWidth, t.previewHeight]).toEqual([100, 80, 100, 80]);
  });

  it('applies the EXIF orientation to the preview and strips all metadata', async () => {
    // Stored 200x100: left half dark, right half bright. Orientation 6 (rotate 90° clockwise) puts the left half on top.
    const width = 200;
    const height = 100;
    const pixels = Buffer.alloc(width * height * 3);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) pixels.fill(x < width / 2 ? 20 : 230, (y * width + x) * 3, (y * width + x) * 3 + 3);
    const source = await sharp(pixels, { raw: { width, height, channels: 3 } })
      .jpeg()
      .withExif({ IFD0: { Make: 'Testcam' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '1/1 2/1 3/1', GPSLongitudeRef: 'E', GPSLongitude: '4/1 5/1 6/1' } })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect((await extractExif(source))?.gps).toBeDefined();
    const t = await makeThumbnails(source, { previewFormat: 'jpeg' });
    expect([t.width, t.height, t.previewWidth, t.previewHeight]).toEqual([100, 200, 100, 200]);
    const meta = await sharp(t.preview).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.exif).toBeUndefined();
    expect(meta.orientation).toBeUndefined();
    expect(meta.icc).toBeUndefined();
    expect(await extractExif(t.preview)).toBeNull();
    const preview = await rawOf(t.preview);
    const at = (x: number, y: number) => preview.data[(y * preview.info.width + x) * preview.info.channels];
    expect(at(50, 20)).toBeLessThan(60); // top: the stored left half
    expect(at(50, 180)).toBeGreaterThan(190);
    expect((await sharp(t.thumbnail).metadata()).exif).toBeUndefined();
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('orients decoded pixels (orientation %i) exactly as it orients the file', async (orientation) => {
    const source = await jpegOf(60, 40, orientation);
    const stored = await sharp(source).raw().toBuffer({ resolveWithObject: true });
    const fromBytes = await makeThumbnails(source);
    const fromPixels = await makeThumbnails({ data: stored.data, width: stored.info.width, height: stored.info.height, channels: 3, orientation });
    expect([fromPixels.width, fromPixels.height]).toEqual([fromBytes.width, fromBytes.height]);
    expect((await rawOf(fromPixels.preview)).data.equals((await rawOf(fromBytes.preview)).data)).toBe(true);
  });

  it('refuses images over the pixel limit from the header, before decoding', async () => {
    await expect(makeThumbnails(await jpegOf(100, 100), { maxPixels: 5000 })).rejects.toThrow(InvalidError);
    await expect(makeThumbnails(await jpegOf(100, 100), { maxPixels: 5000 })).rejects.toThrow(/100x100 pixels exceeds the limit of 5000/);
    // A PNG whose header claims 30000x30000 pixels (900 M, over the default 16383²) but holds almost nothing.
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#777' } }).png().toBuffer();
    const bomb = Buffer.from(png);
    bomb.writeUInt32BE(30000, 16);
    bomb.writeUInt32BE(30000, 20);
    bomb.writeUInt32BE(crc32(bomb.subarray(12, 29)), 29);
    const started = Date.now();
    await expect(makeThumbnails(bomb)).rejects.toThrow(/30000x30000 pixels exceeds the limit/);
    expect(Date.now() - started).toBeLessThan(2000);
    await expect(makeThumbnails({ data: new Uint8Array(300), width: 10, height: 10, channels: 3 }, { maxPixels: 50 })).rejects.toThrow(InvalidError);
  });

  it('answers garbage and truncated files with InvalidError', async () => {
    await expect(makeThumbnails(Buffer.from('not an image at all'))).rejects.toThrow(InvalidError);
    const jpeg = await jpegOf(300, 200);
    await expect(makeThumbnails(jpeg.subarray(0, jpeg.length / 3))).rejects.toThrow(InvalidError);
    const lenient = await makeThumbnails(jpeg.subarray(0, jpeg.length / 2), { lenient: true });
    expect(lenient.previewWidth).toBe(300);
  });

  it('flattens transparency to grey in the thumbnail and keeps it in a WebP preview', async () => {
    const png = await sharp({ create: { width: 64, height: 64, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0.5 } } }).png().toBuffer();
    const t = await makeThumbnails(png);
    expect((await sharp(t.preview).metadata()).hasAlpha).toBe(true);
    expect((await sharp(t.thumbnail).metadata()).hasAlpha).toBe(false);
  });
});
