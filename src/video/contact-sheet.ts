import sharp from 'sharp';
import type { KeptFrames } from './video-hasher.js';

const COLUMNS = 4;
const GAP = 4;

/**
 * The redacted contact sheet of a video: its kept frames (evenly spread over the video) on a grid, greyscale and
 * strongly blurred like every thumbnail (media/thumbnails.ts), one grey channel, PNG. Null when no frame was kept.
 */
export async function makeContactSheet(kept: KeptFrames, options: { blurSigma?: number } = {}): Promise<Buffer | null> {
  if (kept.count === 0) return null;
  const { tileWidth: tw, tileHeight: th } = kept;
  const columns = Math.min(COLUMNS, kept.count);
  const rows = Math.ceil(kept.count / columns);
  const width = columns * tw + (columns - 1) * GAP;
  const height = rows * th + (rows - 1) * GAP;
  const grey = new Uint8Array(width * height).fill(128);
  for (let t = 0; t < kept.count; t++) {
    const ox = (t % columns) * (tw + GAP);
    const oy = Math.floor(t / columns) * (th + GAP);
    const base = t * tw * th * 3;
    for (let y = 0; y < th; y++) {
      let p = base + y * tw * 3;
      let o = (oy + y) * width + ox;
      for (let x = 0; x < tw; x++, p += 3, o++) grey[o] = Math.round(0.299 * kept.tiles[p] + 0.587 * kept.tiles[p + 1] + 0.114 * kept.tiles[p + 2]);
    }
  }
  // Blur as strong as the image thumbnails' (1/28 of a 256 px side, at least 3), relative to one tile.
  const sigma = options.blurSigma ?? Math.max(3, Math.max(tw, th) / 28);
  return sharp(grey, { raw: { width, height, channels: 1 } })
    .blur(sigma)
    .toColourspace('b-w')
    .png({ compressionLevel: 4, adaptiveFiltering: false })
    .toBuffer();
}
