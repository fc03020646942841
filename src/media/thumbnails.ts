import sharp, { type Sharp } from 'sharp';
import { InvalidError } from '../core/errors.js';
import { stripJpegMetadata } from './jpeg-strip.js';
import { INGEST_LIMIT_DEFAULTS } from './limits.js';
import { redactedThumbnail, type ReducedLuma, type ThumbnailSource } from './redacted-thumbnail.js';

/**
 * The two pictures stored beside every image:
 *  - the redacted thumbnail, the default view that protects investigators: at most 256 px, greyscale, strongly
 *    blurred, a one-channel PNG (redacted-thumbnail.ts);
 *  - the unredacted preview for deliberate (audited) viewing: EXIF orientation applied, WebP or JPEG, no metadata
 *    at all (no EXIF, GPS, ICC or XMP survives). A JPEG up to 2048 px that needs no rotation is its own preview,
 *    metadata stripped and pixels untouched; anything else is reduced to at most 1280 px and encoded.
 * Both come from one decode. From a file's bytes: the image is decoded once, oriented and reduced to preview size,
 * and the thumbnail is made from those pixels. From pixels already decoded (ingest's one decode): the thumbnail is
 * made from them, or from the reduction of them that comes with them (PDQ's 64x64), turned as it is made.
 *
 * Decompression bombs: the pixel count is checked from the header before anything is decoded.
 */

export interface ThumbnailOptions {
  /** Refuse images with more pixels than this (default INGEST_LIMIT_DEFAULTS.maxPixels, 16383²). */
  readonly maxPixels?: number;
  /** Longest side of the redacted thumbnail (default 256). */
  readonly thumbnailSize?: number;
  /** Longest side of the preview (default 1280). */
  readonly previewSize?: number;
  /** Preview encoding (default webp). */
  readonly previewFormat?: 'webp' | 'jpeg';
  /** Gaussian blur sigma of the thumbnail, in thumbnail pixels (default: 1/28 of its longest side, at least 3). */
  readonly blurSigma?: number;
  /** Decode images whose pixel data has errors as far as possible instead of refusing them (default false). */
  readonly lenient?: boolean;
  /**
   * With decoded pixels: the image file they came from, when it is a JPEG. If it needs no rotation, is no larger
   * than `losslessPreviewMax`, and a JPEG preview is asked for, the preview is that file with its metadata removed
   * (jpeg-strip.ts): every original pixel for the viewer, no generation loss, and no encoder run. With nothing to
   * strip, the preview is this very memory (not a copy).
   */
  readonly sourceJpeg?: Uint8Array;
  /** Longest side up to which a JPEG's stripped original is its preview (default 2048; previewSize is the floor). */
  readonly losslessPreviewMax?: number;
}

/** Already decoded pixels (for example HEIC through decode.ts), interleaved 8-bit, 1 to 4 channels. */
export interface RawPixels {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 2 | 3 | 4;
  /** EXIF orientation of the stored pixels, 1..8 (default 1: as stored). */
  readonly orientation?: number;
  /** Their luminance already low-passed and reduced (PDQ's 64x64): the redacted thumbnail is made from it. */
  readonly reduced?: ReducedLuma;
}

export interface Thumbnails {
  /** Redacted: greyscale (one channel), blurred PNG. */
  readonly thumbnail: Buffer;
  /** Unredacted, oriented, metadata stripped. */
  readonly preview: Buffer;
  readonly previewFormat: 'webp' | 'jpeg';
  /** The image's size as displayed (after EXIF orientation). */
  readonly width: number;
  readonly height: number;
  readonly thumbnailWidth: number;
  readonly thumbnailHeight: number;
  readonly previewWidth: number;
  readonly previewHeight: number;
}

/** Makes the redacted thumbnail and the preview of an image file's bytes or of decoded pixels. */
export async function makeThumbnails(input: Uint8Array | RawPixels, options: ThumbnailOptions = {}): Promise<Thumbnails> {
  const maxPixels = options.maxPixels ?? INGEST_LIMIT_DEFAULTS.maxPixels;
  const thumbnailSize = checkSize('thumbnailSize', options.thumbnailSize ?? 256);
  const previewSize = checkSize('previewSize', options.previewSize ?? 1280);
  const previewFormat = options.previewFormat ?? 'webp';
  try {
    const losslessMax = Math.max(previewSize, checkSize('losslessPreviewMax', options.losslessPreviewMax ?? 2048));
    const raw = input instanceof Uint8Array ? null : checkRaw(input, maxPixels);
    // Decoded pixels: the thumbnail is made from them as they are stored (turned as it is made), and from their
    // reduction when it comes with them, whatever the preview needs.
    const rawThumb = raw ? thumbnailOf(raw, thumbnailSize, options.blurSigma) : null;
    const stripped = raw ? losslessPreview(raw, options.sourceJpeg, losslessMax, previewFormat) : null;
    if (raw && rawThumb && stripped) {
      return { ...rawThumb, preview: stripped, previewFormat, width: raw.width, height: raw.height, previewWidth: raw.width, previewHeight: raw.height };
    }
    const { pipeline, width, height } = input instanceof Uint8Array ? await fromBytes(input, maxPixels, options) : fromRaw(input, maxPixels);

    // The one decode: oriented, reduced to preview size, 8-bit sRGB (with alpha when the image has it). Mitchell
    // keeps a reduction sharp at half the cost of Lanczos.
    const { data, info } = await pipeline
      .resize(previewSize, previewSize, { fit: 'inside', withoutEnlargement: true, kernel: 'mitchell' })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    const rawInput = { raw: { width: info.width, height: info.height, channels: info.channels as 1 | 2 | 3 | 4 } };

    const previewPipeline = sharp(data, rawInput);
    const preview = await (previewFormat === 'jpeg'
      ? // Standard Huffman tables: a few per cent larger than optimised ones, and under half the encoding time.
        previewPipeline.flatten({ background: '#ffffff' }).jpeg({ quality: 85, mozjpeg: false, optimiseCoding: false })
      : previewPipeline.webp({ quality: 82 })
    ).toBuffer();
    const thumb = rawThumb ?? thumbnailOf({ data, width: info.width, height: info.height, channels: rawInput.raw.channels }, thumbnailSize, options.blurSigma);
    return { ...thumb, preview, previewFormat, width, height, previewWidth: info.width, previewHeight: info.height };
  } catch (error) {
    if (error instanceof InvalidError) throw error;
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new InvalidError(`cannot make thumbnails: the file is corrupt or not a supported image (${message})`, undefined, { cause: error });
  }
}

