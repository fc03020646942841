/**
 * The global scene descriptor that shortlists candidate images of the same place: a spatial pyramid of gradient
 * orientation histograms (a HOG/GIST-like descriptor) over the luminance.
 *
 * Why this and not a CNN embedding: no scene network's weights ship in an npm package we have (face-api's networks
 * are face models), and a bag of ORB words would need a vocabulary trained on representative images, which we
 * cannot ship from benign data of the right kind. The evaluation (`npm run bench -- connect`) measures what this
 * descriptor gives as a shortlist for the ORB + RANSAC confirmation, which is what decides a connection.
 *
 * Steps: luminance resized to 128 x 128 (aspect ignored, so a crop of a few percent only shifts cells slightly),
 * central differences, 8 unsigned orientation bins weighted by magnitude with bilinear orientation and spatial
 * voting (a feature near a cell border counts in both cells, which tolerates shifts from crops and viewpoint),
 * pyramid levels 1x1, 2x2 and 4x4 at full resolution and 4x4 at half resolution, then signed square root
 * (Hellinger) and L2 normalisation. 8 x (1 + 4 + 16 + 16) = 296 dimensions; distances lie in [0, 2].
 */

export const SCENE_MODEL = 'hog-pyramid-v1';
export const SCENE_SIDE = 128;
const BINS = 8;
const LEVELS: ReadonlyArray<{ grid: number; scale: 1 | 2 }> = [
  { grid: 1, scale: 1 },
  { grid: 2, scale: 1 },
  { grid: 4, scale: 1 },
  { grid: 4, scale: 2 },
];
export const SCENE_DESCRIPTOR_DIM = LEVELS.reduce((n, l) => n + l.grid * l.grid * BINS, 0);

/** The descriptor of a SCENE_SIDE x SCENE_SIDE luminance image (one byte per pixel). */
export function sceneDescriptor(grey: Uint8Array): Float32Array {
  if (grey.length !== SCENE_SIDE * SCENE_SIDE) throw new RangeError(`scene descriptor needs ${SCENE_SIDE}x${SCENE_SIDE} luminance`);
  const out = new Float32Array(SCENE_DESCRIPTOR_DIM);
  const full = Float32Array.from(grey);
  const half = downsample(full, SCENE_SIDE);
  let at = 0;
  for (const level of LEVELS) {
    const image = level.scale === 1 ? full : half;
    const side = SCENE_SIDE / level.scale;
    orientationHistograms(image, side, level.grid, out, at);
    // Each level normalised on its own, so coarse and fine levels weigh alike.
    normaliseRange(out, at, at + level.grid * level.grid * BINS);
    at += level.grid * level.grid * BINS;
  }
  for (let i = 0; i < out.length; i++) out[i] = Math.sqrt(out[i]);
  normaliseRange(out, 0, out.length);
  return out;
}

function downsample(src: Float32Array, side: number): Float32Array {
  const h = side / 2;
  const out = new Float32Array(h * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < h; x++) out[y * h + x] = (src[2 * y * side + 2 * x] + src[2 * y * side + 2 * x + 1] + src[(2 * y + 1) * side + 2 * x] + src[(2 * y + 1) * side + 2 * x + 1]) / 4;
  return out;
}

function orientationHistograms(image: Float32Array, side: number, grid: number, out: Float32Array, at: number): void {
  const cell = side / grid;
  for (let y = 1; y < side - 1; y++) {
    for (let x = 1; x < side - 1; x++) {
      const gx = image[y * side + x + 1] - image[y * side + x - 1];
      const gy = image[(y + 1) * side + x] - image[(y - 1) * side + x];
      const magnitude = Math.sqrt(gx * gx + gy * gy);
      if (magnitude === 0) continue;
      // Unsigned orientation in [0, pi) -> bin position; bilinear between the two nearest bins.
      let angle = Math.atan2(gy, gx);
      if (angle < 0) angle += Math.PI;
      const b = (angle / Math.PI) * BINS - 0.5;
      const b0 = Math.floor(b);
      const wb = b - b0;
      const bin0 = (b0 + BINS) % BINS;
      const bin1 = (b0 + 1) % BINS;
      // Spatial position in cell units, centred on cell centres; bilinear between the nearest cells.
      const cx = (x + 0.5) / cell - 0.5;
      const cy = (y + 0.5) / cell - 0.5;
      const x0 = Math.floor(cx);
      const y0 = Math.floor(cy);
      const wx = cx - x0;
      const wy = cy - y0;
      for (let dy = 0; dy < 2; dy++) {
        const gyCell = y0 + dy;
        if (gyCell < 0 || gyCell >= grid) continue;
        const wyy = dy === 0 ? 1 - wy : wy;
        for (let dx = 0; dx < 2; dx++) {
          const gxCell = x0 + dx;
          if (gxCell < 0 || gxCell >= grid) continue;
          const w = magnitude * wyy * (dx === 0 ? 1 - wx : wx);
          const base = at + (gyCell * grid + gxCell) * BINS;
          out[base + bin0] += w * (1 - wb);
          out[base + bin1] += w * wb;
        }
      }
    }
  }
}

function normaliseRange(v: Float32Array, from: number, to: number): void {
  let s = 0;
  for (let i = from; i < to; i++) s += v[i] * v[i];
  if (s === 0) return;
  const inv = 1 / Math.sqrt(s);
  for (let i = from; i < to; i++) v[i] *= inv;
}
