import { encodeGreyPng } from './png-grey.js';

/**
 * The redacted thumbnail: the default picture of an item, made so that investigators see where an image belongs
 * without seeing what it shows. Greyscale, at most `size` px on its longest side, strongly blurred, oriented as the
 * image is displayed, PNG with one grey channel.
 *
 * Made in typed arrays from pixels already decoded (ingest makes one per image): an area-average reduction straight
 * to grey (Rec. 601 luma), transparency composited over mid grey, then three box-blur passes each way (a close approximation of a
 * Gaussian of `sigma`), then the EXIF orientation.
 */
export interface ThumbnailSource {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 2 | 3 | 4;
  /** EXIF orientation of the stored pixels, 1..8 (default 1). */
  readonly orientation?: number;
}

export interface RedactedThumbnail {
  readonly png: Buffer;
  /** Size as displayed (after orientation). */
  readonly width: number;
  readonly height: number;
}

/** Default blur: 1/28 of the thumbnail's longest side, and never under 3 px. */
export function defaultBlurSigma(width: number, height: number): number {
  return Math.max(3, Math.max(width, height) / 28);
}

export function redactedThumbnail(source: ThumbnailSource, size: number, blurSigma?: number): RedactedThumbnail {
  const { width, height } = source;
  const scale = Math.min(1, size / Math.max(width, height));
  const tw = Math.max(1, Math.round(width * scale));
  const th = Math.max(1, Math.round(height * scale));
  const grey = reduceToGrey(source, tw, th);
  blur(grey, tw, th, blurSigma ?? defaultBlurSigma(tw, th));
  const oriented = orient(grey, tw, th, source.orientation ?? 1);
  return { png: encodeGreyPng(oriented.data, oriented.width, oriented.height, 1), width: oriented.width, height: oriented.height };
}

/**
 * Area average of Rec. 601 luma into a tw x th float image. Where the reduction is 4x or more, every other row and
 * column is sampled (at least two per cell each way): the blur that follows takes out far more detail than that.
 */
function reduceToGrey(source: ThumbnailSource, tw: number, th: number): Float32Array {
  const { data, width, height, channels } = source;
  const xStep = Math.max(1, Math.floor(width / tw / 2));
  const yStep = Math.max(1, Math.floor(height / th / 2));
  const columns = Math.ceil(width / xStep);
  const cell = new Int32Array(columns);
  const perCell = new Float64Array(tw);
  for (let i = 0; i < columns; i++) {
    cell[i] = Math.min(tw - 1, Math.floor((i * xStep * tw) / width));
    perCell[cell[i]]++;
  }
  const out = new Float32Array(tw * th);
  // Luma x 65536 in integers (exact in doubles), so the weights stay exact.
  const sums = new Float64Array(tw);
  let rows = 0;
  let current = 0;
  const flush = () => {
    for (let j = 0, o = current * tw; j < tw; j++, o++) out[o] = sums[j] / (65536 * perCell[j] * rows);
    sums.fill(0);
    rows = 0;
  };
  const pixelStep = xStep * channels;
  for (let y = 0; y < height; y += yStep) {
    const row = Math.min(th - 1, Math.floor((y * th) / height));
    if (row !== current) {
      flush();
      current = row;
    }
    const p = y * width * channels;
    if (channels === 3) lumaRow3(data, p, pixelStep, columns, cell, sums);
    else if (channels === 1) greyRow(data, p, xStep, columns, cell, sums);
    else alphaRow(data, p, channels, pixelStep, columns, cell, sums);
    rows++;
  }
  flush();
  return out;
}

function lumaRow3(data: Uint8Array, p: number, step: number, n: number, cell: Int32Array, sums: Float64Array): void {
  for (let i = 0; i < n; i++, p += step) sums[cell[i]] += data[p] * 19595 + data[p + 1] * 38470 + data[p + 2] * 7471;
}

function greyRow(data: Uint8Array, p: number, step: number, n: number, cell: Int32Array, sums: Float64Array): void {
  for (let i = 0; i < n; i++, p += step) sums[cell[i]] += data[p] * 65536;
}

/** Grey + alpha or RGBA: composited over mid grey (128). */
function alphaRow(data: Uint8Array, p: number, channels: number, step: number, n: number, cell: Int32Array, sums: Float64Array): void {
  for (let i = 0; i < n; i++, p += step) {
    const l = channels === 4 ? data[p] * 19595 + data[p + 1] * 38470 + data[p + 2] * 7471 : data[p] * 65536;
    const a = data[p + channels - 1];
    sums[cell[i]] += (l * a + 128 * 65536 * (255 - a)) / 255;
  }
}

/** Three box passes along rows and along columns, edges extended; widths from the usual box-for-Gaussian rule. */
function blur(image: Float32Array, width: number, height: number, sigma: number): void {
  const ideal = Math.sqrt((12 * sigma * sigma) / 3 + 1);
  let lower = Math.floor(ideal);
  if (lower % 2 === 0) lower--;
  const upper = lower + 2;
  const m = Math.round((12 * sigma * sigma - 3 * lower * lower - 12 * lower - 9) / (-4 * lower - 4));
  const widest = ((upper - 1) >> 1) * 2 + Math.max(width, height);
  const line = new Float32Array(widest);
  for (let pass = 0; pass < 3; pass++) {
    const radius = ((pass < m ? lower : upper) - 1) >> 1;
    for (let y = 0; y < height; y++) boxLine(image, y * width, 1, width, radius, line);
    for (let x = 0; x < width; x++) boxLine(image, x, width, height, radius, line);
  }
}

/**
 * A running-sum box of 2 r + 1 samples along one line of `n` samples (start, step), in place. `line` holds the
 * samples with r copies of each end sample on either side (edges extended).
 */
function boxLine(image: Float32Array, start: number, step: number, n: number, r: number, line: Float32Array): void {
  if (r <= 0) return;
  const first = image[start];
  const last = image[start + (n - 1) * step];
  for (let i = 0; i < r; i++) {
    line[i] = first;
    line[r + n + i] = last;
  }
  for (let i = 0, p = start; i < n; i++, p += step) line[r + i] = image[p];
  let sum = 0;
  for (let i = 0; i <= 2 * r; i++) sum += line[i];
  const norm = 1 / (2 * r + 1);
  for (let i = 0, p = start; i < n; i++, p += step) {
    image[p] = sum * norm;
    if (i + 1 < n) sum += line[i + 2 * r + 1] - line[i];
  }
}

/** The stored-orientation grey image turned to its displayed orientation, as bytes. */
function orient(image: Float32Array, w: number, h: number, orientation: number): { data: Uint8Array; width: number; height: number } {
  const swap = orientation >= 5 && orientation <= 8;
  const width = swap ? h : w;
  const height = swap ? w : h;
  const data = new Uint8Array(width * height);
  for (let Y = 0, o = 0; Y < height; Y++) {
    for (let X = 0; X < width; X++, o++) {
      let x = X;
      let y = Y;
      switch (orientation) {
        case 2: x = w - 1 - X; break;
        case 3: x = w - 1 - X; y = h - 1 - Y; break;
        case 4: y = h - 1 - Y; break;
        case 5: x = Y; y = X; break;
        case 6: x = Y; y = h - 1 - X; break;
        case 7: x = w - 1 - Y; y = h - 1 - X; break;
        case 8: x = w - 1 - Y; y = X; break;
        default: break;
      }
      const v = image[y * w + x];
      data[o] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
    }
  }
  return { data, width, height };
}
