import { InvalidError } from '../../core/errors.js';
import { HASH256_BYTES } from '../../core/hash256.js';
import { DIHEDRAL_VARIANTS, dihedralTransform16 } from './dihedral.js';
import { boxFilterColumns, boxFilterRows, jaroszWindowSize } from './jarosz.js';
import { WASM_MAX_BYTES, WasmKernels } from './wasm-kernels.js';

/**
 * PDQ, computed as Meta's reference full-resolution core computes it (see docs: shared/notes/pdq.md): float32
 * arithmetic throughout, luminance, two passes of a box filter along rows then columns, decimation to 64x64, a
 * gradient quality score, a 16x16 DCT and a threshold at the median.
 */

/** Raw interleaved 8-bit pixels: 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA. Alpha is ignored (never flattened). */
export interface RawImage {
  readonly data: Uint8Array | Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 2 | 3 | 4;
}

/** A rectangle of an image, in pixels. */
export interface PixelBox {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

export interface PdqHashResult {
  /** 32 bytes, big-endian as printed (see core/hash256). */
  readonly hash: Uint8Array;
  /** 0..100; below 50 the image is too flat to trust. */
  readonly quality: number;
  /** The eight variants in DIHEDRAL_VARIANTS order (index 0 equals `hash`), when asked for. */
  readonly dihedral?: readonly Uint8Array[];
}

export interface PdqHashOptions {
  /** Also compute the eight dihedral variants. */
  readonly dihedral?: boolean;
  /** Hash only this rectangle of the image (for example the content inside letterbox bars). */
  readonly region?: PixelBox;
}

/**
 * Which kernels compute luminance and the box filter: WebAssembly SIMD (fast) or JavaScript. Both give the same bits;
 * `auto` uses WebAssembly where available and the image fits its memory, JavaScript otherwise.
 */
export type PdqBackend = 'auto' | 'wasm' | 'js';

/** The side of the grid PDQ decimates the filtered luminance to (see lastDecimated). */
export const PDQ_DECIMATED_SIDE = 64;

/** Images narrower or shorter than this get the all-zero hash and quality 0. */
export const PDQ_MIN_DIMENSION = 5;

const LUMA_R = Math.fround(0.299);
const LUMA_G = Math.fround(0.587);
const LUMA_B = Math.fround(0.114);

const fround = Math.fround;

/**
 * Hashes images; owns its scratch buffers, which grow to the largest image seen and are reused. One instance per
 * thread; not re-entrant (hash() is synchronous, so this only matters if shared across workers, which it cannot be).
 */
export class PdqHasher {
  private luma = new Float32Array(0);
  private scratch = new Float32Array(0);
  private readonly columnSums: Float32Array;
  private readonly columnBlock: number;
  private readonly decimated = new Float32Array(PDQ_DECIMATED_SIDE * PDQ_DECIMATED_SIDE);
  /** Whether `decimated` holds the last hashed image's (false after an image too small to hash). */
  private decimatedValid = false;
  private readonly columnsSampled = new Int32Array(64);
  private sampledWidth = -1;
  private readonly dctRows = new Float32Array(16 * 64);
  private readonly dctOut = new Float32Array(16 * 16);
  private readonly transformed = new Float32Array(16 * 16);
  private readonly sorted = new Float32Array(16 * 16);
  /** D[i][j] = float32(float32(sqrt(2/64)) * cos(pi/128 * (i+1) * (2j+1))), 16 x 64 row-major. */
  private readonly dct = new Float32Array(16 * 64);
  /** float32(0.299f * v), float32(0.587f * v), float32(0.114f * v) for every byte value v (exact products, looked up). */
  private readonly lumaR = new Float64Array(256);
  private readonly lumaG = new Float64Array(256);
  private readonly lumaB = new Float64Array(256);

  private readonly wasm: WasmKernels | undefined;

