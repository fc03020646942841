import exifr from 'exifr';
import { jpegMayHoldExif } from './jpeg-frame.js';
import { asBuffer } from '../core/bytes.js';

/**
 * The EXIF facts an investigator uses to link images to a camera, a place and a time: camera make, model and body
 * serial (EXIF BodySerialNumber, or the serial inside Canon and Nikon maker notes), lens, software, GPS position,
 * original time and orientation.
 *
 * Input is hostile: every value is checked, strings are cleaned (control characters removed, trimmed, at most
 * MAX_TEXT characters), numbers are range-checked, and bad EXIF gives a partial summary or null, never an exception.
 */

export interface ExifGps {
  /** Decimal degrees, -90..90 (south negative). */
  readonly latitude: number;
  /** Decimal degrees, -180..180 (west negative). */
  readonly longitude: number;
  /** Metres above sea level (below: negative), when recorded. */
  readonly altitude?: number;
}

export type SerialSource = 'exif' | 'canon-makernote' | 'nikon-makernote';

export interface ExifSummary {
  readonly make?: string;
  readonly model?: string;
  /** Camera body serial number. */
  readonly bodySerial?: string;
  /** Where bodySerial came from: the EXIF BodySerialNumber tag or a maker note. */
  readonly bodySerialSource?: SerialSource;
  readonly lensMake?: string;
  readonly lensModel?: string;
  readonly lensSerial?: string;
  readonly software?: string;
  readonly gps?: ExifGps;
  /**
   * DateTimeOriginal as ISO 8601: `2021-03-04T05:06:07+02:00` when OffsetTimeOriginal gives the zone, otherwise
   * local time without a zone (`2021-03-04T05:06:07`), with SubSecTimeOriginal as a fraction when present.
   */
  readonly originalTime?: string;
  /** DateTimeOriginal exactly as written (cleaned), also when it is not a valid date. */
  readonly originalTimeRaw?: string;
  /** OffsetTimeOriginal as written (cleaned), e.g. `+02:00`. */
  readonly originalTimeOffset?: string;
  /** EXIF orientation 1..8. */
  readonly orientation?: number;
  readonly imageUniqueId?: string;
}

/** Longest string kept from any EXIF field. */
export const MAX_TEXT = 256;

// silentErrors is an exifr option its type declarations omit: errors inside a segment give partial output.
const PARSE_OPTIONS: Parameters<typeof exifr.parse>[1] = {
  tiff: true,
  exif: true,
  gps: true,
  ifd1: false,
  interop: false,
  makerNote: true,
  userComment: false,
  xmp: false,
  icc: false,
  iptc: false,
  jfif: false,
  ihdr: false,
  translateKeys: true,
  translateValues: false,
  reviveValues: false,
  sanitize: true,
  mergeOutput: true,
  silentErrors: true,
} as Parameters<typeof exifr.parse>[1];

type Raw = Record<string, unknown>;

/** The EXIF summary of an image file's bytes, or null when it has no (usable) EXIF. Never throws for bad input. */
export async function extractExif(bytes: Buffer): Promise<ExifSummary | null> {
  // A JPEG whose headers hold no EXIF segment has nothing to read (and the full parser costs more than the check).
  if (!jpegMayHoldExif(bytes)) return null;
  let raw: Raw | undefined;
  try {
    raw = (await exifr.parse(bytes, PARSE_OPTIONS)) as Raw | undefined;
  } catch {
    return null;
  }
  if (!raw || typeof raw !== 'object') return null;
  try {
    return summarise(raw, bytes);
  } catch {
    return null;
  }
}

function summarise(raw: Raw, bytes: Buffer): ExifSummary | null {
  const summary: Record<string, unknown> = {};
  const set = (key: keyof ExifSummary, value: unknown) => {
    if (value !== undefined) summary[key] = value;
  };
  const make = text(raw.Make);
  const model = text(raw.Model);
  set('make', make);
  set('model', model);

  const serial = text(raw.SerialNumber) ?? text(raw.BodySerialNumber);
  if (serial) {
    set('bodySerial', serial);
    set('bodySerialSource', 'exif');
  } else {
    const fromNote = safe(() => makerNoteSerial(raw.makerNote ?? raw.MakerNote, make, model, bytes));
    if (fromNote) {
      set('bodySerial', fromNote.serial);
      set('bodySerialSource', fromNote.source);
    }
  }
  set('lensMake', text(raw.LensMake));
  set('lensModel', text(raw.LensModel));
  set('lensSerial', text(raw.LensSerialNumber));
  set('software', text(raw.Software));
  set('gps', safe(() => gpsOf(raw)));

  const timeRaw = text(raw.DateTimeOriginal);
  const offset = text(raw.OffsetTimeOriginal);
  set('originalTime', timeRaw ? isoTime(timeRaw, offset, text(raw.SubSecTimeOriginal)) : undefined);
  set('originalTimeRaw', timeRaw);
  set('originalTimeOffset', offset);

  const orientation = integer(raw.Orientation);
  if (orientation !== undefined && orientation >= 1 && orientation <= 8) set('orientation', orientation);
  set('imageUniqueId', text(raw.ImageUniqueID));
  return Object.keys(summary).length > 0 ? (summary as ExifSummary) : null;
}

