import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';

/** face-api's own benign sample photos (group photos of adults), shipped in the npm package. */
export function faceSample(n: 1 | 2 | 3 | 4 | 5 | 6): Buffer {
  const require = createRequire(import.meta.url);
  return readFileSync(join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo', `sample${n}.jpg`));
}

function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** A synthetic "room": many shapes and text-like strokes with corners for ORB to find. Deterministic per seed. */
export async function syntheticScene(seed: number, width = 800, height = 600): Promise<Buffer> {
  const random = seeded(seed);
  const colour = () => `rgb(${Math.floor(random() * 256)},${Math.floor(random() * 256)},${Math.floor(random() * 256)})`;
  const shapes: string[] = [];
  for (let i = 0; i < 120; i++) {
    const x = random() * width;
    const y = random() * height;
    if (i % 3 === 0) shapes.push(`<rect x="${x}" y="${y}" width="${8 + random() * 80}" height="${8 + random() * 60}" fill="${colour()}" transform="rotate(${random() * 60} ${x} ${y})"/>`);
    else if (i % 3 === 1) shapes.push(`<polygon points="${x},${y} ${x + random() * 60},${y + random() * 20} ${x + random() * 30},${y + 10 + random() * 50}" fill="${colour()}"/>`);
    else shapes.push(`<line x1="${x}" y1="${y}" x2="${x + random() * 90 - 45}" y2="${y + random() * 90 - 45}" stroke="${colour()}" stroke-width="${1 + random() * 4}"/>`);
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="${width}" height="${height}" fill="${colour()}"/>${shapes.join('')}</svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 90 }).toBuffer();
}

/** The image with a border of `fraction` cut from every side, rescaled by `scale`, re-compressed. */
export async function cropped(image: Buffer, fraction: number, scale: number): Promise<Buffer> {
  const { width = 0, height = 0 } = await sharp(image).metadata();
  const left = Math.round(width * fraction);
  const top = Math.round(height * fraction);
  const w = width - 2 * left;
  return sharp(image).extract({ left, top, width: w, height: height - 2 * top }).resize(Math.round(w * scale)).jpeg({ quality: 75 }).toBuffer();
}