  /**
   * @param options.columnBlock columns filtered together in the JavaScript column pass (cache blocking); default 256.
   * @param options.backend kernels to use (default auto).
   */
  constructor(options: { columnBlock?: number; backend?: PdqBackend } = {}) {
    this.columnBlock = Math.max(1, Math.floor(options.columnBlock ?? 256));
    this.columnSums = new Float32Array(this.columnBlock);
    const scale = Math.fround(Math.sqrt(2 / 64));
    for (let i = 0; i < 16; i++) {
      for (let j = 0; j < 64; j++) this.dct[i * 64 + j] = scale * Math.cos((Math.PI / 2 / 64) * (i + 1) * (2 * j + 1));
    }
    for (let v = 0; v < 256; v++) {
      this.lumaR[v] = fround(LUMA_R * v);
      this.lumaG[v] = fround(LUMA_G * v);
      this.lumaB[v] = fround(LUMA_B * v);
    }
    const backend = options.backend ?? 'auto';
    this.wasm = backend === 'js' ? undefined : WasmKernels.create({ r: this.lumaR, g: this.lumaG, b: this.lumaB });
    if (backend === 'wasm' && !this.wasm) throw new InvalidError('WebAssembly SIMD is not available for the PDQ kernels');
  }

  /** The kernels in use for images that fit WebAssembly memory. */
  get backend(): 'wasm' | 'js' {
    return this.wasm ? 'wasm' : 'js';
  }

  /** Hashes raw pixels (or a region of them). */
  hash(image: RawImage, options: PdqHashOptions = {}): PdqHashResult {
    const box = checkImage(image, options.region);
    const { width, height } = box;
    this.decimatedValid = false;
    if (width < PDQ_MIN_DIMENSION || height < PDQ_MIN_DIMENSION) return zeroResult(options.dihedral === true);
    if (this.wasm) {
      const rowBytes = image.width * image.channels;
      const layout = this.wasm.layout(width, width * height, rowBytes * height);
      // Past the cap, or when the engine refuses to grow the memory, the JavaScript kernels take over.
      if (layout.end <= WASM_MAX_BYTES && this.wasm.tryEnsure(layout.end)) return this.hashWithWasm(this.wasm, image, box, layout, options.dihedral === true);
    }
    this.ensureCapacity(width * height);
    this.fillLuma(image, box);
    this.filter(this.luma, width, height);
    return this.finish(this.luma, 0, width, height, options.dihedral === true);
  }

  /**
   * Hashes a float luminance image already in `luma` (row-major, width x height). The buffer is used as scratch and
   * overwritten. This is the reference's pdqHash256FromFloatLuma.
   */
  hashFloatLuma(luma: Float32Array, width: number, height: number, options: { dihedral?: boolean } = {}): PdqHashResult {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0 || luma.length < width * height) {
      throw new InvalidError(`luminance buffer of ${luma.length} values does not hold a ${width}x${height} image`);
    }
    this.decimatedValid = false;
    if (width < PDQ_MIN_DIMENSION || height < PDQ_MIN_DIMENSION) return zeroResult(options.dihedral === true);
    this.ensureCapacity(width * height, true);
    this.filter(luma, width, height);
    return this.finish(luma, 0, width, height, options.dihedral === true);
  }

  /**
   * A copy of the 64x64 luminance the last hash decimated (row-major, 0..255, the picture or region as stored), or
   * null when that image was too small to hash. It is the picture low-passed by the two box-filter passes and reduced:
   * ingest makes the redacted thumbnail from it (media/redacted-thumbnail.ts), so each image is reduced once.
   */
  lastDecimated(): Float32Array | null {
    return this.decimatedValid ? this.decimated.slice() : null;
  }

  /** Copies the box's rows into WebAssembly memory, runs luminance and the filter there, then finishes in JS. */
  private hashWithWasm(wasm: WasmKernels, image: RawImage, box: PixelBox, layout: ReturnType<WasmKernels['layout']>, dihedral: boolean): PdqHashResult {
    const { width, height } = box;
    const rowBytes = image.width * image.channels;
    const start = box.top * rowBytes;
    const length = rowBytes * height;
    const rows = start === 0 && image.data.length === length ? image.data : image.data.subarray(start, start + length);
    wasm.bytes.set(rows, layout.pixels);
    wasm.luma(layout.pixels + box.left * image.channels, rowBytes, width, height, image.channels, layout.buffer1);
    const filtered = wasm.jarosz(layout, width, height, jaroszWindowSize(width), jaroszWindowSize(height), this.sampleColumns(width));
    return this.finish(wasm.floats, filtered.base, width, height, dihedral, filtered.stride);
  }