function safe<T>(fn: () => T | undefined): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

// Control characters (C0, DEL, C1), lone surrogates and the BOM / replacement-free zero-width no-break space.
// eslint-disable-next-line no-control-regex
const UNWANTED = /[\u0000-\u001f\u007f-\u009f\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** A clean, trimmed string of at most MAX_TEXT characters, or undefined for empty or non-text values. */
export function cleanText(value: string, max = MAX_TEXT): string | undefined {
  let out = value;
  const nul = out.indexOf('\0');
  if (nul >= 0) out = out.slice(0, nul);
  out = out.replace(UNWANTED, '').trim();
  if (out.length > max) {
    out = out.slice(0, max);
    // Never cut a surrogate pair in half.
    if (/[\ud800-\udbff]$/.test(out)) out = out.slice(0, -1);
    out = out.trimEnd();
  }
  return out === '' ? undefined : out;
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return cleanText(value.slice(0, MAX_TEXT * 4));
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (value instanceof Uint8Array) {
    // UNDEFINED-typed fields (some writers store ASCII this way).
    const end = value.indexOf(0);
    const slice = value.subarray(0, Math.min(end < 0 ? value.length : end, MAX_TEXT * 4));
    return cleanText(asBuffer(slice).toString('utf8'));
  }
  if (Array.isArray(value) && value.length === 1) return text(value[0]);
  return undefined;
}

function integer(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (Array.isArray(value) && value.length === 1) return integer(value[0]);
  if (value instanceof Uint8Array && value.length === 1) return value[0];
  return undefined;
}

function finite(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (Array.isArray(value) && value.length === 1) return finite(value[0]);
  return undefined;
}

/** Degrees-minutes-seconds (or decimal degrees in the first element) to decimal degrees, range-checked. */
function degrees(value: unknown, max: number): number | undefined {
  const parts = Array.isArray(value) ? value : [value];
  if (parts.length < 1 || parts.length > 3) return undefined;
  const [d, m = 0, s = 0] = parts.map((p) => finite(p));
  if (d === undefined || m === undefined || s === undefined) return undefined;
  if (d < 0 || d > max || m < 0 || m >= 60 || s < 0 || s >= 60) return undefined;
  const result = d + m / 60 + s / 3600;
  return result <= max ? result : undefined;
}

function gpsOf(raw: Raw): ExifGps | undefined {
  const latRef = text(raw.GPSLatitudeRef)?.toUpperCase();
  const lonRef = text(raw.GPSLongitudeRef)?.toUpperCase();
  const lat = degrees(raw.GPSLatitude, 90);
  const lon = degrees(raw.GPSLongitude, 180);
  if (lat === undefined || lon === undefined) return undefined;
  if (latRef !== undefined && latRef !== 'N' && latRef !== 'S') return undefined;
  if (lonRef !== undefined && lonRef !== 'E' && lonRef !== 'W') return undefined;
  const latitude = round(latRef === 'S' ? -lat : lat, 7);
  const longitude = round(lonRef === 'W' ? -lon : lon, 7);
  const alt = finite(raw.GPSAltitude);
  const altRef = integer(raw.GPSAltitudeRef);
  if (alt === undefined || alt < 0 || alt > 100_000) return { latitude, longitude };
  return { latitude, longitude, altitude: round(altRef === 1 ? -alt : alt, 3) };
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f + 0; // + 0 turns -0 into 0
}

const EXIF_TIME = /^(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/;
const OFFSET = /^([+-])(\d{2}):?(\d{2})$/;

function isoTime(raw: string, offset: string | undefined, subSec: string | undefined): string | undefined {
  const m = EXIF_TIME.exec(raw);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number);
  if (year < 1800 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) return undefined;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return undefined;
  let iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}`;
  if (subSec && /^\d{1,9}$/.test(subSec)) iso += `.${subSec}`;
  const z = offset ? OFFSET.exec(offset) : null;
  if (z && Number(z[2]) <= 14 && Number(z[3]) < 60) iso += `${z[1]}${z[2]}:${z[3]}`;
  return iso;
}

// ---- maker notes -----------------------------------------------------------------------------------------------

/** The byte order of the file's TIFF structure: from a TIFF header or the one after a JPEG's `Exif\0\0`. */
function tiffByteOrder(bytes: Buffer): boolean | undefined {
  const order = (at: number) => {
    if (at + 4 > bytes.length) return undefined;
    if (bytes[at] === 0x49 && bytes[at + 1] === 0x49 && bytes[at + 2] === 0x2a && bytes[at + 3] === 0) return true;
    if (bytes[at] === 0x4d && bytes[at + 1] === 0x4d && bytes[at + 2] === 0 && bytes[at + 3] === 0x2a) return false;
    return undefined;
  };
  const direct = order(0);
  if (direct !== undefined) return direct;
  const at = bytes.subarray(0, 256 * 1024).indexOf('Exif\0\0', 0, 'latin1');
  return at >= 0 ? order(at + 6) : undefined;
}

interface IfdEntry {
  readonly tag: number;
  readonly type: number;
  readonly count: number;
  /** Offset of the 4-byte value field within the buffer. */
  readonly valueAt: number;
}

/** The entries of one IFD at `at` in `buf`, bounds-checked; an empty list when it does not look like an IFD. */
function readIfd(buf: Uint8Array, at: number, le: boolean): IfdEntry[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (at < 0 || at + 2 > buf.length) return [];
  const count = view.getUint16(at, le);
  if (count === 0 || count > 1000 || at + 2 + count * 12 > buf.length) return [];
  const entries: IfdEntry[] = [];
  for (let i = 0; i < count; i++) {
    const p = at + 2 + i * 12;
    const type = view.getUint16(p + 2, le);
    if (type < 1 || type > 13) return [];
    entries.push({ tag: view.getUint16(p, le), type, count: view.getUint32(p + 4, le), valueAt: p + 8 });
  }
  return entries;
}

function makerNoteSerial(
  note: unknown,
  make: string | undefined,
  model: string | undefined,
  file: Buffer,
): { serial: string; source: SerialSource } | undefined {
  if (!(note instanceof Uint8Array) || note.length < 14) return undefined;
  const view = new DataView(note.buffer, note.byteOffset, note.byteLength);
  const head = Buffer.from(note.buffer, note.byteOffset, Math.min(note.length, 16));
  if (head.subarray(0, 6).toString('latin1') === 'Nikon\0' && note[6] === 2) {
    // Nikon type 3: "Nikon\0" 02 xx 00 00, then a TIFF header whose offsets count from its own start.
    const base = 10;
    const le = note[base] === 0x49 && note[base + 1] === 0x49 ? true : note[base] === 0x4d && note[base + 1] === 0x4d ? false : undefined;
    if (le === undefined) return undefined;
    const ifd = base + view.getUint32(base + 4, le);
    const entry = readIfd(note, ifd, le).find((e) => e.tag === 0x001d && e.type === 2);
    if (!entry || entry.count > 1024) return undefined;
    const start = entry.count <= 4 ? entry.valueAt : base + view.getUint32(entry.valueAt, le);
    if (start + entry.count > note.length) return undefined;
    const serial = text(note.subarray(start, start + entry.count));
    return serial ? { serial, source: 'nikon-makernote' } : undefined;
  }
  if (make && /^canon/i.test(make)) {
    // Canon: a bare IFD in the file's byte order; SerialNumber (0x000c) is a LONG stored inline.
    const le = tiffByteOrder(file) ?? true;
    const entry = readIfd(note, 0, le).find((e) => e.tag === 0x000c && e.type === 4 && e.count === 1);
    if (!entry) return undefined;
    const value = view.getUint32(entry.valueAt, le);
    if (value === 0) return undefined;
    // ExifTool's formatting: EOS-1D bodies as 4 hex + 5 decimal digits, other bodies as 10 decimal digits.
    const serial = model && /EOS-1D/.test(model)
      ? `${(value >>> 16).toString(16).toUpperCase().padStart(4, '0')}${String(value & 0xffff).padStart(5, '0')}`
      : String(value).padStart(10, '0');
    return { serial, source: 'canon-makernote' };
  }
  return undefined;
}