/** The redacted thumbnail (redacted-thumbnail.ts) of pixels at preview size or smaller, already oriented. */
function thumbnailOf(pixels: ThumbnailSource, size: number, blurSigma: number | undefined): { thumbnail: Buffer; thumbnailWidth: number; thumbnailHeight: number } {
  const made = redactedThumbnail(pixels, size, blurSigma);
  return { thumbnail: made.png, thumbnailWidth: made.width, thumbnailHeight: made.height };
}

/** The metadata-free original as the preview, when it is a JPEG that needs neither resizing nor rotation. */
function losslessPreview(pixels: RawPixels, sourceJpeg: Uint8Array | undefined, maxSide: number, format: 'webp' | 'jpeg'): Buffer | null {
  if (!sourceJpeg || format !== 'jpeg' || (pixels.orientation ?? 1) !== 1) return null;
  if (Math.max(pixels.width, pixels.height) > maxSide) return null;
  const stripped = stripJpegMetadata(sourceJpeg);
  if (!stripped || stripped.width !== pixels.width || stripped.height !== pixels.height) return null;
  return stripped.bytes;
}

async function fromBytes(bytes: Uint8Array, maxPixels: number, options: ThumbnailOptions): Promise<{ pipeline: Sharp; width: number; height: number }> {
  const open = () =>
    sharp(bytes, { failOn: options.lenient ? 'none' : 'error', limitInputPixels: maxPixels, pages: 1, page: 0, sequentialRead: true });
  // The header first: refuse a decompression bomb with a clear message before a single pixel is decoded.
  let meta;
  try {
    meta = await sharp(bytes, { limitInputPixels: false, pages: 1, page: 0 }).metadata();
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new InvalidError(`cannot make thumbnails: not a supported image (${message})`, undefined, { cause: error });
  }
  const storedWidth = meta.width ?? 0;
  const storedHeight = meta.pageHeight ?? meta.height ?? 0;
  checkPixels(storedWidth, storedHeight, maxPixels);
  const swap = (meta.orientation ?? 1) >= 5 && (meta.orientation ?? 1) <= 8;
  return { pipeline: open().autoOrient(), width: swap ? storedHeight : storedWidth, height: swap ? storedWidth : storedHeight };
}

/** Refuses decoded pixels whose size is not what they claim, or over the pixel limit. */
function checkRaw(pixels: RawPixels, maxPixels: number): RawPixels {
  const { width, height, channels } = pixels;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new InvalidError(`cannot make thumbnails: bad pixel size ${width}x${height}`);
  }
  checkPixels(width, height, maxPixels);
  if (pixels.data.length !== width * height * channels) {
    throw new InvalidError(`cannot make thumbnails: ${pixels.data.length} bytes of pixels for ${width}x${height}x${channels}`);
  }
  return pixels;
}

/** Checked pixels (checkRaw) as a sharp pipeline that orients them. */
function fromRaw(pixels: RawPixels, maxPixels: number): { pipeline: Sharp; width: number; height: number } {
  const { width, height, channels } = pixels;
  const orientation = pixels.orientation ?? 1;
  let pipeline = sharp(pixels.data, { raw: { width, height, channels }, limitInputPixels: maxPixels });
  // EXIF orientations as sharp operations. sharp mirrors before it rotates, whatever the call order: transpose (5)
  // is a mirror then 270°, transverse (7) a mirror then 90°.
  switch (orientation) {
    case 2: pipeline = pipeline.flop(); break;
    case 3: pipeline = pipeline.rotate(180); break;
    case 4: pipeline = pipeline.flip(); break;
    case 5: pipeline = pipeline.rotate(270).flop(); break;
    case 6: pipeline = pipeline.rotate(90); break;
    case 7: pipeline = pipeline.rotate(90).flop(); break;
    case 8: pipeline = pipeline.rotate(270); break;
    default: break;
  }
  const swap = orientation >= 5 && orientation <= 8;
  return { pipeline, width: swap ? height : width, height: swap ? width : height };
}

function checkPixels(width: number, height: number, maxPixels: number): void {
  if (width * height > maxPixels) {
    throw new InvalidError(`image of ${width}x${height} pixels exceeds the limit of ${maxPixels} pixels`, { width, height, maxPixels });
  }
}

function checkSize(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 16 || value > 8192) throw new InvalidError(`${name} must be an integer from 16 to 8192, got ${value}`);
  return value;
}
