import { readFileSync, statSync, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { AriadneError, InvalidError, NotFoundError } from '../core/errors.js';
import { formatHash256 } from '../core/hash256.js';
import { DECODABLE_IMAGE_TYPES, ImageDecoder, sniffMediaType } from '../media/decode.js';
import { extractExif, type ExifSummary } from '../media/exif.js';
import { makeThumbnails } from '../media/thumbnails.js';
import { CryptoHasher, cryptoDigestsOf } from './crypto/crypto-hashes.js';
import { computeImageSignals } from './pdq/image-signals.js';
import { PDQ_DECIMATED_SIDE, PdqHasher, type PixelBox } from './pdq/pdq-hasher.js';
import { asBuffer } from '../core/bytes.js';

/**
 * Every signal of one file, computed in the calling thread: size, sniffed type, md5/sha1/sha256 in one pass, and for
 * images PDQ (with dihedral variants and the letterbox-trimmed hash on request). The hash pool runs this in its worker
 * threads; it can also run directly (tests, tools).
 */

/** The record form of a file's signals: hex strings, ready for JSON, the database and hash lists. */
export interface FileSignals {
  readonly size: number;
  /** Sniffed from the bytes; `application/octet-stream` when unknown. */
  readonly mime: string;
  readonly md5: string;
  readonly sha1: string;
  readonly sha256: string;
  /** PDQ hex of the image, or null for files that are not (decodable) images. */
  readonly pdq: string | null;
  readonly quality: number | null;
  /** The eight dihedral variants (original, rot90, rot180, rot270, flipX, flipY, flipPlus1, flipMinus1), on request. */
  readonly pdqDihedral?: readonly string[];
  /** PDQ of the content inside uniform (letterbox) bars, when the image has them. */
  readonly trimmed?: { readonly pdq: string; readonly quality: number; readonly box: PixelBox; readonly pdqDihedral?: readonly string[] };
  /** Pixel size of the decoded image. */
  readonly width?: number;
  readonly height?: number;
  /**
   * Why an image could not be decoded (corrupt, truncated, unsupported variant). The exact hashes are still valid;
   * pdq is null.
   */
  readonly imageError?: string;
  /** With `extract`: the image's EXIF summary (null when it has none). */
  readonly exif?: ExifSummary | null;
  /**
   * With `extract`: the blurred greyscale thumbnail (PNG) and the unredacted preview (JPEG); preview null when it is
   * the file's own bytes (nothing to strip, reduce or turn), so they are not sent back.
   */
  readonly renditions?: { readonly thumbnail: Uint8Array; readonly preview: Uint8Array | null };
}

export interface FileSignalOptions {
  /** Add the eight dihedral PDQ variants. */
  readonly dihedral?: boolean;
  /** Look for letterbox bars and hash the content inside them (default true). */
  readonly letterbox?: boolean;
  /**
   * Also read the EXIF summary and make the redacted thumbnail and the preview from the same decoded pixels
   * (ingest: the image is decoded once for everything).
   */
  readonly extract?: boolean;
  /**
   * The bytes' digests when the caller already holds them (ingest computed them as the bytes were stored, and the
   * store verified the SHA-256 on reading them back): hashBytes uses them instead of hashing the bytes again.
   */
  readonly knownDigests?: { readonly md5: string; readonly sha1: string; readonly sha256: string };
}

export interface FileHasherOptions {
  /** Images larger than this many bytes get only the exact hashes (default 256 MiB). Other files stream. */
  readonly maxImageBytes?: number;
  /** Refuse to decode images with more pixels than this (default 16383²). */
  readonly maxPixels?: number;
  /**
   * Read files of up to 16 MiB whole with blocking calls. For a thread that does nothing else (a hash worker): its
   * reads then never wait in libuv's thread pool behind image decodes. Never on a thread that serves requests.
   */
  readonly blockingReads?: boolean;
}

const OCTET_STREAM = 'application/octet-stream';
const SNIFF_BYTES = 64 * 1024;
const STREAM_CHUNK = 1024 * 1024;
const WHOLE_FILE_BYTES = 16 * 1024 * 1024;

/** Owns a decoder and a PDQ hasher with their buffers: one per thread. */
export class FileHasher {
  private readonly decoder: ImageDecoder;
  private readonly pdq = new PdqHasher();
  private readonly maxImageBytes: number;
  private readonly blockingReads: boolean;

  constructor(options: FileHasherOptions = {}) {
    this.decoder = new ImageDecoder({ maxPixels: options.maxPixels });
    this.maxImageBytes = options.maxImageBytes ?? 256 * 1024 * 1024;
    this.blockingReads = options.blockingReads ?? false;
  }

  /** Signals of bytes in memory. */
  async hashBytes(bytes: Uint8Array, options: FileSignalOptions = {}): Promise<FileSignals> {
    const mime = (await sniffMediaType(bytes))?.mime ?? OCTET_STREAM;
    const known = options.knownDigests;
    const digests = known ? { size: bytes.length, md5: known.md5, sha1: known.sha1, sha256: known.sha256 } : cryptoDigestsOf(bytes);
    if (!DECODABLE_IMAGE_TYPES.has(mime)) return { ...digests, mime, pdq: null, quality: null };
    if (bytes.length > this.maxImageBytes) return { ...digests, mime, pdq: null, quality: null, imageError: this.tooLarge(bytes.length) };
    return { ...digests, mime, ...(await this.imageSignals(bytes, mime, options)) };
  }

  /**
   * Signals of a file. Images (by their bytes) up to maxImageBytes are read whole and decoded; anything else is
   * streamed through the digests in 1 MiB chunks, so a large video never sits in memory.
   * Throws NotFoundError when the file does not exist, InvalidError when it cannot be read as a regular file.
   */
  async hashFile(path: string, options: FileSignalOptions = {}): Promise<FileSignals> {
    const info = this.blockingReads
      ? statOrThrow(path)
      : await stat(path).catch((error: unknown) => {
          throw readError(path, error);
        });
    if (!info.isFile()) throw new InvalidError(`${path}: not a regular file${info.isDirectory() ? ' (a directory)' : ''}`, { path });
    if (this.blockingReads && info.size <= Math.min(this.maxImageBytes, WHOLE_FILE_BYTES)) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(path);
      } catch (error) {
        throw readError(path, error);
      }
      return this.hashBytes(bytes, options);
    }
    const handle = await open(path, 'r').catch((error: unknown) => {
      throw readError(path, error);
    });
    try {
      const head = Buffer.alloc(Math.min(SNIFF_BYTES, info.size));
      const { bytesRead } = await handle.read(head, 0, head.length, 0);
      const mime = (await sniffMediaType(head.subarray(0, bytesRead)))?.mime ?? OCTET_STREAM;
      if (DECODABLE_IMAGE_TYPES.has(mime) && info.size <= this.maxImageBytes) {
        const bytes = await handle.readFile();
        const digests = cryptoDigestsOf(bytes);
        return { ...digests, mime, ...(await this.imageSignals(bytes, mime, options)) };
      }
      const hasher = new CryptoHasher();
      const chunk = Buffer.allocUnsafe(STREAM_CHUNK);
      for (let position = 0; ; ) {
        const { bytesRead: n } = await handle.read(chunk, 0, chunk.length, position);
        if (n === 0) break;
        hasher.update(chunk.subarray(0, n));
        position += n;
      }
      const tooLarge = DECODABLE_IMAGE_TYPES.has(mime) ? { imageError: this.tooLarge(info.size) } : {};
      return { ...hasher.digest(), mime, pdq: null, quality: null, ...tooLarge };
    } catch (error) {
      throw error instanceof AriadneError ? error : readError(path, error);
    } finally {
      await handle.close();
    }
  }

  private tooLarge(size: number): string {
    return `image of ${size} bytes is over the ${this.maxImageBytes}-byte limit for decoding; only the exact hashes were computed`;
  }

  private async imageSignals(
    bytes: Uint8Array,
    mime: string,
    options: FileSignalOptions,
  ): Promise<Pick<FileSignals, 'pdq' | 'quality' | 'pdqDihedral' | 'trimmed' | 'width' | 'height' | 'imageError' | 'exif' | 'renditions'>> {
    // EXIF first: nothing large is held while it runs, and from the decode on the pixels are used up without waiting
    // on anything (so they die young instead of being promoted, and collected, with the old generation).
    const exif = options.extract ? await extractExif(asBuffer(bytes)) : undefined;
    let image;
    try {
      image = await this.decoder.decode(bytes, { mime });
    } catch (error) {
      if (error instanceof InvalidError) return { pdq: null, quality: null, imageError: error.message };
      throw error;
    }
    const signals = computeImageSignals(this.pdq, image, { dihedral: options.dihedral, letterbox: options.letterbox, keepReduced: exif !== undefined });
    let extracted: Pick<FileSignals, 'exif' | 'renditions'> = {};
    if (exif !== undefined) {
      // The thumbnail is blurred from PDQ's reduction of the image: its pixels are reduced once.
      const reduced = signals.reduced ? { data: signals.reduced, width: PDQ_DECIMATED_SIDE, height: PDQ_DECIMATED_SIDE } : undefined;
      const pixels = { data: image.data, width: image.width, height: image.height, channels: image.channels, orientation: exif?.orientation, reduced };
      const made = await makeThumbnails(pixels, { previewFormat: 'jpeg', sourceJpeg: mime === 'image/jpeg' ? bytes : undefined });
      const sameAsFile = made.preview.length === bytes.length && Buffer.compare(made.preview, bytes) === 0;
      extracted = { exif, renditions: { thumbnail: made.thumbnail, preview: sameAsFile ? null : made.preview } };
    }
    const hex = (list: readonly Uint8Array[] | undefined) => list?.map((h) => formatHash256(h));
    return {
      pdq: formatHash256(signals.pdq),
      quality: signals.quality,
      ...(options.dihedral ? { pdqDihedral: hex(signals.dihedral) } : {}),
      ...(signals.trimmed
        ? {
            trimmed: {
              pdq: formatHash256(signals.trimmed.pdq),
              quality: signals.trimmed.quality,
              box: signals.trimmed.box,
              ...(options.dihedral ? { pdqDihedral: hex(signals.trimmed.dihedral) } : {}),
            },
          }
        : {}),
      width: image.width,
      height: image.height,
      ...extracted,
    };
  }
}

function statOrThrow(path: string): Stats {
  try {
    return statSync(path);
  } catch (error) {
    throw readError(path, error);
  }
}

function readError(path: string, error: unknown): AriadneError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return new NotFoundError(`${path}: no such file`, { path });
  const reason = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (error as Error)?.message ?? String(error);
  return new InvalidError(`${path}: cannot read: ${reason}`, { path, code });
}
