import sharp, { type Sharp } from 'sharp';
import { hammingDistance256 } from '../src/core/hash256.js';
import { ImageDecoder } from '../src/media/decode.js';
import { PdqHasher } from '../src/signals/pdq/pdq-hasher.js';
import { syntheticPixels } from './hash-corpus.js';

/**
 * `npm run bench -- robustness [--count N] [--width W] [--height H]`
 *
 * How well PDQ (as implemented here) survives common edits: for each of N synthetic images (default 40 at 640x480),
 * makes variants (resize, re-compress, crop, brightness, greyscale, watermark, mirror, rotate) with sharp, hashes them
 * through the same decode path as ingest, and reports per transform the share within distance 31 of the original
 * (mirror and rotate matched through the original's eight dihedral variants), the mean and the largest distance.
 * Against that, the smallest distance between two different images and how many distinct pairs would falsely match.
 */

const THRESHOLD = 31;

interface Transform {
  readonly name: string;
  /** Matched through the dihedral variants of the original rather than the plain hash. */
  readonly dihedral: boolean;
  apply(image: Sharp, width: number, height: number): Sharp;
}

function watermark(width: number, height: number): Buffer {
  const w = Math.round(width * 0.35);
  const h = Math.round(height * 0.14);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">
    <rect x="0" y="0" width="${w}" height="${h}" rx="${h / 4}" fill="white" fill-opacity="0.55"/>
    <circle cx="${h / 2}" cy="${h / 2}" r="${h / 3}" fill="black" fill-opacity="0.6"/>
    <rect x="${h}" y="${h / 3}" width="${w - h * 1.3}" height="${h / 3}" fill="black" fill-opacity="0.5"/>
  </svg>`;
  return Buffer.from(svg);
}

const TRANSFORMS: readonly Transform[] = [
  { name: 'resize to 50%', dihedral: false, apply: (s, w) => s.resize(Math.round(w / 2)) },
  { name: 'resize to 20%', dihedral: false, apply: (s, w) => s.resize(Math.round(w / 5)) },
  { name: 're-compress JPEG q30', dihedral: false, apply: (s) => s.jpeg({ quality: 30 }) },
  { name: 're-compress JPEG q10', dihedral: false, apply: (s) => s.jpeg({ quality: 10 }) },
  {
    name: 'crop 2% each side',
    dihedral: false,
    apply: (s, w, h) => s.extract({ left: Math.round(w * 0.02), top: Math.round(h * 0.02), width: Math.round(w * 0.96), height: Math.round(h * 0.96) }),
  },
  {
    name: 'crop 5% each side',
    dihedral: false,
    apply: (s, w, h) => s.extract({ left: Math.round(w * 0.05), top: Math.round(h * 0.05), width: Math.round(w * 0.9), height: Math.round(h * 0.9) }),
  },
  {
    name: 'crop 10% each side',
    dihedral: false,
    apply: (s, w, h) => s.extract({ left: Math.round(w * 0.1), top: Math.round(h * 0.1), width: Math.round(w * 0.8), height: Math.round(h * 0.8) }),
  },
  { name: 'brightness +30%', dihedral: false, apply: (s) => s.modulate({ brightness: 1.3 }) },
  { name: 'greyscale', dihedral: false, apply: (s) => s.greyscale() },
  { name: 'watermark (corner)', dihedral: false, apply: (s, w, h) => s.composite([{ input: watermark(w, h), gravity: 'southeast' }]) },
  { name: 'mirror (dihedral)', dihedral: true, apply: (s) => s.flop() },
  { name: 'rotate 90 (dihedral)', dihedral: true, apply: (s) => s.rotate(90) },
  { name: 'rotate 180 (dihedral)', dihedral: true, apply: (s) => s.rotate(180) },
];

function parse(args: string[]): { count: number; width: number; height: number } {
  const options = { count: 40, width: 640, height: 480 };
  for (let i = 0; i < args.length; i += 2) {
    const key = args[i].replace(/^--/, '') as keyof typeof options;
    const value = Number(args[i + 1]);
    if (!(key in options) || !Number.isInteger(value) || value < 2) throw new Error(`bench robustness: bad argument ${args[i]} ${args[i + 1] ?? ''}`);
    options[key] = value;
  }
  return options;
}

export async function run(args: string[]): Promise<void> {
  const { count, width, height } = parse(args);
  const decoder = new ImageDecoder();
  const hasher = new PdqHasher();
  const raw = { raw: { width, height, channels: 3 as const } };

  const originals: Uint8Array[][] = []; // eight dihedral variants per image
  const qualities: number[] = [];
  const sources: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const pixels = syntheticPixels(width, height, 5000 + i);
    // The original as a lightly compressed JPEG, as found in the wild.
    const source = await sharp(pixels.data, raw).jpeg({ quality: 90 }).toBuffer();
    sources.push(source);
    const result = hasher.hash(await decoder.decode(source), { dihedral: true });
    originals.push([...result.dihedral!]);
    qualities.push(result.quality);
  }

  const rows: string[][] = [];
  for (const transform of TRANSFORMS) {
    const distances: number[] = [];
    for (let i = 0; i < count; i++) {
      const variant = await transform.apply(sharp(sources[i]), width, height).toBuffer();
      const hash = hasher.hash(await decoder.decode(variant)).hash;
      const candidates = transform.dihedral ? originals[i] : [originals[i][0]];
      distances.push(Math.min(...candidates.map((h) => hammingDistance256(h, hash))));
    }
    const matched = distances.filter((d) => d <= THRESHOLD).length;
    const mean = distances.reduce((a, b) => a + b, 0) / distances.length;
    rows.push([transform.name, `${((100 * matched) / count).toFixed(1)}%`, mean.toFixed(1), String(Math.max(...distances))]);
  }

  let smallest = Infinity;
  let falsePairs = 0;
  let pairs = 0;
  for (let i = 0; i < count; i++) {
    for (let j = i + 1; j < count; j++) {
      const d = Math.min(...originals[j].map((h) => hammingDistance256(originals[i][0], h)));
      smallest = Math.min(smallest, d);
      pairs++;
      if (d <= THRESHOLD) falsePairs++;
    }
  }

  process.stdout.write(`${count} synthetic images ${width}x${height} (JPEG q90), quality min ${Math.min(...qualities)}; match = distance <= ${THRESHOLD}\n\n`);
  const header = ['transform', 'matched', 'mean distance', 'max distance'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  process.stdout.write(`${line(header)}\n`);
  for (const row of rows) process.stdout.write(`${line(row)}\n`);
  process.stdout.write(
    `\ndistinct images: smallest distance ${smallest} (any of the 8 variants), ${falsePairs} of ${pairs} pairs within ${THRESHOLD} (false matches)\n` +
      'PDQ is not made for crops (the reference behaves the same); added borders are covered by letterbox trimming.\n',
  );
}
