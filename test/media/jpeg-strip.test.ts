import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import { extractExif } from '../../src/media/exif.js';
import { stripJpegMetadata } from '../../src/media/jpeg-strip.js';
import { makeThumbnails } from '../../src/media/thumbnails.js';

/** A synthetic picture: gradients and blocks, nothing else. */
async function picture(width: number, height: number): Promise<Sharp> {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = (x * 255) / width;
      data[i + 1] = (y * 255) / height;
      data[i + 2] = ((x >> 4) + (y >> 4)) % 2 ? 200 : 40;
    }
  }
  return sharp(data, { raw: { width, height, channels: 3 } });
}

const EXIF = {
  IFD0: { Make: 'SynthCam', Model: 'Test 1', Software: 'ariadne-test' },
  IFD2: { BodySerialNumber: 'SN-0042', DateTimeOriginal: '2024:01:02 03:04:05' },
  IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 0/1', GPSLongitudeRef: 'E', GPSLongitude: '2/1 21/1 0/1' },
};

async function pixels(bytes: Uint8Array): Promise<Buffer> {
  return (await sharp(bytes).raw().toBuffer({ resolveWithObject: true })).data;
}

describe('stripJpegMetadata', () => {
  it('removes EXIF (camera, serial, GPS), keeps the compressed image byte for byte', async () => {
    const original = await (await picture(320, 200)).jpeg({ quality: 80 }).withExif(EXIF).toBuffer();
    expect((await extractExif(original))?.make).toBe('SynthCam');
    const stripped = stripJpegMetadata(original)!;
    expect(stripped).not.toBeNull();
    expect([stripped.width, stripped.height]).toEqual([320, 200]);
    expect(stripped.bytes.length).toBeLessThan(original.length);
    expect(await extractExif(stripped.bytes)).toBeNull();
    expect(stripped.bytes.includes(Buffer.from('SN-0042'))).toBe(false);
    expect(stripped.bytes.includes(Buffer.from('SynthCam'))).toBe(false);
    expect((await pixels(stripped.bytes)).equals(await pixels(original))).toBe(true);
  });

  it('removes an ICC profile and comments, and handles progressive files', async () => {
    const original = await (await picture(256, 256)).withIccProfile('p3').jpeg({ quality: 75, progressive: true }).toBuffer();
    expect((await sharp(original).metadata()).icc).toBeDefined();
    // A comment segment (COM) right after SOI.
    const comment = Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0x0e]), Buffer.from('secret note!')]);
    const withComment = Buffer.concat([original.subarray(0, 2), comment, original.subarray(2)]);
    const stripped = stripJpegMetadata(withComment)!;
    const meta = await sharp(stripped.bytes).metadata();
    expect(meta.icc).toBeUndefined();
    expect(meta.isProgressive).toBe(true);
    expect(stripped.bytes.includes(Buffer.from('secret note!'))).toBe(false);
    expect([meta.width, meta.height]).toEqual([256, 256]);
  });

  it('gives a JPEG with nothing to strip back as it is, without copying it; fill bytes and trailing data go', async () => {
    const plain = await (await picture(96, 64)).jpeg({ quality: 80 }).toBuffer();
    const same = stripJpegMetadata(plain)!;
    expect([same.width, same.height]).toEqual([96, 64]);
    expect(same.bytes.equals(plain)).toBe(true);
    // The very same memory.
    expect(same.bytes.buffer === plain.buffer && same.bytes.byteOffset === plain.byteOffset).toBe(true);
    // Extra 0xff fill bytes before the first marker after SOI, and bytes after EOI: a copy without them.
    const padded = Buffer.concat([plain.subarray(0, 2), Buffer.from([0xff, 0xff]), plain.subarray(2), Buffer.from('trailer')]);
    const cleaned = stripJpegMetadata(padded)!;
    expect(cleaned.bytes.equals(plain)).toBe(true);
  });

  it('refuses what a browser may not show or what is not a whole JPEG', async () => {
    const cmyk = await (await picture(64, 64)).toColourspace('cmyk').jpeg().toBuffer();
    expect(stripJpegMetadata(cmyk)).toBeNull();
    const good = await (await picture(64, 64)).jpeg().toBuffer();
    expect(stripJpegMetadata(good.subarray(0, good.length - 40))).toBeNull();
    expect(stripJpegMetadata(await (await picture(64, 64)).png().toBuffer())).toBeNull();
    expect(stripJpegMetadata(new Uint8Array([0xff, 0xd8, 0xff]))).toBeNull();
    expect(stripJpegMetadata(new Uint8Array(0))).toBeNull();
  });
});

describe('the preview of a JPEG', () => {
  async function decoded(bytes: Buffer) {
    const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: info.channels as 3 };
  }

  it('is the stripped original when it needs no resizing or rotation', async () => {
    const original = await (await picture(800, 600)).jpeg({ quality: 90 }).withExif(EXIF).toBuffer();
    const t = await makeThumbnails(await decoded(original), { previewFormat: 'jpeg', sourceJpeg: original });
    expect(t.preview.equals(stripJpegMetadata(original)!.bytes)).toBe(true);
    expect(await extractExif(t.preview)).toBeNull();
    expect([t.previewWidth, t.previewHeight, t.width, t.height]).toEqual([800, 600, 800, 600]);
    expect([t.thumbnailWidth, t.thumbnailHeight]).toEqual([256, 192]);
    expect((await sharp(t.thumbnail).metadata()).channels).toBe(1);
  });

  it('is the stripped original up to 2048 px (losslessPreviewMax), past the 1280 px of re-encoded previews', async () => {
    const mid = await (await picture(1600, 1000)).jpeg().withExif(EXIF).toBuffer();
    const t = await makeThumbnails(await decoded(mid), { previewFormat: 'jpeg', sourceJpeg: mid });
    expect(t.preview.equals(stripJpegMetadata(mid)!.bytes)).toBe(true);
    expect([t.previewWidth, t.previewHeight]).toEqual([1600, 1000]);
    const capped = await makeThumbnails(await decoded(mid), { previewFormat: 'jpeg', sourceJpeg: mid, losslessPreviewMax: 1280 });
    expect([capped.previewWidth, capped.previewHeight]).toEqual([1280, 800]);
    expect(await extractExif(capped.preview)).toBeNull();
  });

  it('is re-encoded when the image must be reduced or turned', async () => {
    const large = await (await picture(2400, 1500)).jpeg().toBuffer();
    const reduced = await makeThumbnails(await decoded(large), { previewFormat: 'jpeg', sourceJpeg: large });
    expect([reduced.previewWidth, reduced.previewHeight]).toEqual([1280, 800]);

    const small = await (await picture(300, 200)).jpeg().toBuffer();
    const turned = await makeThumbnails({ ...(await decoded(small)), orientation: 6 }, { previewFormat: 'jpeg', sourceJpeg: small });
    expect([turned.previewWidth, turned.previewHeight]).toEqual([200, 300]);
    expect(turned.preview.equals(stripJpegMetadata(small)!.bytes)).toBe(false);
  });
});
