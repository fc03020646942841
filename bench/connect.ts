import { availableParallelism } from 'node:os';
import sharp from 'sharp';
import { VisionPool } from '../src/connect/vision-pool.js';
import { FlatVectorIndex } from '../src/index/flat-vector-index.js';
import { IvfVectorIndex } from '../src/index/ivf-vector-index.js';
import { evaluateFaces, evaluateScenes, faceSamples, printTable, scenePhotos } from './connect-eval.js';

/**
 * `npm run bench -- connect [--vectors N] [--queries N] [--distractors N] [--no-images] [--no-eval]`
 *
 * - Faces: detection + landmarks + 128-d descriptors through the vision worker pool (decode included), on
 *   face-api's six sample photos (group photos, 1 to 5 faces each), one worker and one per core. Target 5 images/s.
 * - Scenes: the scene descriptor through the pool (decode included) on the evaluation photos. Target 10 images/s.
 *   Baseline for both: decoding the same files with sharp in this thread.
 * - "Find this person" over N (default 1,000,000) 128-d vectors: clustered like face descriptors (20 vectors per
 *   identity), exact FlatVectorIndex and approximate IvfVectorIndex (recall@10 against the exact answer). Baseline:
 *   a plain scan that computes every full distance. Target under 200 ms.
 * - The evaluation table (bench/connect-eval.ts): precision and recall at the chosen thresholds.
 */
export async function run(args: string[]): Promise<void> {
  const o = { vectors: 1_000_000, queries: 30, distractors: 40, eval: true, images: true };
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--no-eval') o.eval = false;
    else if (args[i] === '--no-images') o.images = false;
    else if (['--vectors', '--queries', '--distractors'].includes(args[i]) && Number.isInteger(Number(args[i + 1]))) (o as Record<string, number | boolean>)[args[i].slice(2)] = Number(args[++i]);
    else throw new Error(`bench connect: bad argument ${args[i]}`);
  }
  if (o.images) await imageSpeeds();
  vectorSpeeds(o.vectors, o.queries);
  if (o.eval) {
    const pool = new VisionPool({ size: 1 });
    try {
      const faces = await evaluateFaces(pool);
      const scenes = await evaluateScenes(pool, { distractors: o.distractors });
      process.stdout.write('\nevaluation (benign images only)\n');
      printTable([...faces.rows, ...scenes.rows]);
      for (const n of [...faces.notes, ...scenes.notes]) process.stdout.write(`  ${n}\n`);
    } finally {
      await pool.close();
    }
  }
}

async function imageSpeeds(): Promise<void> {
  const samples = faceSamples();
  const scenes = scenePhotos().map((p) => p.bytes);
  const rate = async (images: Buffer[], rounds: number, fn: (b: Buffer) => Promise<unknown>) => {
    const started = performance.now();
    for (let r = 0; r < rounds; r++) await Promise.all(images.map(fn));
    return (images.length * rounds * 1000) / (performance.now() - started);
  };
  const decode = await rate(samples, 2, (b) => sharp(b).rotate().resize(640, 640, { fit: 'inside' }).removeAlpha().raw().toBuffer());
  process.stdout.write(`baseline: sharp decode + resize of the face samples (this thread): ${decode.toFixed(1)} images/s\n`);
  for (const workers of [...new Set([1, availableParallelism()])]) {
    const pool = new VisionPool({ size: workers });
    try {
      let t = performance.now();
      await Promise.all(Array.from({ length: workers }, () => pool.analyse(samples[0], { faces: true, scene: true })));
      const load = performance.now() - t;
      let faces = 0;
      t = performance.now();
      const facesRate = await rate(samples, 2, async (b) => {
        const found = (await pool.analyse(b, { faces: true, scene: false })).faces!.length;
        faces += found;
      });
      const perFace = (performance.now() - t) / faces;
      const sceneRate = await rate(scenes, 2, (b) => pool.analyse(b, { faces: false, scene: true }));
      process.stdout.write(
        `${workers} vision worker(s): models loaded + first image ${load.toFixed(0)} ms; faces ${facesRate.toFixed(2)} images/s (${(faces / 2 / samples.length).toFixed(1)} faces per image, ${perFace.toFixed(0)} ms per face; target 5; ${(facesRate / decode).toFixed(3)}x baseline); ` +
          `scene descriptor ${sceneRate.toFixed(1)} images/s (target 10; ${(sceneRate / decode).toFixed(3)}x baseline)\n`,
      );
    } finally {
      await pool.close();
    }
  }
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

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
}

function vectorSpeeds(n: number, queries: number): void {
  const dim = 128;
  const random = seeded(5);
  const perIdentity = 20;
  const identities = Math.ceil(n / perIdentity);
  const centres = new Float32Array(identities * dim);
  for (let i = 0; i < centres.length; i++) centres[i] = gaussian(random) * 0.09;
  const vectors = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = (i % identities) * dim;
    for (let j = 0; j < dim; j++) vectors[i * dim + j] = centres[c + j] + gaussian(random) * 0.025;
  }
  const ids = Uint32Array.from({ length: n }, (_, i) => i + 1);
  const qs = Array.from({ length: queries }, () => {
    const at = Math.floor(random() * n) * dim;
    return Float32Array.from({ length: dim }, (_, j) => vectors[at + j] + gaussian(random) * 0.02);
  });
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)];

  // Baseline: every full distance, then the 10 smallest.
  const base: number[] = [];
  const all = new Float32Array(n);
  for (const q of qs.slice(0, 5)) {
    const t = performance.now();
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += (vectors[i * dim + j] - q[j]) ** 2;
      all[i] = s;
    }
    all.slice().sort().subarray(0, 10);
    base.push(performance.now() - t);
  }
  let t = performance.now();
  const flat = new FlatVectorIndex(dim, { capacity: n });
  flat.build(ids, vectors);
  const flatBuild = performance.now() - t;
  const flatTimes: number[] = [];
  const truth = qs.map((q) => {
    const s = performance.now();
    const r = flat.nearest(q, 10).toArray();
    flatTimes.push(performance.now() - s);
    return new Set(r.map((x) => x.id));
  });
  process.stdout.write(
    `find this person, ${n.toLocaleString('en')} x 128-d: baseline full scan ${median(base).toFixed(1)} ms; exact FlatVectorIndex (build ${(flatBuild / 1000).toFixed(1)} s, ${(flat.memoryBytes() / 2 ** 20).toFixed(0)} MiB) ` +
      `median ${median(flatTimes).toFixed(1)} ms, p95 ${p95(flatTimes).toFixed(1)} ms (${(median(base) / median(flatTimes)).toFixed(2)}x baseline; target < 200 ms)\n`,
  );
  t = performance.now();
  const ivf = new IvfVectorIndex(dim, { probes: 16 });
  ivf.build(ids, vectors);
  const ivfBuild = performance.now() - t;
  for (const probes of [8, 16, 32]) {
    ivf.probes = probes;
    const times: number[] = [];
    let found = 0;
    qs.forEach((q, i) => {
      const s = performance.now();
      const r = ivf.nearest(q, 10).toArray();
      times.push(performance.now() - s);
      found += r.filter((x) => truth[i].has(x.id)).length;
    });
    process.stdout.write(
      `  approximate IvfVectorIndex (${ivf.listCount} lists, build ${(ivfBuild / 1000).toFixed(1)} s) probes ${probes}: median ${median(times).toFixed(2)} ms, p95 ${p95(times).toFixed(2)} ms, recall@10 ${(found / (qs.length * 10)).toFixed(3)} (${(median(base) / median(times)).toFixed(1)}x baseline)\n`,
    );
  }
}
