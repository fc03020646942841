import type { FfmpegBinary } from '../media/ffmpeg-binary.js';
import { resolveIngestLimits } from '../media/limits.js';
import type { VideoFrames } from './video-frames.js';
import { VideoHasher } from './video-hasher.js';

/**
 * Hashes a video file for a match query (nothing kept but the frame hashes): ingest's sampling rate and limits, one
 * hasher per call (PdqHasher is not re-entrant and requests run concurrently).
 */
export function videoFileHasher(ffmpeg: FfmpegBinary, fps: number): (path: string) => Promise<VideoFrames> {
  const limits = resolveIngestLimits();
  return async (path) => (await new VideoHasher(ffmpeg, limits).hash(path, { fps, keepFrames: false })).frames;
}
