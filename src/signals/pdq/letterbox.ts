import type { PixelBox, RawImage } from './pdq-hasher.js';

/**
 * Letterbox and pillarbox detection: uniform bars (black, white or any flat colour) along any side of an image, as
 * added when a picture is fitted into a frame of another shape or re-shared as a screenshot. PDQ of the whole frame
 * differs from PDQ of the picture, so the content box is hashed as a second signal.
 *
 * A bar is a run of lines, from the edge inwards, in which nearly every pixel is within `tolerance` (per colour
 * channel) of that side's bar colour (the mean of the outermost line). A small share of outliers per line is allowed
 * for JPEG noise and specks. Alpha is ignored.
 */

export interface LetterboxOptions {
  /** Largest per-channel difference from the bar colour that still counts as bar (default 16 of 255). */
  readonly tolerance?: number;
  /** Share of a line's pixels that may exceed the tolerance (default 0.02). */
  readonly outlierShare?: number;
  /** Smallest bar worth trimming, as a share of the dimension (default 0.01, and never under 2 px). */
  readonly minBarShare?: number;
  /** Smallest content left after trimming, as a share of each dimension (default 0.2). */
  readonly minContentShare?: number;
}

const DEFAULTS = { tolerance: 16, outlierShare: 0.02, minBarShare: 0.01, minContentShare: 0.2 };

/**
 * Returns the content box inside uniform bars, or undefined when the image has no bars worth trimming (or is uniform
 * all over, in which case there is no content to find).
 */
export function detectLetterbox(image: RawImage, options: LetterboxOptions = {}): PixelBox | undefined {
  const settings = { ...DEFAULTS, ...options };
  const { width, height } = image;
  if (width < 3 || height < 3) return undefined;
  const scan = new LineScanner(image, settings.tolerance, settings.outlierShare);

  // Top and bottom over the full width; then left and right over the rows that remain.
  const top = scan.barDepth('top', 0, width, 0, height);
  if (top >= height) return undefined; // uniform image
  const bottom = scan.barDepth('bottom', 0, width, top, height);
  const left = scan.barDepth('left', top, height - bottom, 0, width);
  const right = scan.barDepth('right', top, height - bottom, left, width);

  const minBarX = Math.max(2, Math.ceil(width * settings.minBarShare));
  const minBarY = Math.max(2, Math.ceil(height * settings.minBarShare));
  const box = {
    left: left >= minBarX ? left : 0,
    top: top >= minBarY ? top : 0,
    width: 0,
    height: 0,
  };
  box.width = width - box.left - (right >= minBarX ? right : 0);
  box.height = height - box.top - (bottom >= minBarY ? bottom : 0);
  if (box.width === width && box.height === height) return undefined;
  if (box.width < Math.max(5, width * settings.minContentShare) || box.height < Math.max(5, height * settings.minContentShare)) return undefined;
  return box;
}

type Side = 'top' | 'bottom' | 'left' | 'right';

class LineScanner {
  private readonly colour = new Float64Array(3);
  private readonly colourChannels: number;

  constructor(
    private readonly image: RawImage,
    private readonly tolerance: number,
    private readonly outlierShare: number,
  ) {
    this.colourChannels = image.channels >= 3 ? 3 : 1;
  }

  /**
   * How many lines from `side` inwards form a uniform bar. For top/bottom, lines are rows limited to columns
   * [from, to) and the scan stays within rows [lo, hi); for left/right, lines are columns limited to rows [from, to)
   * within columns [lo, hi).
   */
  barDepth(side: Side, from: number, to: number, lo: number, hi: number): number {
    const span = hi - lo;
    if (span <= 0 || to <= from) return 0;
    const line = (k: number): number => (side === 'top' || side === 'left' ? lo + k : hi - 1 - k);
    const horizontal = side === 'top' || side === 'bottom';
    this.meanColour(horizontal, line(0), from, to);
    let depth = 0;
    while (depth < span && this.isUniform(horizontal, line(depth), from, to)) depth++;
    return depth;
  }

  private meanColour(horizontal: boolean, index: number, from: number, to: number): void {
    const { data, channels, width } = this.image;
    this.colour.fill(0);
    for (let i = from; i < to; i++) {
      const p = (horizontal ? index * width + i : i * width + index) * channels;
      for (let c = 0; c < this.colourChannels; c++) this.colour[c] += data[p + c];
    }
    for (let c = 0; c < this.colourChannels; c++) this.colour[c] /= to - from;
  }

  private isUniform(horizontal: boolean, index: number, from: number, to: number): boolean {
    const { data, channels, width } = this.image;
    const allowed = Math.floor((to - from) * this.outlierShare);
    let outliers = 0;
    for (let i = from; i < to; i++) {
      const p = (horizontal ? index * width + i : i * width + index) * channels;
      for (let c = 0; c < this.colourChannels; c++) {
        if (Math.abs(data[p + c] - this.colour[c]) > this.tolerance) {
          if (++outliers > allowed) return false;
          break;
        }
      }
    }
    return true;
  }
}
