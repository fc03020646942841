import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LinearIndex } from '../src/index/linear-index.js';
import { MultiIndexHashIndex } from '../src/index/multi-index-hash-index.js';
import { resolveFfmpeg } from '../src/media/ffmpeg-binary.js';
import { streamFrames } from '../src/media/ffmpeg-frames.js';
import { FrameTable } from '../src/video/frame-table.js';
import { VideoFrames } from '../src/video/video-frames.js';
import { VideoHasher } from '../src/video/video-hasher.js';
import { matchedShare, usableFrameIndex, VideoFrameMatcher } from '../src/video/video-match.js';
import { xorshift } from './index-data.js';

/**
 * `npm run bench -- video [decode-all] [frames=1m] [queries=30]`
 *  1. Sampling + hashing: a 10-minute 1280x720 H.264 video (testsrc2, 25 fps, x264 veryfast crf 26, generated once
 *     and cached in the OS temp folder; ARIADNE_BENCH_VIDEO names another file) hashed at 1 frame/s through the
 *     ingest path (VideoHasher: ffmpeg decode, PDQ per frame, contact-sheet frames kept). Baseline in the same run:
 *     ffmpeg decoding and sampling the same frames with nothing done with them. `decode-all` also times decoding
 *     every frame (the default decodes reference frames only when sampling). Target: under 30 s.
 *  2. Matching: a 60-frame query against 1 M stored frame hashes (videos of 600 frames; consecutive frames 24 bits
 *     apart, queries 8 bits from a stored stretch) through VideoFrameMatcher on the multi-index PDQ index plus the
 *     reverse share of each candidate. Baseline: the same through a linear scan. Target: under 50 ms.
 */
export async function run(args: string[]): Promise<void> {
  const frames = parseCount(args.find((a) => a.startsWith('frames='))?.slice(7) ?? '1m');
  const queries = Number(args.find((a) => a.startsWith('queries='))?.slice(8) ?? 30);
  await sampling(args.includes('decode-all'));
  matching(frames, queries);
}

async function sampling(decodeAll: boolean): Promise<void> {
  const ffmpeg = resolveFfmpeg();
  process.stdout.write(`ffmpeg: ${ffmpeg.source} ${ffmpeg.path} (${ffmpeg.version})\n`);
  const path = process.env.ARIADNE_BENCH_VIDEO ?? benchVideo(ffmpeg.path);
  const hasher = new VideoHasher(ffmpeg);
  const probe = await hasher.probe(path);
  process.stdout.write(`video: ${probe.width}x${probe.height} ${probe.codec} ${probe.fps} fps, ${(probe.durationMs ?? 0) / 1000} s\n`);

  let t = performance.now();
  const decoded = await streamFrames(ffmpeg, path, { fps: 1, width: probe.width, height: probe.height, maxFrames: 1e6, referenceFramesOnly: true }, () => undefined);
  const decodeMs = performance.now() - t;

  t = performance.now();
  const hashed = await hasher.hash(path, { fps: 1 });
  const hashMs = performance.now() - t;
  const rows: Record<string, string>[] = [
    { step: 'decode + sample only (baseline)', frames: String(decoded.frames), seconds: (decodeMs / 1000).toFixed(1), 'vs target 30 s': (decodeMs / 30_000).toFixed(2) },
    { step: 'sample + PDQ + contact frames', frames: String(hashed.frames.count), seconds: (hashMs / 1000).toFixed(1), 'vs target 30 s': (hashMs / 30_000).toFixed(2), 'vs baseline': (hashMs / decodeMs).toFixed(2) },
  ];
  if (decodeAll) {
    t = performance.now();
    const all = await hasher.hash(path, { fps: 1, referenceFramesOnly: false });
    const allMs = performance.now() - t;
    rows.push({ step: 'same, decoding every frame', frames: String(all.frames.count), seconds: (allMs / 1000).toFixed(1), 'vs target 30 s': (allMs / 30_000).toFixed(2), 'vs baseline': (allMs / decodeMs).toFixed(2) });
  }
  console.table(rows);
}

