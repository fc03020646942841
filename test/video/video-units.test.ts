import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseByteRange } from '../../src/api/viewing/byte-range.js';
import { LinearIndex } from '../../src/index/linear-index.js';
import { resolveFfmpeg } from '../../src/media/ffmpeg-binary.js';
import { parseProbe } from '../../src/media/ffmpeg-probe.js';
import { FrameTable } from '../../src/video/frame-table.js';
import { VideoFrames } from '../../src/video/video-frames.js';
import { VideoHasher } from '../../src/video/video-hasher.js';
import { matchedShare, usableFrameIndex, usableFrames, VideoFrameMatcher } from '../../src/video/video-match.js';
import { missing, missingShared, sharedPath } from '../support/requirements.js';
import { createSignalRegistry } from '../../src/signals/builtin.js';
import { formatVpdq, parseVpdq } from '../../src/video/vpdq-signal.js';
import { ffmpeg, hasFfmpeg, mandelbrot } from './support.js';

const REPORT = `Input #0, mov,mp4,m4a,3gp,3g2,mj2, from '/tmp/x.mp4':
  Metadata:
    major_brand     : isom
  Duration: 00:01:02.50, start: 0.000000, bitrate: 900 kb/s
  Stream #0:0[0x1](und): Video: h264 (Main) (avc1 / 0x31637661), yuv420p(progressive), 1920x1080 [SAR 1:1 DAR 16:9], 827 kb/s, 29.97 fps, 29.97 tbr, 15360 tbn (default)
    Side data:
      displaymatrix: rotation of -90.00 degrees
  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 48000 Hz, stereo, fltp, 64 kb/s (default)
At least one output file must be specified`;

function frames(hashes: number[][], step = 1000): VideoFrames {
  const f = new VideoFrames(2);
  hashes.forEach((bits, i) => {
    const h = new Uint8Array(32);
    for (const b of bits) h[b >> 3] |= 1 << (b & 7);
    f.push(h, 100, i * step, i);
  });
  return f;
}

/** A hash with `n` set bits starting at bit `from` (distinct frames are far apart). */
const run = (from: number, n = 64) => Array.from({ length: n }, (_, i) => (from + i) % 256);

