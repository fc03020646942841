/**
 * The frame header (SOFn) of a JPEG file, read from its markers without decoding: sample precision, size and number
 * of colour components. The decoder uses it to pick its path (8-bit grey/YCbCr, or CMYK) without a second libvips
 * instance just for the header.
 */
export interface JpegFrame {
  /** Bits per sample: 8 for nearly every file, 12 or 16 for rare medical and lossless files. */
  readonly precision: number;
  readonly width: number;
  readonly height: number;
  /** 1 grey, 3 YCbCr or RGB, 4 CMYK or YCCK. */
  readonly components: number;
}

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;

/** True for the start-of-frame markers SOF0-SOF15 (0xc4 DHT, 0xc8 JPG and 0xcc DAC share the range but are not). */
export function isJpegFrameMarker(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** The first frame header of a JPEG, or null when the markers before it are not well formed. */
export function readJpegFrame(input: Uint8Array): JpegFrame | null {
  const n = input.length;
  if (n < 4 || input[0] !== 0xff || input[1] !== SOI) return null;
  let i = 2;
  while (i < n) {
    if (input[i] !== 0xff) return null;
    while (i < n && input[i] === 0xff) i++; // fill bytes
    if (i + 3 > n) return null;
    const marker = input[i++];
    if (marker === EOI || marker === SOS || marker === SOI || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) return null;
    const length = (input[i] << 8) | input[i + 1];
    if (length < 2 || i + length > n) return null;
    if (isJpegFrameMarker(marker)) {
      if (length < 8) return null;
      return { precision: input[i + 2], height: (input[i + 3] << 8) | input[i + 4], width: (input[i + 5] << 8) | input[i + 6], components: input[i + 7] };
    }
    i += length;
  }
  return null;
}

const APP1 = 0xe1;
const EXIF_HEADER = [0x45, 0x78, 0x69, 0x66, 0x00, 0x00]; // "Exif\0\0"

/**
 * Whether a JPEG may hold EXIF: false only when its header segments, up to the start of scan, are well formed and none
 * is an APP1 segment starting "Exif\0\0". Anything else (not a JPEG, malformed markers) is true: let a full reader
 * look. Most images that went through messengers and web sites carry no EXIF, and this answers for them without one.
 */
export function jpegMayHoldExif(input: Uint8Array): boolean {
  const n = input.length;
  if (n < 4 || input[0] !== 0xff || input[1] !== SOI) return true;
  let i = 2;
  while (i < n) {
    if (input[i] !== 0xff) return true;
    while (i < n && input[i] === 0xff) i++;
    if (i + 3 > n) return true;
    const marker = input[i++];
    if (marker === SOS) return false;
    if (marker === EOI || marker === SOI || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) return true;
    const length = (input[i] << 8) | input[i + 1];
    if (length < 2 || i + length > n) return true;
    if (marker === APP1 && length >= 2 + EXIF_HEADER.length && EXIF_HEADER.every((b, k) => input[i + 2 + k] === b)) return true;
    i += length;
  }
  return true;
}

