import { InvalidError } from '../core/errors.js';
import type { FfmpegBinary } from '../media/ffmpeg-binary.js';
import { streamFrames } from '../media/ffmpeg-frames.js';
import { probeVideo, type VideoProbe } from '../media/ffmpeg-probe.js';
import { INGEST_LIMIT_DEFAULTS, type IngestLimits } from '../media/limits.js';
import { PdqHasher } from '../signals/pdq/pdq-hasher.js';
import { VideoFrames } from './video-frames.js';

export const DEFAULT_SAMPLE_FPS = 1;
/** Tiles on a contact sheet (4 x 4). */
export const CONTACT_TILES = 16;
const TILE_WIDTH = 240;

export interface VideoHashOptions {
  /** Frames per second to hash (default 1), or `all` for every decoded frame as vPDQ's reference test does. */
  readonly fps?: number | 'all';
  /** Keep small copies of evenly spread frames for a contact sheet and one full frame for the thumbnail (default true). */
  readonly keepFrames?: boolean;
  /**
   * When sampling (not every frame), decode reference frames only (default true): much less decoding, and a sampled
   * frame may be the reference frame a frame or two before its time. False decodes every frame.
   */
  readonly referenceFramesOnly?: boolean;
  readonly signal?: AbortSignal;
}

/** Small RGB copies of sampled frames, for the contact sheet. */
export interface KeptFrames {
  readonly tileWidth: number;
  readonly tileHeight: number;
  /** One tile after another, RGB24, `tileWidth * tileHeight * 3` bytes each. */
  readonly tiles: Uint8Array;
  readonly count: number;
  readonly timestampsMs: readonly number[];
  /** The frame nearest the middle of the video at full size (RGB24), for the thumbnail and preview. */
  readonly middle: { readonly data: Uint8Array; readonly width: number; readonly height: number; readonly timestampMs: number } | null;
}

export interface VideoHashResult {
  readonly probe: VideoProbe;
  readonly frames: VideoFrames;
  /** The rate frames were sampled at, or `all`. */
  readonly sampleFps: number | 'all';
  /** Frames decoded (hashed); the time of the last one tells how far the stream could be decoded. */
  readonly decodedFrames: number;
  readonly decodeErrors: readonly string[];
  readonly kept: KeptFrames | null;
}

/**
 * The vPDQ signal of a video: ffmpeg samples frames (default one per second; every frame on request), each frame is
 * hashed with the full-resolution PDQ core at the decoded size (as Meta's vPDQ does by default), and the video becomes
 * a bag of (PDQ, quality, timestamp). The header is checked against the ingest limits before a frame is decoded.
 * One PdqHasher per instance: not re-entrant, one video at a time per instance.
 */
export class VideoHasher {
  private readonly pdq = new PdqHasher();
  private readonly limits: IngestLimits;

  constructor(
    readonly ffmpeg: FfmpegBinary,
    limits: Partial<IngestLimits> = {},
  ) {
    this.limits = { ...INGEST_LIMIT_DEFAULTS, ...limits };
  }

  probe(path: string): Promise<VideoProbe> {
    return probeVideo(this.ffmpeg, path);
  }

  async hash(path: string, options: VideoHashOptions = {}): Promise<VideoHashResult> {
    const probe = await this.probe(path);
    return this.hashProbed(path, probe, options);
  }

  /** Checks a probed header against the limits: frame size, declared duration, frames that would be hashed. */
  checkLimits(probe: VideoProbe, fps: number | 'all'): number {
    const { maxPixels, maxVideoSeconds, maxVideoFrames } = this.limits;
    if (probe.width * probe.height > maxPixels) throw new InvalidError(`video frames of ${probe.width}x${probe.height} pixels exceed the limit of ${maxPixels} pixels`);
    if (probe.durationMs !== null && probe.durationMs > maxVideoSeconds * 1000) {
      throw new InvalidError(`video declares a duration of ${Math.round(probe.durationMs / 1000)} s, over the limit of ${maxVideoSeconds} s`);
    }
    const rate = fps === 'all' ? (probe.fps ?? 30) : fps;
    const expected = probe.durationMs === null ? 0 : Math.ceil((probe.durationMs / 1000) * rate) + 1;
    if (expected > maxVideoFrames) throw new InvalidError(`video would give ${expected} frames to hash, over the limit of ${maxVideoFrames}`);
    return expected;
  }

