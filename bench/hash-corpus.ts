import sharp from 'sharp';

/**
 * Synthetic, benign test images with photo-like structure (gradients, overlapping shapes, texture and noise),
 * generated deterministically from a seed. Used by the hashing and robustness benchmarks and by tests, so no real
 * material is ever needed.
 */

/** A small deterministic PRNG (xorshift32). */
export class Prng {
  private state: number;
  constructor(seed: number) {
    this.state = (seed >>> 0) * 2654435761 + 1 || 1;
    for (let i = 0; i < 4; i++) this.next();
  }
  /** Uniform in [0, 1). */
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo));
  }
}

export interface SyntheticImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: 3;
}

/** RGB pixels: a two-colour gradient, 6-14 discs and rectangles in random colours, a sine texture and noise. */
export function syntheticPixels(width: number, height: number, seed: number): SyntheticImage {
  const rng = new Prng(seed);
  const data = new Uint8Array(width * height * 3);
  const c0 = [rng.int(0, 256), rng.int(0, 256), rng.int(0, 256)];
  const c1 = [rng.int(0, 256), rng.int(0, 256), rng.int(0, 256)];
  const angle = rng.next() * Math.PI * 2;
  const dx = Math.cos(angle);
  const dy = Math.sin(angle);
  const span = Math.abs(dx) * width + Math.abs(dy) * height;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const t = Math.min(1, Math.max(0, ((x - width / 2) * dx + (y - height / 2) * dy) / span + 0.5));
      const p = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) data[p + c] = c0[c] + (c1[c] - c0[c]) * t;
    }
  }
  const shapes = rng.int(6, 15);
  const scale = Math.min(width, height);
  for (let s = 0; s < shapes; s++) {
    const colour = [rng.int(0, 256), rng.int(0, 256), rng.int(0, 256)];
    const cx = rng.next() * width;
    const cy = rng.next() * height;
    const r = scale * (0.05 + rng.next() * 0.25);
    const disc = rng.next() < 0.5;
    const period = 4 + rng.next() * 20;
    const x0 = Math.max(0, Math.floor(cx - r));
    const x1 = Math.min(width, Math.ceil(cx + r));
    const y0 = Math.max(0, Math.floor(cy - r * (disc ? 1 : 0.6)));
    const y1 = Math.min(height, Math.ceil(cy + r * (disc ? 1 : 0.6)));
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        if (disc && (x - cx) ** 2 + (y - cy) ** 2 > r * r) continue;
        const texture = 18 * Math.sin((x + y) / period);
        const p = (y * width + x) * 3;
        for (let c = 0; c < 3; c++) data[p + c] = Math.max(0, Math.min(255, colour[c] + texture));
      }
    }
  }
  for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, data[i] + (rng.next() - 0.5) * 24));
  return { data, width, height, channels: 3 };
}

/** The synthetic image encoded as JPEG (quality 85 unless given). */
export async function syntheticJpeg(width: number, height: number, seed: number, quality = 85): Promise<Buffer> {
  const image = syntheticPixels(width, height, seed);
  return sharp(image.data, { raw: { width, height, channels: 3 } }).jpeg({ quality }).toBuffer();
}

/** The synthetic image encoded as PNG (lossless). */
export async function syntheticPng(width: number, height: number, seed: number): Promise<Buffer> {
  const image = syntheticPixels(width, height, seed);
  return sharp(image.data, { raw: { width, height, channels: 3 } }).png().toBuffer();
}
