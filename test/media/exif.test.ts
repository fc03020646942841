import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { MAX_TEXT, cleanText, extractExif } from '../../src/media/exif.js';
import { ascii, buildTiff, rational, short, undef, withExifSegment } from './support/exif-writer.js';

/** A plain generated JPEG (a gradient), no metadata. */
async function plainJpeg(): Promise<Buffer> {
  const width = 64;
  const height = 48;
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) pixels.set([x * 4, y * 5, (x + y) * 2], (y * width + x) * 3);
  return sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg().toBuffer();
}

/** Nikon type-3 maker note: "Nikon\0" 02 10 00 00, then a big-endian TIFF header and one IFD holding SerialNumber. */
function nikonMakerNote(serial: string): Buffer {
  const text = Buffer.from(`${serial}\0`, 'latin1');
  const ifd = Buffer.alloc(2 + 12 + 4);
  ifd.writeUInt16BE(1, 0);
  ifd.writeUInt16BE(0x001d, 2);
  ifd.writeUInt16BE(2, 4);
  ifd.writeUInt32BE(text.length, 6);
  ifd.writeUInt32BE(8 + ifd.length, 10); // from the embedded TIFF header
  return Buffer.concat([Buffer.from('Nikon\0\x02\x10\0\0', 'latin1'), Buffer.from([0x4d, 0x4d, 0, 0x2a, 0, 0, 0, 8]), ifd, text]);
}

/** Canon maker note: a bare IFD in the file's byte order with SerialNumber (0x000c) as an inline LONG. */
function canonMakerNote(serial: number, le: boolean): Buffer {
  const ifd = Buffer.alloc(2 + 12 + 4);
  const u16 = (n: number, o: number) => (le ? ifd.writeUInt16LE(n, o) : ifd.writeUInt16BE(n, o));
  const u32 = (n: number, o: number) => (le ? ifd.writeUInt32LE(n, o) : ifd.writeUInt32BE(n, o));
  u16(1, 0);
  u16(0x000c, 2);
  u16(4, 4);
  u32(1, 6);
  u32(serial, 10);
  return ifd;
}

