import { encodeGreyPng } from './png-grey.js';

/**
 * The redacted thumbnail: the default picture of an item, made so that investigators see where an image belongs
 * without seeing what it shows. Greyscale, at most `size` px on its longest side, strongly blurred, oriented as the
 * image is displayed, PNG with one grey channel.
 *
 * Made in typed arrays from pixels already decoded (ingest makes one per image): an area-average reduction straight
 * to grey (Rec. 601 luma, transparency composited over mid grey) onto a grid coarser than the thumbnail, three
 * box-blur passes each way there (a close approximation of a Gaussian of `sigma`), then bilinear interpolation up to
 * the thumbnail's size in its EXIF orientation. When the image's luminance has already been low-passed and reduced
 * (ingest: PDQ's 64x64, see `reduced`), that is the grid, and the pixels are not read again.
 */
export interface ThumbnailSource {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 2 | 3 | 4;
  /** EXIF orientation of the stored pixels, 1..8 (default 1). */
  readonly orientation?: number;
  /**
   * The same pixels' Rec. 601 luminance, low-passed and reduced to a grid covering the whole image (PDQ's 64x64
   * decimation: PdqHasher.lastDecimated). The thumbnail is then blurred from it instead of reducing the pixels.
   * Ignored for pixels with transparency, whose thumbnail shows them over mid grey (PDQ ignores alpha).
   */
  readonly reduced?: ReducedLuma;
}

/** A luminance grid covering a whole image (row-major, 0..255), already low-passed for its size. */
export interface ReducedLuma {
  readonly data: Float32Array;
  readonly width: number;
  readonly height: number;
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
  const sigma = blurSigma ?? defaultBlurSigma(tw, th);
  const grid = gridOf(source, tw, th, sigma);
  blur(grid.data, grid.width, grid.height, sigma * grid.perPixelX, sigma * grid.perPixelY);
  const oriented = upsampleOriented(grid, tw, th, source.orientation ?? 1);
  return { png: encodeGreyPng(oriented.data, oriented.width, oriented.height, 'smooth'), width: oriented.width, height: oriented.height };
}

/** The grid the blur runs on, and how many grid cells make one thumbnail pixel along each axis. */
interface Grid {
  readonly data: Float32Array;
  readonly width: number;
  readonly height: number;
  readonly perPixelX: number;
  readonly perPixelY: number;
}

/**
 * The blur leaves nothing finer than a few sigma, so it runs on a grid coarser than the thumbnail and the result is
 * interpolated back up: the same picture, within a grey level or so of the exact Gaussian (see its test). The grid is
 * the reduction given with the pixels when it is fine enough (at least two cells per sigma each way), or the pixels'
 * area average on cells of `sigma / 3` thumbnail pixels.
 */
function gridOf(source: ThumbnailSource, tw: number, th: number, sigma: number): Grid {
  const reduced = source.channels === 1 || source.channels === 3 ? source.reduced : undefined;
  if (reduced && reduced.data.length === reduced.width * reduced.height && reduced.width * sigma >= 2 * tw && reduced.height * sigma >= 2 * th) {
    // Blurred in place: a copy, so the caller's reduction is left as it was.
    return { data: reduced.data.slice(), width: reduced.width, height: reduced.height, perPixelX: reduced.width / tw, perPixelY: reduced.height / th };
  }
  const cell = Math.max(1, Math.floor(sigma / 3));
  const gw = Math.ceil(tw / cell);
  const gh = Math.ceil(th / cell);
  return { data: reduceToGrey(source, tw, th, cell, gw, gh), width: gw, height: gh, perPixelX: 1 / cell, perPixelY: 1 / cell };
}

/**
 * Area average of Rec. 601 luma into a gw x gh float grid whose cells are `cell` thumbnail pixels wide (the
 * thumbnail being tw x th). Each cell averages about four samples each way: the blur that follows takes out far more
 * detail than the rows and columns skipped.
 */
function reduceToGrey(source: ThumbnailSource, tw: number, th: number, cell: number, gw: number, gh: number): Float32Array {
  const { data, width, height, channels } = source;
  const xStep = Math.max(1, Math.floor((width * cell) / tw / 4));
  const yStep = Math.max(1, Math.floor((height * cell) / th / 4));
  const columns = Math.ceil(width / xStep);
  const cellOf = new Int32Array(columns);
  const perCell = new Float64Array(gw);
  for (let i = 0; i < columns; i++) {
    cellOf[i] = Math.min(gw - 1, Math.floor(Math.floor((i * xStep * tw) / width) / cell));
    perCell[cellOf[i]]++;
  }
  const out = new Float32Array(gw * gh);
  // Luma x 65536 in integers (exact in doubles), so the weights stay exact.
  const sums = new Float64Array(gw);
  let rows = 0;
  let current = 0;
  const flush = () => {
    for (let j = 0, o = current * gw; j < gw; j++, o++) out[o] = perCell[j] > 0 ? sums[j] / (65536 * perCell[j] * rows) : 0;
    sums.fill(0);
    rows = 0;
  };
  const pixelStep = xStep * channels;
  for (let y = 0; y < height; y += yStep) {
    const row = Math.min(gh - 1, Math.floor(Math.floor((y * th) / height) / cell));
    if (row !== current) {
      if (rows > 0) flush();
      current = row;
    }
    const p = y * width * channels;
    if (channels === 3) lumaRow3(data, p, pixelStep, columns, cellOf, sums);
    else if (channels === 1) greyRow(data, p, xStep, columns, cellOf, sums);
    else alphaRow(data, p, channels, pixelStep, columns, cellOf, sums);
    rows++;
  }
  flush();
  fillEmptyCells(out, perCell, gw, gh);
  return out;
}