  async hashProbed(path: string, probe: VideoProbe, options: VideoHashOptions = {}): Promise<VideoHashResult> {
    const fps = options.fps ?? DEFAULT_SAMPLE_FPS;
    const expected = this.checkLimits(probe, fps);
    const frames = new VideoFrames(Math.min(Math.max(expected, 16), this.limits.maxVideoFrames));
    const { width, height } = probe;
    const rate = fps === 'all' ? (probe.fps ?? 30) : fps;
    const estimate = probe.durationMs === null ? 0 : Math.max(1, Math.floor((probe.durationMs / 1000) * rate));
    const keeper = options.keepFrames === false ? null : new FrameKeeper(width, height, estimate);
    const image = { data: new Uint8Array(0), width, height, channels: 3 as const };
    const result = await streamFrames(
      this.ffmpeg,
      path,
      { fps, width, height, sourceFps: probe.fps, maxFrames: this.limits.maxVideoFrames, referenceFramesOnly: options.referenceFramesOnly ?? true, signal: options.signal },
      (rgb, index, ms) => {
        (image as { data: Uint8Array }).data = rgb;
        const h = this.pdq.hash(image);
        frames.push(h.hash, h.quality, ms, index);
        keeper?.offer(rgb, index, ms);
      },
    );
    if (result.frames === 0) throw new InvalidError(`no frame of the video could be decoded${result.errors.length ? `: ${result.errors.at(-1)}` : ''}`);
    return { probe, frames, sampleFps: fps, decodedFrames: result.frames, decodeErrors: result.errors, kept: keeper?.result() ?? null };
  }
}

/** Keeps small copies of CONTACT_TILES evenly spread frames and one full-size frame near the middle. */
class FrameKeeper {
  private readonly tileWidth: number;
  private readonly tileHeight: number;
  private readonly tiles: Uint8Array;
  private readonly times: number[] = [];
  private readonly targets: number[];
  private middle: Uint8Array | null = null;
  private middleMs = 0;
  private readonly middleIndex: number;
  private count = 0;

  constructor(
    private readonly width: number,
    private readonly height: number,
    expected: number,
  ) {
    this.tileWidth = Math.min(TILE_WIDTH, width);
    this.tileHeight = Math.max(1, Math.round((height * this.tileWidth) / width));
    this.tiles = new Uint8Array(CONTACT_TILES * this.tileWidth * this.tileHeight * 3);
    // Without a declared duration the first frames are kept.
    const n = Math.max(expected, CONTACT_TILES);
    this.targets = Array.from({ length: CONTACT_TILES }, (_, k) => (expected > 0 ? Math.floor(((k + 0.5) * n) / CONTACT_TILES) : k));
    this.middleIndex = expected > 0 ? Math.floor(expected / 2) : 0;
  }

  offer(rgb: Uint8Array, index: number, ms: number): void {
    if (this.middle === null || index === this.middleIndex) {
      this.middle ??= new Uint8Array(rgb.length);
      this.middle.set(rgb);
      this.middleMs = ms;
    }
    // A video shorter than its header says never reaches the later targets: its sheet has fewer tiles.
    const due = this.count < CONTACT_TILES && index >= this.targets[this.count];
    if (!due) return;
    this.downscale(rgb, this.count);
    this.times.push(ms);
    this.count++;
  }

  /** Box-averages the frame into tile `slot`. */
  private downscale(rgb: Uint8Array, slot: number): void {
    const { width, height, tileWidth: tw, tileHeight: th } = this;
    const base = slot * tw * th * 3;
    for (let ty = 0; ty < th; ty++) {
      const y0 = Math.floor((ty * height) / th);
      const y1 = Math.max(y0 + 1, Math.floor(((ty + 1) * height) / th));
      for (let tx = 0; tx < tw; tx++) {
        const x0 = Math.floor((tx * width) / tw);
        const x1 = Math.max(x0 + 1, Math.floor(((tx + 1) * width) / tw));
        let r = 0;
        let g = 0;
        let b = 0;
        // Sample at most a 4 x 4 grid of the source box: enough for a blurred, greyscale tile.
        const sy = Math.max(1, (y1 - y0) >> 2);
        const sx = Math.max(1, (x1 - x0) >> 2);
        let n = 0;
        for (let y = y0; y < y1; y += sy) {
          let p = (y * width + x0) * 3;
          for (let x = x0; x < x1; x += sx, p += sx * 3) {
            r += rgb[p];
            g += rgb[p + 1];
            b += rgb[p + 2];
            n++;
          }
        }
        const o = base + (ty * tw + tx) * 3;
        this.tiles[o] = Math.round(r / n);
        this.tiles[o + 1] = Math.round(g / n);
        this.tiles[o + 2] = Math.round(b / n);
      }
    }
  }

  result(): KeptFrames {
    return {
      tileWidth: this.tileWidth,
      tileHeight: this.tileHeight,
      tiles: this.tiles.subarray(0, this.count * this.tileWidth * this.tileHeight * 3),
      count: this.count,
      timestampsMs: this.times,
      middle: this.middle ? { data: this.middle, width: this.width, height: this.height, timestampMs: this.middleMs } : null,
    };
  }
}
