import { createRequire } from 'node:module';
import { InvalidError } from '../core/errors.js';

/**
 * HEIC/HEIF (HEVC-coded) decoding through `heic-decode` (libheif + libde265 compiled to WebAssembly). sharp's bundled
 * libheif reads AVIF only, so iPhone photos come this way. The WebAssembly module is loaded on the first HEIC, not at
 * start-up, and stays loaded in that thread.
 */

export interface HeicImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: 4;
}

type HeicDecode = (input: { buffer: Uint8Array | ArrayBuffer }) => Promise<{ width: number; height: number; data: Uint8ClampedArray }>;

/** Owns the lazily loaded decoder module (one per thread; create one per worker). */
export class HeicDecoder {
  private decode: HeicDecode | undefined;

  private load(): HeicDecode {
    if (!this.decode) {
      const require = createRequire(import.meta.url);
      this.decode = require('heic-decode') as HeicDecode;
    }
    return this.decode;
  }

  /** Decodes the primary image to RGBA. Throws InvalidError for anything that is not a decodable HEIC. */
  async decodeHeic(bytes: Uint8Array): Promise<HeicImage> {
    const decode = this.load();
    let decoded: { width: number; height: number; data: Uint8ClampedArray };
    try {
      decoded = await decode({ buffer: bytes });
    } catch (error) {
      throw new InvalidError(`cannot decode HEIC/HEIF image: ${error instanceof Error ? error.message : String(error)}`, undefined, { cause: error });
    }
    const { width, height, data } = decoded;
    if (!(width > 0 && height > 0) || data.length < width * height * 4) throw new InvalidError('cannot decode HEIC/HEIF image: decoder returned no pixels');
    return { data: new Uint8Array(data.buffer, data.byteOffset, width * height * 4), width, height, channels: 4 };
  }
}