  /** Two passes of the box filter along rows then columns, in place (via the scratch buffer). */
  private filter(luma: Float32Array, width: number, height: number): void {
    const rowWindow = jaroszWindowSize(width);
    const columnWindow = jaroszWindowSize(height);
    for (let pass = 0; pass < 2; pass++) {
      boxFilterRows(luma, this.scratch, width, height, rowWindow);
      boxFilterColumns(this.scratch, luma, width, height, columnWindow, this.columnSums, this.columnBlock);
    }
  }

  /** The 64 columns decimation samples from an image `width` wide: floor((j + 0.5) W / 64). */
  private sampleColumns(width: number): Int32Array {
    if (this.sampledWidth !== width) {
      for (let j = 0; j < 64; j++) this.columnsSampled[j] = Math.floor(((j + 0.5) * width) / 64);
      this.sampledWidth = width;
    }
    return this.columnsSampled;
  }

  /**
   * Decimation, quality, DCT and thresholds on the filtered image (which starts at index `base` of `luma`). With
   * `stride` 64 (narrower than `width`) the image holds the 64 sampled columns only.
   */
  private finish(luma: Float32Array, base: number, width: number, height: number, dihedral: boolean, stride = width): PdqHashResult {
    this.decimate(luma, base, width, height, stride);
    this.decimatedValid = true;
    const quality = this.quality();
    this.dct64To16();
    const hash = new Uint8Array(HASH256_BYTES);
    thresholdAtMedian(this.dctOut, this.sorted, hash);
    if (!dihedral) return { hash, quality };
    const variants: Uint8Array[] = [hash];
    for (let v = 1; v < DIHEDRAL_VARIANTS.length; v++) {
      dihedralTransform16(this.dctOut, this.transformed, v);
      const variant = new Uint8Array(HASH256_BYTES);
      thresholdAtMedian(this.transformed, this.sorted, variant);
      variants.push(variant);
    }
    return { hash, quality, dihedral: variants };
  }

  private ensureCapacity(pixels: number, scratchOnly = false): void {
    if (this.scratch.length < pixels) this.scratch = new Float32Array(pixels);
    if (!scratchOnly && this.luma.length < pixels) this.luma = new Float32Array(pixels);
  }

  /** Luminance of the box into this.luma: 0.299 R + 0.587 G + 0.114 B in float32, left to right; grey as is. */
  private fillLuma(image: RawImage, box: PixelBox): void {
    const { data, channels } = image;
    const stride = image.width * channels;
    for (let y = 0, o = 0; y < box.height; y++, o += box.width) {
      const p = (box.top + y) * stride + box.left * channels;
      if (channels === 3) lumaRow3(data, p, this.luma, o, box.width, this.lumaR, this.lumaG, this.lumaB);
      else if (channels === 4) lumaRow4(data, p, this.luma, o, box.width, this.lumaR, this.lumaG, this.lumaB);
      else greyRow(data, p, channels, this.luma, o, box.width);
    }
  }

  /**
   * A[i][j] = F[floor((i + 0.5) H / 64)][floor((j + 0.5) W / 64)], index arithmetic in double. When `stride` is
   * under `width`, F holds only the sampled columns, in order.
   */
  private decimate(input: Float32Array, base: number, width: number, height: number, stride: number): void {
    const out = this.decimated;
    const compact = stride < width;
    for (let i = 0; i < 64; i++) {
      const row = base + Math.floor(((i + 0.5) * height) / 64) * stride;
      for (let j = 0; j < 64; j++) out[i * 64 + j] = input[row + (compact ? j : Math.floor(((j + 0.5) * width) / 64))];
    }
  }

