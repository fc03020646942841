import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { FlatVectorIndex } from '../src/index/flat-vector-index.js';
import { hammingDistance256 } from '../src/core/hash256.js';
import { FACE_MATCH_DISTANCE } from '../src/connect/face-service.js';
import { SCENE_MIN_INLIERS, SCENE_SHORTLIST, SCENE_SHORTLIST_DISTANCE } from '../src/connect/scene-service.js';
import type { VisionPool } from '../src/connect/vision-pool.js';
import { SCENE_DESCRIPTOR_DIM } from '../src/connect/vision/scene-descriptor.js';
import { ImageDecoder } from '../src/media/decode.js';
import { PdqHasher } from '../src/signals/pdq/pdq-hasher.js';

/**
 * The evaluation of faces and scenes on benign images only.
 *
 * Scenes: benign photos from ../shared/testdata/pdq and face-api's own sample photos are the "stored" places, with
 * generated distractors (random shapes and gradients). Each place is queried with three generated views: a
 * perspective view (the corners of a quadrilateral inside the photo, moved inwards by 2-12 %, mapped to the full
 * frame), a plain crop with a 5-10 % border cut away, and a stronger perspective view, each rescaled and
 * re-compressed as JPEG. The route under test is the product's: the scene descriptor's shortlist (nearest
 * SCENE_SHORTLIST within SCENE_SHORTLIST_DISTANCE), then ORB + RANSAC confirmation at SCENE_MIN_INLIERS.
 * PDQ's distance for the same pairs shows what PDQ alone finds (<= 31).
 *
 * Faces: face-api's sample photos. Positives: a face and the same face in a generated copy of its photo (crop 5 %,
 * rescale 0.7, brightness +10 %, JPEG 70), paired by box overlap. Negatives: every pair of faces at different places
 * in the originals, assumed to be different people (if two were the same person, the precision printed is a lower
 * bound).
 */

export interface EvalRow {
  readonly what: string;
  readonly threshold: string;
  readonly positives: number;
  readonly tp: number;
  readonly fp: number;
  readonly precision: number;
  readonly recall: number;
}

const SHARED = join(process.cwd(), '..', 'shared', 'testdata', 'pdq');

export function faceSamples(): Buffer[] {
  const require = createRequire(import.meta.url);
  const demo = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');
  return [1, 2, 3, 4, 5, 6].map((i) => readFileSync(join(demo, `sample${i}.jpg`)));
}

export function scenePhotos(): Array<{ name: string; bytes: Buffer }> {
  const files = [
    'bridge-mods/aaa-orig.jpg',
    'reg-test-input/pen-and-coaster.png',
    'pytx-resources/rgb.jpeg',
    'reg-test-input/exif-rotn/exif-rotn-1.jpg',
    ...['q0003', 'q0004', 'q0122', 'q0291', 'q0746', 'q1050', 'q2821'].map((q) => `reg-test-input/labelme-subset/${q}.jpg`),
  ];
  const out: Array<{ name: string; bytes: Buffer }> = files.filter((f) => existsSync(join(SHARED, f))).map((f) => ({ name: f, bytes: readFileSync(join(SHARED, f)) }));
  faceSamples().forEach((bytes, i) => out.push({ name: `face-api sample${i + 1}.jpg`, bytes }));
  return out;
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

/** The 3x3 homography taking the four `from` points to the four `to` points (direct linear solve). */
function homography(from: number[][], to: number[][]): number[] {
  const a: number[][] = [];
  for (let i = 0; i < 4; i++) {
    const [x, y] = from[i];
    const [u, v] = to[i];
    a.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u]);
    a.push([0, 0, 0, x, y, 1, -v * x, -v * y, v]);
  }
  for (let c = 0; c < 8; c++) {
    let p = c;
    for (let r = c + 1; r < 8; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
    [a[c], a[p]] = [a[p], a[c]];
    for (let r = 0; r < 8; r++) {
      if (r === c) continue;
      const f = a[r][c] / a[c][c];
      for (let k = c; k < 9; k++) a[r][k] -= f * a[c][k];
    }
  }
  return [...Array.from({ length: 8 }, (_, i) => a[i][8] / a[i][i]), 1];
}

