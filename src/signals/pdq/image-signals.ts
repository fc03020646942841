import { detectLetterbox, type LetterboxOptions } from './letterbox.js';
import type { PdqHasher, PixelBox, RawImage } from './pdq-hasher.js';

/** PDQ signals of one decoded image: the hash of the whole picture, its variants, and of the content inside bars. */
export interface ImageSignals {
  /** 32-byte PDQ hash of the whole image. */
  readonly pdq: Uint8Array;
  readonly quality: number;
  /** The eight dihedral variants (original, rot90, rot180, rot270, flipX, flipY, flipPlus1, flipMinus1). */
  readonly dihedral?: readonly Uint8Array[];
  /** Present when the image has uniform bars: PDQ of the content box inside them. */
  readonly trimmed?: {
    readonly pdq: Uint8Array;
    readonly quality: number;
    readonly box: PixelBox;
    readonly dihedral?: readonly Uint8Array[];
  };
  /**
   * With `keepReduced`: the whole picture's luminance as PDQ reduced it to 64x64 (PdqHasher.lastDecimated); absent
   * when the image is too small to hash.
   */
  readonly reduced?: Float32Array;
}

export interface ImageSignalOptions {
  /** Compute the eight dihedral variants (of the whole image, and of the trimmed box when there is one). */
  readonly dihedral?: boolean;
  /** Look for letterbox bars and hash the content box too (default true). */
  readonly letterbox?: boolean;
  readonly letterboxOptions?: LetterboxOptions;
  /** Keep the whole picture's 64x64 reduction (`reduced`), for the redacted thumbnail. */
  readonly keepReduced?: boolean;
}

/** Computes PDQ (and, as asked, its dihedral variants and the letterbox-trimmed hash) of decoded pixels. */
export function computeImageSignals(hasher: PdqHasher, image: RawImage, options: ImageSignalOptions = {}): ImageSignals {
  const dihedral = options.dihedral === true;
  const whole = hasher.hash(image, { dihedral });
  const reduced = options.keepReduced ? hasher.lastDecimated() : null;
  const signals: ImageSignals = { pdq: whole.hash, quality: whole.quality, ...(dihedral ? { dihedral: whole.dihedral } : {}), ...(reduced ? { reduced } : {}) };
  if (options.letterbox === false) return signals;
  const box = detectLetterbox(image, options.letterboxOptions);
  if (!box) return signals;
  const trimmed = hasher.hash(image, { dihedral, region: box });
  return { ...signals, trimmed: { pdq: trimmed.hash, quality: trimmed.quality, box, ...(dihedral ? { dihedral: trimmed.dihedral } : {}) } };
}