describe('extractExif', () => {
  it('reads camera, serial, lens, software, GPS and original time from EXIF written by sharp', async () => {
    const jpeg = await sharp(await plainJpeg())
      .jpeg()
      .withExif({
        IFD0: { Make: 'Testcam', Model: 'TC-1 Mark II', Software: 'Generator 1.0' },
        IFD2: {
          DateTimeOriginal: '2021:03:04 05:06:07',
          OffsetTimeOriginal: '+02:00',
          BodySerialNumber: 'SN-0042',
          LensMake: 'Lensco',
          LensModel: 'Zoom 24-70',
          LensSerialNumber: 'L-777',
        },
        IFD3: { GPSLatitudeRef: 'S', GPSLatitude: '12/1 30/1 0/1', GPSLongitudeRef: 'W', GPSLongitude: '45/1 15/1 36/1', GPSAltitudeRef: '0', GPSAltitude: '1234/10' },
      })
      .toBuffer();
    const exif = await extractExif(jpeg);
    expect(exif).toEqual({
      make: 'Testcam',
      model: 'TC-1 Mark II',
      bodySerial: 'SN-0042',
      bodySerialSource: 'exif',
      lensMake: 'Lensco',
      lensModel: 'Zoom 24-70',
      lensSerial: 'L-777',
      software: 'Generator 1.0',
      gps: { latitude: -12.5, longitude: -45.26, altitude: 123.4 },
      originalTime: '2021-03-04T05:06:07+02:00',
      originalTimeRaw: '2021:03:04 05:06:07',
      originalTimeOffset: '+02:00',
      orientation: 1,
    });
  });

  it('reads the orientation sharp writes', async () => {
    const jpeg = await sharp(await plainJpeg()).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    expect((await extractExif(jpeg))?.orientation).toBe(6);
  });

  it.each([true, false])('reads a hand-built EXIF block (little-endian %s): image unique id, sub-seconds, below sea level', async (le) => {
    const tiff = buildTiff(
      { 0x010f: ascii('Handmade'), 0x0110: ascii('HM-2'), 0x0112: short(8) },
      { 0x9003: ascii('2019:12:31 23:59:58'), 0x9291: ascii('25'), 0xa420: ascii('0123456789abcdef0123456789abcdef'), 0xa431: ascii('BODY-1') },
      { 0x0001: ascii('N'), 0x0002: rational([4830, 100], [0, 1], [0, 1]), 0x0003: ascii('E'), 0x0004: rational([2, 1], [21, 1], [0, 1]), 0x0005: undef(Buffer.from([1])), 0x0006: rational([50, 1]) },
      le,
    );
    const exif = await extractExif(withExifSegment(await plainJpeg(), tiff));
    expect(exif).toEqual({
      make: 'Handmade',
      model: 'HM-2',
      bodySerial: 'BODY-1',
      bodySerialSource: 'exif',
      gps: { latitude: 48.3, longitude: 2.35, altitude: -50 },
      originalTime: '2019-12-31T23:59:58.25',
      originalTimeRaw: '2019:12:31 23:59:58',
      orientation: 8,
      imageUniqueId: '0123456789abcdef0123456789abcdef',
    });
  });

  it.each([true, false])('reads the body serial from a Canon maker note (little-endian %s)', async (le) => {
    const tiff = buildTiff({ 0x010f: ascii('Canon'), 0x0110: ascii('Canon EOS 5D') }, { 0x927c: undef(canonMakerNote(123456789, le)) }, undefined, le);
    const exif = await extractExif(withExifSegment(await plainJpeg(), tiff));
    expect(exif).toMatchObject({ make: 'Canon', bodySerial: '0123456789', bodySerialSource: 'canon-makernote' });
  });

  it('reads the body serial from a Nikon type-3 maker note', async () => {
    const tiff = buildTiff({ 0x010f: ascii('NIKON CORPORATION'), 0x0110: ascii('NIKON D850') }, { 0x927c: undef(nikonMakerNote('6012345')) }, undefined, true);
    const exif = await extractExif(withExifSegment(await plainJpeg(), tiff));
    expect(exif).toMatchObject({ bodySerial: '6012345', bodySerialSource: 'nikon-makernote' });
  });

  it('cleans hostile strings and drops out-of-range values', async () => {
    const tiff = buildTiff(
      { 0x010f: ascii(`  Evil\x07\x1b[31mCam\x7f  `), 0x0110: ascii('M'.repeat(10_000)), 0x0112: short(42) },
      { 0x9003: ascii('0000:00:00 00:00:00'), 0x9011: ascii('+99:99'), 0xa431: ascii(Buffer.from([0x01, 0x02, 0x03])) },
      { 0x0001: ascii('N'), 0x0002: rational([95, 1], [0, 1], [0, 1]), 0x0003: ascii('E'), 0x0004: rational([10, 1], [0, 1], [0, 1]) },
    );
    const exif = await extractExif(withExifSegment(await plainJpeg(), tiff));
    expect(exif?.make).toBe('Evil[31mCam');
    expect(exif?.model).toBe('M'.repeat(MAX_TEXT));
    expect(exif?.orientation).toBeUndefined();
    expect(exif?.gps).toBeUndefined();
    expect(exif?.bodySerial).toBeUndefined();
    expect(exif?.originalTime).toBeUndefined();
    expect(exif?.originalTimeRaw).toBe('0000:00:00 00:00:00');
    expect(cleanText('a\u0000b')).toBe('a');
    expect(cleanText(' \u0085 ')).toBeUndefined();
  });

  it('returns null for files without EXIF and for garbage, never throwing', async () => {
    expect(await extractExif(await plainJpeg())).toBeNull();
    expect(await extractExif(Buffer.alloc(0))).toBeNull();
    expect(await extractExif(Buffer.from('definitely not an image'))).toBeNull();
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#000' } }).png().toBuffer();
    expect(await extractExif(png)).toBeNull();
    const brokenTiff = Buffer.concat([Buffer.from([0x49, 0x49, 0x2a, 0, 0xff, 0xff, 0xff, 0x7f]), Buffer.alloc(64, 0xee)]);
    await expect(extractExif(withExifSegment(await plainJpeg(), brokenTiff))).resolves.not.toThrow();
    await expect(extractExif(brokenTiff)).resolves.toBeNull();
  });

  it('survives random damage to a valid EXIF block', async () => {
    const tiff = buildTiff(
      { 0x010f: ascii('Fuzz'), 0x0110: ascii('F-1'), 0x0112: short(3) },
      { 0x9003: ascii('2020:01:02 03:04:05'), 0x927c: undef(nikonMakerNote('99')), 0xa431: ascii('S') },
      { 0x0002: rational([1, 1], [2, 1], [3, 1]), 0x0004: rational([4, 1], [5, 1], [6, 1]) },
    );
    const base = await plainJpeg();
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    for (let round = 0; round < 150; round++) {
      const damaged = Buffer.from(tiff);
      const flips = 1 + Math.floor(random() * 8);
      for (let i = 0; i < flips; i++) damaged[Math.floor(random() * damaged.length)] = Math.floor(random() * 256);
      const exif = await extractExif(withExifSegment(base, damaged));
      if (exif) {
        for (const value of Object.values(exif)) if (typeof value === 'string') expect(value.length).toBeLessThanOrEqual(MAX_TEXT);
        if (exif.gps) expect(Math.abs(exif.gps.latitude)).toBeLessThanOrEqual(90);
      }
    }
  });
});