/** A perspective view: the quadrilateral `quad` of the source (corners TL, TR, BR, BL) mapped onto a w x h frame. */
async function perspective(bytes: Buffer, inset: (random: () => number) => number, scale: number, quality: number, random: () => number): Promise<Buffer> {
  const { data, info } = await sharp(bytes).rotate().resize(1200, 1200, { fit: 'inside', withoutEnlargement: true }).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  const { width: w, height: h } = info;
  const quad = [
    [inset(random) * w, inset(random) * h],
    [w - inset(random) * w, inset(random) * h],
    [w - inset(random) * w, h - inset(random) * h],
    [inset(random) * w, h - inset(random) * h],
  ];
  const ow = Math.round(w * scale);
  const oh = Math.round(h * scale);
  const H = homography([[0, 0], [ow, 0], [ow, oh], [0, oh]], quad);
  const out = Buffer.alloc(ow * oh * 3);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const d = H[6] * x + H[7] * y + H[8];
      const sx = Math.min(w - 1.001, Math.max(0, (H[0] * x + H[1] * y + H[2]) / d));
      const sy = Math.min(h - 1.001, Math.max(0, (H[3] * x + H[4] * y + H[5]) / d));
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      for (let c = 0; c < 3; c++) {
        const p = (yy: number, xx: number) => data[(yy * w + xx) * 3 + c];
        out[(y * ow + x) * 3 + c] = Math.round(p(y0, x0) * (1 - fx) * (1 - fy) + p(y0, x0 + 1) * fx * (1 - fy) + p(y0 + 1, x0) * (1 - fx) * fy + p(y0 + 1, x0 + 1) * fx * fy);
      }
    }
  }
  return sharp(out, { raw: { width: ow, height: oh, channels: 3 } }).jpeg({ quality }).toBuffer();
}

/** A crop with a 5-10 % border cut away on each side, rescaled and re-compressed. */
async function crop(bytes: Buffer, random: () => number): Promise<Buffer> {
  const meta = await sharp(bytes).rotate().toBuffer({ resolveWithObject: true });
  const { width: w, height: h } = meta.info;
  const cut = () => 0.05 + random() * 0.05;
  const left = Math.round(w * cut());
  const top = Math.round(h * cut());
  const right = Math.round(w * cut());
  const bottom = Math.round(h * cut());
  return sharp(meta.data).extract({ left, top, width: w - left - right, height: h - top - bottom }).resize(Math.round((w - left - right) * 0.8)).jpeg({ quality: 75 }).toBuffer();
}

