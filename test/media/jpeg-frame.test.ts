import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { jpegMayHoldExif, readJpegFrame } from '../../src/media/jpeg-frame.js';
import { ImageDecoder } from '../../src/media/decode.js';

describe('readJpegFrame', () => {
  const pixels = () => sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 200, g: 40, b: 90 } } });

  it('reads precision, size and components of colour, grey, progressive and CMYK JPEGs', async () => {
    expect(readJpegFrame(await pixels().jpeg().toBuffer())).toEqual({ precision: 8, width: 40, height: 30, components: 3 });
    expect(readJpegFrame(await pixels().toColourspace('b-w').jpeg().toBuffer())).toMatchObject({ components: 1 });
    expect(readJpegFrame(await pixels().jpeg({ progressive: true }).toBuffer())).toMatchObject({ width: 40, height: 30, components: 3 });
    expect(readJpegFrame(await pixels().withMetadata().jpeg().toBuffer())).toMatchObject({ components: 3 });
    expect(readJpegFrame(await pixels().toColourspace('cmyk').jpeg().toBuffer())).toMatchObject({ components: 4 });
  });

  it('returns null for what is not a well-formed JPEG header', async () => {
    const jpeg = await pixels().jpeg().toBuffer();
    expect(readJpegFrame(new Uint8Array(0))).toBeNull();
    expect(readJpegFrame(await pixels().png().toBuffer())).toBeNull();
    expect(readJpegFrame(jpeg.subarray(0, 12))).toBeNull();
    const broken = Buffer.from(jpeg);
    broken[2] = 0x12; // not a marker where one must be
    expect(readJpegFrame(broken)).toBeNull();
  });

  it('lets the decoder read a JPEG in one pass with the same pixels as through the header path', async () => {
    const jpeg = await pixels().jpeg().toBuffer();
    const decoder = new ImageDecoder();
    const fast = await decoder.decode(jpeg, { mime: 'image/jpeg' });
    const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
    expect(fast).toMatchObject({ width: info.width, height: info.height, channels: 3, format: 'jpeg' });
    expect(Buffer.from(fast.data).equals(data)).toBe(true);
    const cmyk = await decoder.decode(await pixels().toColourspace('cmyk').jpeg().toBuffer(), { mime: 'image/jpeg' });
    expect(cmyk).toMatchObject({ channels: 3, format: 'jpeg' });
  });
});

describe('jpegMayHoldExif', () => {
  const pixels = () => sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 10, g: 140, b: 90 } } });

  it('says no only for a well-formed JPEG whose headers hold no EXIF segment', async () => {
    expect(jpegMayHoldExif(await pixels().jpeg().toBuffer())).toBe(false);
    expect(jpegMayHoldExif(await pixels().withIccProfile('srgb').jpeg().toBuffer())).toBe(false);
    const withExif = await pixels().withExif({ IFD0: { Make: 'Ariadne', Model: 'Test' } }).jpeg().toBuffer();
    expect(jpegMayHoldExif(withExif)).toBe(true);
    // Not a JPEG, or headers it cannot walk: a full reader should look.
    expect(jpegMayHoldExif(await pixels().png().toBuffer())).toBe(true);
    const plain = await pixels().jpeg().toBuffer();
    expect(jpegMayHoldExif(plain.subarray(0, 12))).toBe(true);
    const broken = Buffer.from(plain);
    broken[2] = 0x12;
    expect(jpegMayHoldExif(broken)).toBe(true);
  });
});

