import { InvalidError } from '../core/errors.js';

/**
 * A BMP (Windows bitmap) decoder for the pixel layouts seen in practice: 1/4/8-bit palette, 16-bit (5-5-5 or bit
 * fields), 24-bit BGR and 32-bit BGRX/BGRA (plain or bit fields), bottom-up (positive height) and top-down (negative
 * height), with the 12-byte OS/2 core header or the 40/52/56/108/124-byte Windows info headers. RLE and embedded
 * JPEG/PNG compressions are refused with an InvalidError. Output is 8-bit RGB, 3 channels: alpha, when present, is
 * dropped (no flattening), which is what perceptual hashing wants.
 */

export interface BmpImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: 3;
}

const BI_RGB = 0;
const BI_RLE8 = 1;
const BI_RLE4 = 2;
const BI_BITFIELDS = 3;
const BI_JPEG = 4;
const BI_PNG = 5;
const BI_ALPHABITFIELDS = 6;

/** The largest image this decoder will allocate, in pixels (the same default limit as sharp). */
export const BMP_MAX_PIXELS = 0x3fff * 0x3fff;

export function isBmp(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d; // "BM"
}

export function decodeBmp(bytes: Uint8Array, maxPixels = BMP_MAX_PIXELS): BmpImage {
  if (!isBmp(bytes)) throw new InvalidError('not a BMP file (no "BM" signature)');
  if (bytes.length < 26) throw new InvalidError('corrupt BMP: file too short for its headers');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pixelOffset = view.getUint32(10, true);
  const headerSize = view.getUint32(14, true);
  if (![12, 40, 52, 56, 64, 108, 124].includes(headerSize)) throw new InvalidError(`corrupt or unsupported BMP: info header of ${headerSize} bytes`);
  if (14 + headerSize > bytes.length) throw new InvalidError('corrupt BMP: file too short for its headers');

  let width: number;
  let rawHeight: number;
  let bitCount: number;
  let compression = BI_RGB;
  let paletteSize = 0;
  let paletteEntryBytes = 4;
  if (headerSize === 12) {
    width = view.getUint16(18, true);
    rawHeight = view.getInt16(20, true);
    bitCount = view.getUint16(24, true);
    paletteEntryBytes = 3;
  } else {
    width = view.getInt32(18, true);
    rawHeight = view.getInt32(22, true);
    bitCount = view.getUint16(28, true);
    compression = view.getUint32(30, true);
    paletteSize = view.getUint32(46, true);
  }
  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);
  if (width <= 0 || height <= 0) throw new InvalidError(`corrupt BMP: dimensions ${width}x${rawHeight}`);
  if (width * height > maxPixels) throw new InvalidError(`BMP of ${width}x${height} pixels exceeds the limit of ${maxPixels} pixels`);

  if (compression === BI_RLE8 || compression === BI_RLE4) throw new InvalidError('unsupported BMP: run-length encoded (RLE) bitmaps are not supported');
  if (compression === BI_JPEG || compression === BI_PNG) throw new InvalidError('unsupported BMP: embedded JPEG/PNG compression is not supported');
  if (compression !== BI_RGB && compression !== BI_BITFIELDS && compression !== BI_ALPHABITFIELDS) {
    throw new InvalidError(`unsupported BMP compression ${compression}`);
  }

  // Channel masks for 16- and 32-bit images: after a 40-byte header they follow it (BI_BITFIELDS), in V2+ headers they
  // are part of it.
  let masks: [number, number, number] | undefined;
  if (compression === BI_BITFIELDS || compression === BI_ALPHABITFIELDS) {
    if (bitCount !== 16 && bitCount !== 32) throw new InvalidError(`corrupt BMP: bit fields with ${bitCount} bits per pixel`);
    if (14 + 40 + 12 > bytes.length) throw new InvalidError('corrupt BMP: missing colour masks');
    masks = [view.getUint32(54, true), view.getUint32(58, true), view.getUint32(62, true)];
  } else if (bitCount === 16) {
    masks = [0x7c00, 0x03e0, 0x001f];
  }

  const out = new Uint8Array(width * height * 3);
  const rowBytes = Math.floor((width * bitCount + 31) / 32) * 4;
  if (pixelOffset + rowBytes * height > bytes.length) {
    throw new InvalidError(`corrupt or truncated BMP: ${rowBytes * height} bytes of pixels expected at offset ${pixelOffset}, file has ${bytes.length}`);
  }
  const rowStart = (y: number): number => pixelOffset + (topDown ? y : height - 1 - y) * rowBytes;

  switch (bitCount) {
    case 1:
    case 4:
    case 8: {
      const colours = paletteSize > 0 ? paletteSize : 1 << bitCount;
      const paletteOffset = 14 + headerSize + (compression === BI_BITFIELDS && headerSize === 40 ? 12 : 0);
      if (colours > 1 << bitCount || paletteOffset + colours * paletteEntryBytes > pixelOffset) {
        throw new InvalidError(`corrupt BMP: palette of ${colours} colours does not fit before the pixels`);
      }
      const palette = new Uint8Array(256 * 3);
      for (let c = 0; c < colours; c++) {
        const p = paletteOffset + c * paletteEntryBytes;
        palette[c * 3] = bytes[p + 2];
        palette[c * 3 + 1] = bytes[p + 1];
        palette[c * 3 + 2] = bytes[p];
      }
      const perByte = 8 / bitCount;
      const mask = (1 << bitCount) - 1;
      for (let y = 0; y < height; y++) {
        const row = rowStart(y);
        let o = y * width * 3;
        for (let x = 0; x < width; x++) {
          const byte = bytes[row + Math.floor(x / perByte)];
          const shift = 8 - bitCount * ((x % perByte) + 1);
          const index = (byte >> shift) & mask;
          if (index >= colours) throw new InvalidError(`corrupt BMP: pixel uses colour ${index} of a ${colours}-colour palette`);
          out[o++] = palette[index * 3];
          out[o++] = palette[index * 3 + 1];
          out[o++] = palette[index * 3 + 2];
        }
      }
      break;
    }
    case 24:
      for (let y = 0; y < height; y++) {
        let p = rowStart(y);
        let o = y * width * 3;
        for (let x = 0; x < width; x++, p += 3) {
          out[o++] = bytes[p + 2];
          out[o++] = bytes[p + 1];
          out[o++] = bytes[p];
        }
      }
      break;
    case 16:
    case 32: {
      if (bitCount === 32 && !masks) {
        for (let y = 0; y < height; y++) {
          let p = rowStart(y);
          let o = y * width * 3;
          for (let x = 0; x < width; x++, p += 4) {
            out[o++] = bytes[p + 2];
            out[o++] = bytes[p + 1];
            out[o++] = bytes[p];
          }
        }
        break;
      }
      const channels = (masks ?? [0, 0, 0]).map(maskInfo);
      const bytesPerPixel = bitCount / 8;
      for (let y = 0; y < height; y++) {
        let p = rowStart(y);
        let o = y * width * 3;
        for (let x = 0; x < width; x++, p += bytesPerPixel) {
          const value = bytesPerPixel === 2 ? view.getUint16(p, true) : view.getUint32(p, true);
          for (const channel of channels) out[o++] = channel.scale(value);
        }
      }
      break;
    }
    default:
      throw new InvalidError(`unsupported BMP: ${bitCount} bits per pixel`);
  }
  return { data: out, width, height, channels: 3 };
}

/** Extracts a channel with a bit mask and scales it to 0..255 (rounding, as ImageMagick and browsers do). */
function maskInfo(mask: number): { scale(value: number): number } {
  const m = mask >>> 0;
  if (m === 0) return { scale: () => 0 };
  let shift = 0;
  while (((m >>> shift) & 1) === 0) shift++;
  let bits = 0;
  while (shift + bits < 32 && ((m >>> (shift + bits)) & 1) === 1) bits++;
  const max = 2 ** bits - 1;
  return { scale: (value: number) => Math.round((((value & m) >>> 0) >>> shift) * (255 / max)) };
}
