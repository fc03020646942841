/**
 * A minimal TIFF/EXIF writer for tests: IFD0 with optional Exif and GPS sub-IFDs, in either byte order, wrapped as
 * a JPEG APP1 segment. Values are written exactly as given, so tests can store garbage, over-long strings or
 * out-of-range numbers.
 */
export type TiffValue =
  | { type: 'ascii'; value: string | Buffer }
  | { type: 'short'; value: number[] }
  | { type: 'long'; value: number[] }
  | { type: 'rational'; value: [number, number][] }
  | { type: 'undefined'; value: Buffer };

export type Ifd = Record<number, TiffValue>;

const TYPE_CODES = { ascii: 2, short: 3, long: 4, rational: 5, undefined: 7 } as const;

function encodeValue(v: TiffValue, le: boolean): Buffer {
  switch (v.type) {
    case 'ascii':
      return Buffer.concat([typeof v.value === 'string' ? Buffer.from(v.value, 'latin1') : v.value, Buffer.from([0])]);
    case 'undefined':
      return v.value;
    case 'short': {
      const b = Buffer.alloc(2 * v.value.length);
      v.value.forEach((n, i) => (le ? b.writeUInt16LE(n, 2 * i) : b.writeUInt16BE(n, 2 * i)));
      return b;
    }
    case 'long': {
      const b = Buffer.alloc(4 * v.value.length);
      v.value.forEach((n, i) => (le ? b.writeUInt32LE(n >>> 0, 4 * i) : b.writeUInt32BE(n >>> 0, 4 * i)));
      return b;
    }
    case 'rational': {
      const b = Buffer.alloc(8 * v.value.length);
      v.value.forEach(([n, d], i) => {
        if (le) {
          b.writeUInt32LE(n, 8 * i);
          b.writeUInt32LE(d, 8 * i + 4);
        } else {
          b.writeUInt32BE(n, 8 * i);
          b.writeUInt32BE(d, 8 * i + 4);
        }
      });
      return b;
    }
  }
}

function count(v: TiffValue, encoded: Buffer): number {
  if (v.type === 'short') return v.value.length;
  if (v.type === 'long') return v.value.length;
  if (v.type === 'rational') return v.value.length;
  return encoded.length;
}

function ifdSize(ifd: Ifd, le: boolean): number {
  let size = 2 + 12 * Object.keys(ifd).length + 4;
  for (const v of Object.values(ifd)) {
    const len = encodeValue(v, le).length;
    if (len > 4) size += len + (len % 2);
  }
  return size;
}

function writeIfd(ifd: Ifd, at: number, le: boolean): Buffer {
  const tags = Object.keys(ifd).map(Number).sort((a, b) => a - b);
  const out = Buffer.alloc(ifdSize(ifd, le));
  const u16 = (n: number, o: number) => (le ? out.writeUInt16LE(n, o) : out.writeUInt16BE(n, o));
  const u32 = (n: number, o: number) => (le ? out.writeUInt32LE(n, o) : out.writeUInt32BE(n, o));
  u16(tags.length, 0);
  let data = 2 + 12 * tags.length + 4;
  tags.forEach((tag, i) => {
    const v = ifd[tag];
    const encoded = encodeValue(v, le);
    const p = 2 + 12 * i;
    u16(tag, p);
    u16(TYPE_CODES[v.type], p + 2);
    u32(count(v, encoded), p + 4);
    if (encoded.length <= 4) encoded.copy(out, p + 8);
    else {
      u32(at + data, p + 8);
      encoded.copy(out, data);
      data += encoded.length + (encoded.length % 2);
    }
  });
  return out;
}

/** A TIFF structure (byte-order mark first) with IFD0 and optional Exif and GPS IFDs. */
export function buildTiff(ifd0: Ifd, exif: Ifd | undefined, gps: Ifd | undefined, le = true): Buffer {
  const zero: Ifd = { ...ifd0 };
  if (exif) zero[0x8769] = { type: 'long', value: [0] };
  if (gps) zero[0x8825] = { type: 'long', value: [0] };
  const zeroAt = 8;
  const exifAt = zeroAt + ifdSize(zero, le);
  const gpsAt = exifAt + (exif ? ifdSize(exif, le) : 0);
  if (exif) zero[0x8769] = { type: 'long', value: [exifAt] };
  if (gps) zero[0x8825] = { type: 'long', value: [gpsAt] };
  const header = Buffer.from(le ? [0x49, 0x49, 0x2a, 0, 8, 0, 0, 0] : [0x4d, 0x4d, 0, 0x2a, 0, 0, 0, 8]);
  return Buffer.concat([header, writeIfd(zero, zeroAt, le), exif ? writeIfd(exif, exifAt, le) : Buffer.alloc(0), gps ? writeIfd(gps, gpsAt, le) : Buffer.alloc(0)]);
}

/** Inserts an APP1 Exif segment holding `tiff` right after a JPEG's SOI marker. */
export function withExifSegment(jpeg: Buffer, tiff: Buffer): Buffer {
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const header = Buffer.from([0xff, 0xe1, 0, 0]);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), header, payload, jpeg.subarray(2)]);
}

export const ascii = (value: string | Buffer): TiffValue => ({ type: 'ascii', value });
export const short = (...value: number[]): TiffValue => ({ type: 'short', value });
export const long = (...value: number[]): TiffValue => ({ type: 'long', value });
export const rational = (...value: [number, number][]): TiffValue => ({ type: 'rational', value });
export const undef = (value: Buffer): TiffValue => ({ type: 'undefined', value });
