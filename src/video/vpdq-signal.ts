import { formatHash256, isHash256Hex, parseHash256 } from '../core/hash256.js';
import { InvalidError } from '../core/errors.js';
import type { SignalType } from '../signals/signal-type.js';
import { VideoFrames } from './video-frames.js';
import { DEFAULT_VIDEO_THRESHOLD, matchedShare } from './video-match.js';

/**
 * The `vpdq` signal type: a video as a bag of frame hashes (PDQ, quality, timestamp), Meta's vPDQ. Its text form is
 * vPDQ's own hash file, one frame per line: `frameNumber,quality,pdqHex,timestampSeconds` (what the reference writes
 * and `../shared/testdata/vpdq` holds), so hash files exchange with Meta's tools. Distance: the percentage of usable
 * frames (quality >= 50, duplicates once) without a frame within 31 in the other video, in the worse direction; the
 * default threshold 20 is vPDQ's "80 % of frames match both ways". Videos are hashed from files by VideoHasher
 * (ffmpeg, asynchronous), so `hash()` of in-memory bytes answers null.
 */
export function createVpdqSignal(): SignalType<VideoFrames> {
  return {
    name: 'vpdq',
    contentTypes: ['video'],
    kind: 'perceptual',
    defaultThreshold: Math.round((1 - DEFAULT_VIDEO_THRESHOLD) * 100),
    maxDistance: 100,
    hash: () => null,
    parse: parseVpdq,
    format: formatVpdq,
    distance: (a, b) => 100 - Math.floor(100 * Math.min(matchedShare(a, b), matchedShare(b, a)) + 1e-9),
  };
}

/** vPDQ's hash file: `frameNumber,quality,pdqHex,timestampSeconds` per line (the timestamp may be missing). */
export function parseVpdq(text: string): VideoFrames {
  const frames = new VideoFrames(64);
  const hash = new Uint8Array(32);
  let line = 0;
  for (const raw of text.split(/\r?\n/)) {
    line++;
    const row = raw.trim();
    if (row === '' || row.startsWith('#')) continue;
    const [n, q, hex, seconds] = row.split(',').map((c) => c.trim());
    const frame = Number(n);
    const quality = Number(q);
    if (!Number.isInteger(frame) || frame < 0 || !Number.isInteger(quality) || quality < 0 || quality > 100 || !isHash256Hex(hex ?? '')) {
      throw new InvalidError(`vPDQ line ${line}: expected frameNumber,quality,pdqHex[,seconds]`);
    }
    const ms = seconds === undefined || seconds === '' ? NaN : Number(seconds) * 1000;
    if (seconds !== undefined && seconds !== '' && !(ms >= 0)) throw new InvalidError(`vPDQ line ${line}: bad timestamp ${seconds}`);
    parseHash256(hex, hash);
    frames.push(hash, quality, Number.isNaN(ms) ? 0 : Math.round(ms), frame);
  }
  if (frames.count === 0) throw new InvalidError('vPDQ hash has no frame');
  return frames;
}

export function formatVpdq(frames: VideoFrames): string {
  const lines: string[] = [];
  for (let i = 0; i < frames.count; i++) {
    lines.push(`${frames.frameNumbers[i]},${frames.qualities[i]},${formatHash256(frames.hashes, i * 32)},${(frames.timestampsMs[i] / 1000).toFixed(3)}`);
  }
  return lines.join('\n');
}