function matching(total: number, queries: number): void {
  const perVideo = 600;
  const videos = Math.ceil(total / perVideo);
  const next = xorshift(12345);
  const packed = new Uint8Array(total * 32);
  const ids = new Uint32Array(total);
  const table = new FrameTable(total);
  let t = performance.now();
  for (let i = 0; i < total; i++) {
    const video = Math.floor(i / perVideo);
    const k = i % perVideo;
    if (k === 0) for (let b = 0; b < 32; b++) packed[i * 32 + b] = next() & 255;
    else {
      packed.copyWithin(i * 32, (i - 1) * 32, i * 32);
      flip(packed, i * 32, 24, next);
    }
    ids[i] = i + 1;
    table.add(i + 1, video + 1, k * 1000);
  }
  const mih = new MultiIndexHashIndex();
  mih.build(ids, packed);
  const linear = new LinearIndex();
  linear.build(ids, packed);
  process.stdout.write(`stored: ${total} frame hashes in ${videos} videos; built in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);

  const framesOf = (video: number): VideoFrames => {
    const f = new VideoFrames(perVideo);
    const start = video * perVideo;
    for (let k = 0; k < perVideo && start + k < total; k++) f.push(packed.subarray((start + k) * 32, (start + k + 1) * 32), 100, k * 1000, k);
    return f;
  };
  const makeQuery = (q: number): VideoFrames => {
    const video = q % videos;
    const from = (q * 37) % (perVideo - 60);
    const f = new VideoFrames(60);
    const h = new Uint8Array(32);
    for (let k = 0; k < 60; k++) {
      h.set(packed.subarray((video * perVideo + from + k) * 32, (video * perVideo + from + k + 1) * 32));
      flip(h, 0, 8, next);
      f.push(h, 100, k * 1000, k);
    }
    return f;
  };
  const once = (index: MultiIndexHashIndex | LinearIndex, query: VideoFrames): number => {
    const found = new VideoFrameMatcher(index, table).match(query);
    const queryIndex = usableFrameIndex(query);
    let accepted = 0;
    for (const c of found.videos.slice(0, 64)) {
      const reverse = matchedShare(framesOf(c.mediaId - 1), query, {}, queryIndex);
      if (c.queryShare >= 0.8 || reverse >= 0.8) accepted++;
    }
    return accepted;
  };
  const timesMih: number[] = [];
  const timesLinear: number[] = [];
  let found = 0;
  for (let q = 0; q < queries; q++) {
    const query = makeQuery(q);
    t = performance.now();
    found += once(mih, query) > 0 ? 1 : 0;
    timesMih.push(performance.now() - t);
    if (q < 5) {
      t = performance.now();
      once(linear, query);
      timesLinear.push(performance.now() - t);
    }
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  console.table([
    { method: 'multi-index + frame table', queries: String(timesMih.length), 'median ms': med(timesMih).toFixed(2), 'max ms': Math.max(...timesMih).toFixed(2), 'vs target 50 ms': (med(timesMih) / 50).toFixed(3), 'found the source video': `${found}/${queries}` },
    { method: 'linear scan (baseline)', queries: String(timesLinear.length), 'median ms': med(timesLinear).toFixed(1), 'max ms': Math.max(...timesLinear).toFixed(1), 'vs target 50 ms': (med(timesLinear) / 50).toFixed(2), speedup: `${(med(timesLinear) / med(timesMih)).toFixed(0)}x` },
  ]);
}

function flip(packed: Uint8Array, offset: number, bits: number, next: () => number): void {
  const used = new Set<number>();
  while (used.size < bits) {
    const b = next() & 255;
    if (used.has(b)) continue;
    used.add(b);
    packed[offset + (b >> 3)] ^= 1 << (b & 7);
  }
}

/** The cached benchmark video, generated on first use (a few minutes on two cores). */
function benchVideo(ffmpegPath: string): string {
  const dir = join(tmpdir(), 'ariadne-bench-video');
  const path = join(dir, 'testsrc2-1280x720-25fps-600s-veryfast-crf26.mp4');
  if (existsSync(path)) return path;
  mkdirSync(dir, { recursive: true });
  const seed = process.env.ARIADNE_BENCH_VIDEO_SEED;
  if (seed && existsSync(seed)) {
    copyFileSync(seed, path);
    return path;
  }
  process.stdout.write('generating the 10-minute 720p test video (once; cached in the temp folder)...\n');
  const partial = `${path}.partial.mp4`;
  execFileSync(ffmpegPath, ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=25:duration=600', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '26', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', partial], { stdio: 'inherit' });
  renameSync(partial, path);
  return path;
}

function parseCount(text: string): number {
  const m = /^(\d+)([km]?)$/i.exec(text);
  if (!m) return 1_000_000;
  return Number(m[1]) * (m[2].toLowerCase() === 'm' ? 1e6 : m[2].toLowerCase() === 'k' ? 1e3 : 1);
}