/** A benign distractor: random rectangles, circles and a gradient. */
async function distractor(random: () => number): Promise<Buffer> {
  const shapes: string[] = [];
  const colour = () => `rgb(${Math.floor(random() * 256)},${Math.floor(random() * 256)},${Math.floor(random() * 256)})`;
  for (let i = 0; i < 25; i++) {
    if (random() < 0.5) shapes.push(`<rect x="${random() * 600}" y="${random() * 450}" width="${20 + random() * 200}" height="${20 + random() * 150}" fill="${colour()}" transform="rotate(${random() * 90} 320 240)"/>`);
    else shapes.push(`<circle cx="${random() * 640}" cy="${random() * 480}" r="${10 + random() * 80}" fill="${colour()}"/>`);
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480"><defs><linearGradient id="g"><stop offset="0" stop-color="${colour()}"/><stop offset="1" stop-color="${colour()}"/></linearGradient></defs><rect width="640" height="480" fill="url(#g)"/>${shapes.join('')}</svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 85 }).toBuffer();
}

async function pdq(bytes: Buffer, decoder: ImageDecoder, hasher: PdqHasher): Promise<Uint8Array> {
  return hasher.hash(await decoder.decode(bytes)).hash;
}

export async function evaluateScenes(pool: VisionPool, options: { distractors: number }): Promise<{ rows: EvalRow[]; notes: string[] }> {
  const random = seeded(11);
  const places = scenePhotos();
  const stored: Array<{ name: string; bytes: Buffer; place: number }> = places.map((p, i) => ({ name: p.name, bytes: p.bytes, place: i }));
  for (let i = 0; i < options.distractors; i++) stored.push({ name: `distractor ${i}`, bytes: await distractor(random), place: -1 });
  const index = new FlatVectorIndex(SCENE_DESCRIPTOR_DIM, { capacity: stored.length });
  for (const [i, s] of stored.entries()) index.add(i, (await pool.analyse(s.bytes, { faces: false, scene: true })).scene!);

  const kinds: Array<{ name: string; make: (b: Buffer) => Promise<Buffer> }> = [
    { name: 'perspective 2-12 %, x0.7, JPEG 70', make: (b) => perspective(b, (r) => 0.02 + r() * 0.1, 0.7, 70, random) },
    { name: 'crop 5-10 % border, x0.8, JPEG 75', make: (b) => crop(b, random) },
    { name: 'perspective 5-15 %, x0.5, JPEG 60', make: (b) => perspective(b, (r) => 0.05 + r() * 0.1, 0.5, 60, random) },
  ];
  const decoder = new ImageDecoder();
  const hasher = new PdqHasher();
  const rows: EvalRow[] = [];
  const notes: string[] = [];
  const total = { positives: 0, tp: 0, fp: 0, shortlisted: 0, pdq: 0 };
  for (const kind of kinds) {
    const k = { positives: 0, tp: 0, fp: 0, shortlisted: 0, pdq: 0 };
    for (const [place, p] of places.entries()) {
      const query = await kind.make(p.bytes);
      k.positives++;
      if (hammingDistance256(await pdq(query, decoder, hasher), await pdq(p.bytes, decoder, hasher)) <= 31) k.pdq++;
      const descriptor = (await pool.analyse(query, { faces: false, scene: true })).scene!;
      const shortlist = index.nearest(descriptor, SCENE_SHORTLIST).toArray().filter((h) => h.distance <= SCENE_SHORTLIST_DISTANCE);
      if (shortlist.some((h) => stored[h.id].place === place)) k.shortlisted++;
      for (const h of shortlist) {
        const m = await pool.match(query, stored[h.id].bytes);
        if (m.inliers < SCENE_MIN_INLIERS) continue;
        if (stored[h.id].place === place) k.tp++;
        else k.fp++;
      }
    }
    rows.push(row(`scene: ${kind.name}`, `shortlist ${SCENE_SHORTLIST} <= ${SCENE_SHORTLIST_DISTANCE}, inliers >= ${SCENE_MIN_INLIERS}`, k));
    notes.push(`${kind.name}: descriptor shortlist holds the true place for ${k.shortlisted}/${k.positives}; PDQ alone (<= 31) finds ${k.pdq}/${k.positives}`);
    for (const key of Object.keys(total) as Array<keyof typeof total>) total[key] += k[key];
  }
  rows.push(row('scene: all views', `stored ${stored.length} (${places.length} places, ${options.distractors} distractors)`, total));
  return { rows, notes };
}

function row(what: string, threshold: string, k: { positives: number; tp: number; fp: number }): EvalRow {
  return { what, threshold, positives: k.positives, tp: k.tp, fp: k.fp, precision: k.tp + k.fp === 0 ? 1 : k.tp / (k.tp + k.fp), recall: k.positives === 0 ? 0 : k.tp / k.positives };
}

export async function evaluateFaces(pool: VisionPool): Promise<{ rows: EvalRow[]; notes: string[] }> {
  const originals: Array<{ image: number; box: readonly number[]; descriptor: Float32Array }> = [];
  const positives: number[] = [];
  for (const [image, bytes] of faceSamples().entries()) {
    const a = await pool.analyse(bytes, { faces: true, scene: false });
    for (const f of a.faces ?? []) originals.push({ image, box: f.box, descriptor: f.descriptor });
    // The generated copy: 5 % border cut, x0.7, brighter, JPEG 70; its boxes mapped back into the original.
    const left = Math.round(a.width * 0.05);
    const top = Math.round(a.height * 0.05);
    const copy = await sharp(bytes).rotate().extract({ left, top, width: a.width - 2 * left, height: a.height - 2 * top }).resize(Math.round((a.width - 2 * left) * 0.7)).modulate({ brightness: 1.1 }).jpeg({ quality: 70 }).toBuffer();
    const b = await pool.analyse(copy, { faces: true, scene: false });
    const s = (a.width - 2 * left) / b.width;
    for (const f of b.faces ?? []) {
      const mapped = [f.box[0] * s + left, f.box[1] * s + top, f.box[2] * s, f.box[3] * s];
      const mine = originals.filter((o) => o.image === image);
      let best: (typeof mine)[number] | undefined;
      let bestIou = 0.3;
      for (const o of mine) {
        const v = iou(o.box, mapped);
        if (v > bestIou) {
          bestIou = v;
          best = o;
        }
      }
      if (best) positives.push(distance(best.descriptor, f.descriptor));
    }
  }
  const negatives: number[] = [];
  for (let i = 0; i < originals.length; i++) for (let j = i + 1; j < originals.length; j++) negatives.push(distance(originals[i].descriptor, originals[j].descriptor));
  const rows = [...new Set([0.4, 0.5, 0.6, 0.7, FACE_MATCH_DISTANCE])].sort((a, b) => a - b).map((t) => {
    const tp = positives.filter((d) => d <= t).length;
    const fp = negatives.filter((d) => d <= t).length;
    return row(`faces: same face, copy vs original (${negatives.length} different-face pairs)`, `distance <= ${t}${t === FACE_MATCH_DISTANCE ? ' (default)' : ''}`, { positives: positives.length, tp, fp });
  });
  return { rows, notes: [`${originals.length} faces detected in ${faceSamples().length} sample photos; ${positives.length} found again in the generated copies`] };
}

function iou(a: readonly number[], b: readonly number[]): number {
  const x = Math.max(0, Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]));
  const y = Math.max(0, Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]));
  const inter = x * y;
  return inter / (a[2] * a[3] + b[2] * b[3] - inter);
}

function distance(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

export function printTable(rows: readonly EvalRow[]): void {
  const header = ['what', 'threshold', 'positives', 'TP', 'FP', 'precision', 'recall'];
  const body = rows.map((r) => [r.what, r.threshold, String(r.positives), String(r.tp), String(r.fp), r.precision.toFixed(3), r.recall.toFixed(3)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |\n`;
  process.stdout.write(line(header));
  process.stdout.write(line(widths.map((w) => '-'.repeat(w))));
  for (const b of body) process.stdout.write(line(b));
}
