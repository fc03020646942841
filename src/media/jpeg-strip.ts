/**
 * A JPEG file without its metadata, losslessly: the same compressed image data, none of the APP1-APP13, APP15 and
 * comment segments (EXIF with GPS and serial numbers, XMP, IPTC, ICC profiles, maker notes, embedded thumbnails).
 * APP0 (JFIF) and APP14 (Adobe: how to read the colour channels) stay. Used for the preview of a JPEG that needs no
 * resizing or rotation: no re-encoding, so no generation loss, and none of the cost of an encoder.
 *
 * Only what every browser shows is accepted: Huffman-coded baseline, extended or progressive frames (SOF0, SOF1,
 * SOF2) with 1 (grey) or 3 (YCbCr) components. Anything else, or any structural doubt, returns null and the caller
 * re-encodes from decoded pixels instead.
 */
import { isJpegFrameMarker } from './jpeg-frame.js';
import { asBuffer } from '../core/bytes.js';

export interface StrippedJpeg {
  readonly bytes: Buffer;
  readonly width: number;
  readonly height: number;
}

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const APP0 = 0xe0;
const APP14 = 0xee;
const COM = 0xfe;

export function stripJpegMetadata(input: Uint8Array): StrippedJpeg | null {
  // A first pass checks the structure and finds whether anything is to go. Nothing (a camera-less JPEG, one stripped
  // before): the input itself is the answer, with no copy of its bytes made.
  const checked = copyWithoutMetadata(input, null);
  if (!checked) return null;
  if (checked.length === input.length) return { bytes: asBuffer(input), width: checked.width, height: checked.height };
  const out = Buffer.allocUnsafe(checked.length);
  copyWithoutMetadata(input, out);
  return { bytes: out, width: checked.width, height: checked.height };
}

/**
 * Walks the JPEG's segments, copying those that stay into `out` when given (large enough: a first pass without it
 * measures). Its length, and the frame's size; null when the file is not one this module accepts.
 */
function copyWithoutMetadata(input: Uint8Array, out: Buffer | null): { length: number; width: number; height: number } | null {
  const n = input.length;
  if (n < 4 || input[0] !== 0xff || input[1] !== SOI) return null;
  const put = (from: number, to: number, at: number) => out?.set(input.subarray(from, to), at);
  const putMarker = (marker: number, at: number) => {
    if (!out) return;
    out[at] = 0xff;
    out[at + 1] = marker;
  };
  putMarker(SOI, 0);
  let o = 2;
  let i = 2;
  let width = 0;
  let height = 0;
  let frames = 0;
  while (i < n) {
    if (input[i] !== 0xff) return null;
    // Fill bytes (0xff repeated) may precede a marker.
    while (i < n && input[i] === 0xff) i++;
    if (i >= n) return null;
    const marker = input[i++];
    if (marker === EOI) {
      putMarker(EOI, o);
      o += 2;
      if (frames !== 1) return null;
      return { length: o, width, height };
    }
    if (marker === SOI || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) return null;
    if (i + 2 > n) return null;
    const length = (input[i] << 8) | input[i + 1];
    if (length < 2 || i + length > n) return null;
    const segmentEnd = i + length;
    if (isJpegFrameMarker(marker)) {
      if (marker > 0xc2) return null;
      if (length < 8) return null;
      height = (input[i + 3] << 8) | input[i + 4];
      width = (input[i + 5] << 8) | input[i + 6];
      const components = input[i + 7];
      if (input[i + 2] !== 8 || width === 0 || height === 0 || (components !== 1 && components !== 3)) return null;
      frames++;
    }
    const drop = (marker > APP0 && marker <= 0xef && marker !== APP14) || marker === COM;
    if (!drop) {
      putMarker(marker, o);
      put(i, segmentEnd, o + 2);
      o += 2 + length;
    }
    i = segmentEnd;
    if (marker === SOS) {
      // Entropy-coded data runs to the next marker that is not a stuffed 0xff00 or a restart marker.
      const start = i;
      for (;;) {
        // Only a 0xff can start a marker: jump between them (indexOf is a native scan).
        i = input.indexOf(0xff, i);
        if (i < 0 || i + 1 >= n) return null;
        const next = input[i + 1];
        if (next !== 0x00 && !(next >= 0xd0 && next <= 0xd7) && next !== 0xff) break;
        i++;
      }
      put(start, i, o);
      o += i - start;
    }
  }
  return null;
}

/** Start-of-frame markers: 0xc0-0xcf except DHT (c4), JPG (c8) and DAC (cc). */