  /** Sum of |trunc((u - v) * 100 / 255)| over adjacent pairs of the 64x64 image, / 90, capped at 100. */
  private quality(): number {
    const a = this.decimated;
    let sum = 0;
    for (let i = 0; i < 63; i++) {
      for (let j = 0; j < 64; j++) {
        sum += Math.abs(Math.trunc(fround(fround(fround(a[i * 64 + j] - a[(i + 1) * 64 + j]) * 100) / 255)));
      }
    }
    for (let i = 0; i < 64; i++) {
      for (let j = 0; j < 63; j++) {
        sum += Math.abs(Math.trunc(fround(fround(fround(a[i * 64 + j] - a[i * 64 + j + 1]) * 100) / 255)));
      }
    }
    return Math.min(100, Math.floor(sum / 90));
  }

  /** T = D A (16x64), B = T D^T (16x16); every dot product accumulates k = 0..63 in float32. */
  private dct64To16(): void {
    const d = this.dct;
    const a = this.decimated;
    const t = this.dctRows;
    const b = this.dctOut;
    for (let i = 0; i < 16; i++) {
      for (let j = 0; j < 64; j++) {
        let sum = 0;
        for (let k = 0; k < 64; k++) sum = fround(sum + fround(d[i * 64 + k] * a[k * 64 + j]));
        t[i * 64 + j] = sum;
      }
    }
    for (let i = 0; i < 16; i++) {
      for (let j = 0; j < 16; j++) {
        let sum = 0;
        for (let k = 0; k < 64; k++) sum = fround(sum + fround(t[i * 64 + k] * d[j * 64 + k]));
        b[i * 16 + j] = sum;
      }
    }
  }
}

// Row kernels with a constant pixel stride (kept monomorphic for the JIT).

function lumaRow3(data: ArrayLike<number>, p: number, luma: Float32Array, o: number, n: number, r: Float64Array, g: Float64Array, b: Float64Array): void {
  for (const end = o + n; o < end; o++, p += 3) luma[o] = fround(r[data[p]] + g[data[p + 1]]) + b[data[p + 2]];
}

function lumaRow4(data: ArrayLike<number>, p: number, luma: Float32Array, o: number, n: number, r: Float64Array, g: Float64Array, b: Float64Array): void {
  for (const end = o + n; o < end; o++, p += 4) luma[o] = fround(r[data[p]] + g[data[p + 1]]) + b[data[p + 2]];
}

function greyRow(data: ArrayLike<number>, p: number, channels: number, luma: Float32Array, o: number, n: number): void {
  for (const end = o + n; o < end; o++, p += channels) luma[o] = data[p];
}

/** Bit k = 16 i + j of `hash` is set when B[i][j] > sorted[127] (strictly). */
function thresholdAtMedian(values: Float32Array, sorted: Float32Array, hash: Uint8Array): void {
  sorted.set(values);
  sorted.sort();
  const median = sorted[127];
  hash.fill(0);
  for (let k = 0; k < 256; k++) {
    if (values[k] > median) hash[31 - (k >> 3)] |= 1 << (k & 7);
  }
}

function zeroResult(dihedral: boolean): PdqHashResult {
  const hash = new Uint8Array(HASH256_BYTES);
  if (!dihedral) return { hash, quality: 0 };
  return { hash, quality: 0, dihedral: DIHEDRAL_VARIANTS.map(() => new Uint8Array(HASH256_BYTES)) };
}

function checkImage(image: RawImage, region: PixelBox | undefined): PixelBox {
  const { width, height, channels, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
    throw new InvalidError(`image dimensions must be non-negative integers, got ${width}x${height}`);
  }
  if (channels !== 1 && channels !== 2 && channels !== 3 && channels !== 4) {
    throw new InvalidError(`images must have 1 to 4 channels, got ${String(channels)}`);
  }
  if (data.length < width * height * channels) {
    throw new InvalidError(`pixel buffer of ${data.length} bytes is too short for ${width}x${height}x${channels}`);
  }
  if (!region) return { left: 0, top: 0, width, height };
  const { left, top } = region;
  if (
    ![left, top, region.width, region.height].every((v) => Number.isInteger(v) && v >= 0) ||
    left + region.width > width ||
    top + region.height > height
  ) {
    throw new InvalidError(`region ${region.width}x${region.height}+${left}+${top} is outside the ${width}x${height} image`);
  }
  return region;
}