/** A grid column no sample fell in (a thumbnail wider than its sampled columns) takes its left neighbour's values. */
function fillEmptyCells(grid: Float32Array, perCell: Float64Array, gw: number, gh: number): void {
  for (let j = 1; j < gw; j++) {
    if (perCell[j] > 0) continue;
    for (let y = 0; y < gh; y++) grid[y * gw + j] = grid[y * gw + j - 1];
  }
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

/**
 * Three box passes along rows (for sigmaX) and along columns (for sigmaY), edges extended; widths from the usual
 * box-for-Gaussian rule.
 */
function blur(image: Float32Array, width: number, height: number, sigmaX: number, sigmaY: number): void {
  const alongX = boxRadii(sigmaX);
  const alongY = boxRadii(sigmaY);
  const line = new Float32Array(2 * Math.max(alongX[2], alongY[2]) + Math.max(width, height));
  for (let pass = 0; pass < 3; pass++) {
    for (let y = 0; y < height; y++) boxLine(image, y * width, 1, width, alongX[pass], line);
    for (let x = 0; x < width; x++) boxLine(image, x, width, height, alongY[pass], line);
  }
}

/** The radii of three boxes whose succession approximates a Gaussian of `sigma` (the smaller ones first). */
function boxRadii(sigma: number): [number, number, number] {
  const ideal = Math.sqrt((12 * sigma * sigma) / 3 + 1);
  let lower = Math.floor(ideal);
  if (lower % 2 === 0) lower--;
  const upper = lower + 2;
  const m = Math.round((12 * sigma * sigma - 3 * lower * lower - 12 * lower - 9) / (-4 * lower - 4));
  const radius = (pass: number) => ((pass < m ? lower : upper) - 1) >> 1;
  return [radius(0), radius(1), radius(2)];
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

/**
 * The blurred grid interpolated (bilinear, cell centres) up to the tw x th thumbnail and turned to its displayed
 * orientation, as bytes. Each stored pixel (x, y) lands at a displayed index a + b x + c y.
 */
function upsampleOriented(grid: Grid, tw: number, th: number, orientation: number): { data: Uint8Array; width: number; height: number } {
  const { data: cells, width: gw, height: gh } = grid;
  const swap = orientation >= 5 && orientation <= 8;
  const width = swap ? th : tw;
  const height = swap ? tw : th;
  const at = (x: number, y: number) => displayedIndex(x, y, tw, th, width, orientation);
  const a = at(0, 0);
  const b = at(1, 0) - a;
  const c = at(0, 1) - a;
  // Along rows first (gh rows of tw), then each thumbnail row blends two of those.
  const wide = new Float32Array(gh * tw);
  for (let x = 0; x < tw; x++) {
    const [x0, x1, f] = interpolation(x, grid.perPixelX, gw);
    for (let r = 0, g = 0, o = x; r < gh; r++, g += gw, o += tw) wide[o] = cells[g + x0] + (cells[g + x1] - cells[g + x0]) * f;
  }
  const data = new Uint8Array(tw * th);
  for (let y = 0; y < th; y++) {
    const [y0, y1, f] = interpolation(y, grid.perPixelY, gh);
    blendRow(wide, y0 * tw, y1 * tw, f, tw, data, a + c * y, b);
  }
  return { data, width, height };
}

/** Row `top` + (row `bottom` - row `top`) f, rounded to bytes at out[o], out[o + step], ... */
function blendRow(rows: Float32Array, top: number, bottom: number, f: number, n: number, out: Uint8Array, o: number, step: number): void {
  for (let x = 0; x < n; x++, o += step) {
    const v = rows[top + x] + (rows[bottom + x] - rows[top + x]) * f;
    out[o] = v <= 0 ? 0 : v >= 255 ? 255 : (v + 0.5) | 0;
  }
}

/** The two grid cells around thumbnail pixel `p` (`perPixel` cells each) and the weight of the second (edges held). */
function interpolation(p: number, perPixel: number, cells: number): [number, number, number] {
  const u = Math.min(cells - 1, Math.max(0, (p + 0.5) * perPixel - 0.5));
  const i = Math.floor(u);
  return [i, Math.min(cells - 1, i + 1), u - i];
}

/** Where stored pixel (x, y) of a w x h image goes in the displayed image (`width` wide) for an EXIF orientation. */
function displayedIndex(x: number, y: number, w: number, h: number, width: number, orientation: number): number {
  switch (orientation) {
    case 2: return y * width + (w - 1 - x);
    case 3: return (h - 1 - y) * width + (w - 1 - x);
    case 4: return (h - 1 - y) * width + x;
    case 5: return x * width + y;
    case 6: return x * width + (h - 1 - y);
    case 7: return (w - 1 - x) * width + (h - 1 - y);
    case 8: return (w - 1 - x) * width + y;
    default: return y * width + x;
  }
}
