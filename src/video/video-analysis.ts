import { InvalidError } from '../core/errors.js';
import { makeThumbnails } from '../media/thumbnails.js';
import { makeContactSheet } from './contact-sheet.js';
import type { VideoFrames } from './video-frames.js';
import type { VideoHasher } from './video-hasher.js';

/** What ingest records about a video. */
export interface VideoFacts {
  readonly durationMs: number | null;
  readonly width: number;
  readonly height: number;
  readonly fps: number | null;
  readonly codec: string;
  /** ffmpeg's demuxer names (e.g. `mov,mp4,m4a,3gp,3g2,mj2`). */
  readonly container: string;
  readonly hasAudio: boolean;
  readonly rotation: number;
  readonly sampleFps: number;
  readonly framesHashed: number;
  /** Time of the last frame decoded. */
  readonly decodedMs: number;
}

export interface VideoAnalysis {
  readonly facts: VideoFacts;
  readonly frames: VideoFrames;
  /** Redacted thumbnail (blurred grey PNG) and unredacted preview of the frame nearest the middle. */
  readonly thumbnail: Buffer | null;
  readonly preview: Buffer | null;
  /** Redacted contact sheet of evenly spread frames, and each tile's time. */
  readonly contactSheet: Buffer | null;
  readonly contactSheetTimesMs: readonly number[];
}

/**
 * One pass over a video file: header facts, frames sampled and hashed (vPDQ), then the renditions from frames kept
 * on the way. A stream that stops well before its declared duration is refused as truncated or damaged.
 */
export async function analyseVideo(hasher: VideoHasher, path: string, options: { fps?: number; signal?: AbortSignal } = {}): Promise<VideoAnalysis> {
  const fps = options.fps ?? 1;
  const result = await hasher.hash(path, { fps, signal: options.signal });
  const { probe, frames, kept } = result;
  const lastMs = frames.timestampsMs[frames.count - 1] ?? 0;
  if (probe.durationMs !== null) {
    // Sampling at `fps` leaves up to one interval after the last frame; allow that plus 10 % for timestamp quirks.
    const slack = 1000 / fps + 500 + probe.durationMs * 0.1;
    if (lastMs + slack < probe.durationMs) {
      throw new InvalidError(`video is truncated or damaged: frames end at ${(lastMs / 1000).toFixed(1)} s of a declared ${(probe.durationMs / 1000).toFixed(1)} s${result.decodeErrors.length ? ` (${result.decodeErrors[0]})` : ''}`);
    }
  }
  let thumbnail: Buffer | null = null;
  let preview: Buffer | null = null;
  if (kept?.middle) {
    const t = await makeThumbnails({ data: kept.middle.data, width: kept.middle.width, height: kept.middle.height, channels: 3 }, { previewFormat: 'jpeg' });
    thumbnail = t.thumbnail;
    preview = t.preview;
  }
  const contactSheet = kept ? await makeContactSheet(kept) : null;
  return {
    facts: {
      durationMs: probe.durationMs,
      width: probe.width,
      height: probe.height,
      fps: probe.fps,
      codec: probe.codec,
      container: probe.format,
      hasAudio: probe.hasAudio,
      rotation: probe.rotation,
      sampleFps: fps,
      framesHashed: frames.count,
      decodedMs: Math.round(lastMs),
    },
    frames,
    thumbnail,
    preview,
    contactSheet,
    contactSheetTimesMs: kept?.timestampsMs ?? [],
  };
}
