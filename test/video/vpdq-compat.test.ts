import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hammingDistance256 } from '../../src/core/hash256.js';
import { resolveFfmpeg } from '../../src/media/ffmpeg-binary.js';
import { VideoHasher } from '../../src/video/video-hasher.js';
import { missing, missingShared, sharedPath } from '../support/requirements.js';
import { hasFfmpeg } from './support.js';

const skip = missing('Debian ffmpeg (/usr/bin/ffmpeg)', hasFfmpeg) ?? missingShared('testdata', 'vpdq');

/** frameNumber,quality,pdqHex,timestampSeconds per line, as the reference wrote them. */
function expected(name: string): Array<{ frame: number; quality: number; hash: Uint8Array; seconds: number }> {
  return readFileSync(sharedPath('testdata', 'vpdq', 'vpdq-sample-hashes', `${name}.txt`), 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [frame, quality, hex, seconds] = line.split(',');
      return { frame: Number(frame), quality: Number(quality), hash: new Uint8Array(Buffer.from(hex, 'hex')), seconds: Number(seconds) };
    });
}

async function compare(hasher: VideoHasher, name: string): Promise<{ checked: number; worst: number }> {
  const result = await hasher.hash(sharedPath('testdata', 'vpdq', 'sample-videos', `${name}.mp4`), { fps: 'all', keepFrames: false });
  const want = expected(name);
  // Every frame, numbered as the reference numbers them.
  expect(result.frames.count).toBe(want.length);
  let checked = 0;
  let worst = 0;
  for (const w of want) {
    expect(result.frames.frameNumbers[w.frame]).toBe(w.frame);
    expect(result.frames.timestampsMs[w.frame] / 1000).toBeCloseTo(w.seconds, 2);
    if (w.quality < 50) continue;
    const d = hammingDistance256(result.frames.hash(w.frame), w.hash);
    worst = Math.max(worst, d);
    checked++;
  }
  return { checked, worst };
}

describe.skipIf(skip)('vPDQ: every frame hashed as Meta\'s reference hashes it', () => {
  it('reproduces the published per-frame hashes (distance < 31 for quality >= 50, same frame numbers)', async () => {
    const hasher = new VideoHasher(resolveFfmpeg());
    expect(hasher.ffmpeg.source).toBe('system');
    for (const name of ['doorknob-hd-no-bar', 'test-padded-dimensions']) {
      const { checked, worst } = await compare(hasher, name);
      expect(checked, name).toBeGreaterThan(50);
      expect(worst, name).toBeLessThan(31);
    }
  }, 120_000);

  it('works the same with the @ffmpeg-installer/ffmpeg fallback (no ffprobe: facts from ffmpeg -i)', async () => {
    const ffmpeg = resolveFfmpeg({ preferInstaller: true });
    expect(ffmpeg.source).toBe('ffmpeg-installer');
    expect(ffmpeg.fpsMode).toBe(false);
    const hasher = new VideoHasher(ffmpeg);
    const probe = await hasher.probe(sharedPath('testdata', 'vpdq', 'sample-videos', 'doorknob-hd-no-bar.mp4'));
    expect(probe).toMatchObject({ codec: 'h264', width: 1280, height: 720, fps: 30, durationMs: 4330, hasAudio: true });
    const { checked, worst } = await compare(hasher, 'doorknob-hd-no-bar');
    expect(checked).toBeGreaterThan(50);
    expect(worst).toBeLessThan(31);
  }, 120_000);
});