describe('video units', () => {
  it('reads stream facts from ffmpeg -i (rotation swaps the displayed size)', () => {
    expect(parseProbe(REPORT)).toEqual({ format: 'mov,mp4,m4a,3gp,3g2,mj2', durationMs: 62_500, codec: 'h264', width: 1080, height: 1920, fps: 29.97, rotation: 270, hasAudio: true });
    expect(() => parseProbe(REPORT.replace(/ {2}Stream #0:0.*\n/, ''))).toThrow(/no video stream \(audio only\)/);
    expect(() => parseProbe('/tmp/x.mp4: Invalid data found when processing input')).toThrow(/not a readable video: Invalid data/);
    expect(() => parseProbe(REPORT.replace('1920x1080', '0x0'))).toThrow(/no frame size/);
  });

  it('keeps frame references sorted and idempotent', () => {
    const t = new FrameTable(2);
    for (const id of [5, 9, 2, 7, 9]) t.add(id, id * 10, id * 100);
    expect(t.size).toBe(4);
    expect(t.mediaAt(t.find(7))).toBe(70);
    expect(t.timestampAt(t.find(2))).toBe(200);
    expect(t.find(3)).toBe(-1);
    expect(t.remove(5)).toBe(true);
    expect(t.find(5)).toBe(-1);
    expect(t.mediaAt(t.find(9))).toBe(90);
  });

  it('counts usable frames as vPDQ does and scores both directions', () => {
    const a = frames([run(0), run(0), run(64), run(128)]);
    a.qualities[3] = 10;
    expect(usableFrames(a)).toEqual([0, 2]);
    const b = frames([run(64), run(1), run(192)]);
    expect(matchedShare(a, b)).toBe(1);
    expect(matchedShare(b, a)).toBeCloseTo(2 / 3);
    expect(matchedShare(frames([run(0, 10)]), frames([run(40, 10)]), { radius: 19 })).toBe(0);
    expect(matchedShare(frames([run(0, 10)]), frames([run(40, 10)]), { radius: 20 })).toBe(1);
    // Looked up in an index of b's usable frames: the same answers.
    const long = frames(Array.from({ length: 200 }, (_, i) => run((i * 7) % 256, 4 + (i % 30))));
    const short = frames(Array.from({ length: 40 }, (_, i) => run((i * 11) % 256, 10 + (i % 9))));
    short.qualities[3] = 20;
    for (const radius of [0, 8, 31]) {
      expect(matchedShare(long, short, { radius }, usableFrameIndex(short))).toBe(matchedShare(long, short, { radius }));
      expect(matchedShare(short, long, { radius }, usableFrameIndex(long))).toBe(matchedShare(short, long, { radius }));
    }
  });

  it('finds a clip inside a longer video and where it sits; other entries are frame hits', () => {
    const long = frames(Array.from({ length: 30 }, (_, i) => run(i * 8, 8)));
    // Distinct frames: 8 bits each at different places, so frame i and j are 16 apart; use radius 4.
    const index = new LinearIndex();
    const table = new FrameTable();
    for (let i = 0; i < long.count; i++) {
      index.add(1000 + i, long.hash(i));
      table.add(1000 + i, 42, long.timestampsMs[i]);
    }
    index.add(7, long.hash(20)); // an image equal to the frame at 20 s
    const clip = frames(Array.from({ length: 6 }, (_, i) => run((i + 12) * 8, 8)));
    const found = new VideoFrameMatcher(index, table).match(clip, { radius: 4, minQuality: 0 });
    expect(found.queryUsable).toBe(6);
    expect(found.videos).toHaveLength(1);
    expect(found.videos[0]).toMatchObject({ mediaId: 42, queryMatched: 6, queryShare: 1, offsetMs: 12_000, targetStartMs: 12_000, targetEndMs: 17_000 });
    const reverse = new VideoFrameMatcher(index, table).match(long, { radius: 4, minQuality: 0, excludeMediaId: 42 });
    expect(reverse.videos).toEqual([]);
    expect(reverse.entries).toEqual([{ entryId: 7, queryFrame: 20, distance: 0 }]);
  });

  it('parses byte ranges for <video>', () => {
    expect(parseByteRange(undefined, 100)).toBeUndefined();
    expect(parseByteRange('bytes=0-', 100)).toEqual({ start: 0, end: 99 });
    expect(parseByteRange('bytes=10-19', 100)).toEqual({ start: 10, end: 19 });
    expect(parseByteRange('bytes=90-500', 100)).toEqual({ start: 90, end: 99 });
    expect(parseByteRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(parseByteRange('bytes=100-', 100)).toBeNull();
    expect(parseByteRange('bytes=5-1', 100)).toBeNull();
    expect(parseByteRange('bytes=0-1,5-6', 100)).toBeUndefined();
  });
});

describe.skipIf(missing('Debian ffmpeg (/usr/bin/ffmpeg)', hasFfmpeg))('video hasher limits', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ariadne-vlimits-'));
    await mandelbrot(join(dir, 'ten.mp4'), 10, '160x120');
    // A raw H.264 stream: no container, no declared duration; only decoding tells how long it is.
    await ffmpeg('-i', join(dir, 'ten.mp4'), '-c', 'copy', '-f', 'h264', join(dir, 'raw.h264'));
  }, 60_000);
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('refuses from the header a duration or frame count over the limits, before decoding', async () => {
    const ffmpegBinary = resolveFfmpeg();
    await expect(new VideoHasher(ffmpegBinary, { maxVideoSeconds: 5 }).hash(join(dir, 'ten.mp4'))).rejects.toThrow(/declares a duration of 10 s, over the limit of 5 s/);
    await expect(new VideoHasher(ffmpegBinary, { maxVideoFrames: 50 }).hash(join(dir, 'ten.mp4'), { fps: 'all' })).rejects.toThrow(/would give 251 frames to hash, over the limit of 50/);
    await expect(new VideoHasher(ffmpegBinary, { maxPixels: 100 * 100 }).hash(join(dir, 'ten.mp4'))).rejects.toThrow(/exceed the limit/);
  });

  it('stops a stream without a declared duration at the frame limit', async () => {
    const hasher = new VideoHasher(resolveFfmpeg(), { maxVideoFrames: 40 });
    const probe = await hasher.probe(join(dir, 'raw.h264'));
    expect(probe.durationMs).toBeNull();
    await expect(hasher.hash(join(dir, 'raw.h264'), { fps: 'all' })).rejects.toThrow(/more than 40 frames/);
    const ok = await new VideoHasher(resolveFfmpeg()).hash(join(dir, 'ten.mp4'), { fps: 2 });
    expect(ok.frames.count).toBe(20);
    expect(Array.from(ok.frames.timestampsMs.subarray(0, 3))).toEqual([0, 500, 1000]);
    expect(ok.kept?.count).toBe(16);
    expect(ok.kept?.middle?.width).toBe(160);
  });
});

describe.skipIf(missingShared('testdata', 'vpdq', 'vpdq-sample-hashes'))('vpdq signal type', () => {
  const read = (name: string) => readFileSync(sharedPath('testdata', 'vpdq', 'vpdq-sample-hashes', `${name}.txt`), 'utf8');

  it('reads and writes vPDQ hash files as the reference writes them', () => {
    const text = read('doorknob-hd-no-bar').trim();
    const frames = parseVpdq(text);
    expect(frames.count).toBe(120);
    expect(frames.timestampsMs[1]).toBe(33);
    expect(formatVpdq(frames)).toBe(text);
    expect(() => parseVpdq('0,100,xyz,0.000')).toThrow(/line 1/);
    expect(() => parseVpdq('\n')).toThrow(/no frame/);
  });

  it('measures the unmatched share in the worse direction; 20 (80 % both ways) is a match', () => {
    const vpdq = createSignalRegistry().get<VideoFrames>('vpdq');
    const parse = (name: string) => vpdq.parse(read(name));
    expect(vpdq.distance(parse('chair-orig-22-sd-bar'), parse('chair-22-sd-sepia-bar'))).toBe(0);
    expect(vpdq.distance(parse('doorknob-hd-no-bar'), parse('doorknob-hd-no-bar-128x128'))).toBeLessThanOrEqual(vpdq.defaultThreshold);
    // The longer pattern video has frames the shorter one lacks, and the other way round.
    expect(vpdq.distance(parse('pattern-hd-no-bar'), parse('pattern-longer-no-bar'))).toBeGreaterThan(0);
    expect(vpdq.distance(parse('chair-orig-22-sd-bar'), parse('pattern-hd-no-bar'))).toBe(100);
  });
});
