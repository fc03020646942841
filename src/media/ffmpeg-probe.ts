import { spawn } from 'node:child_process';
import { InvalidError, UnavailableError } from '../core/errors.js';
import type { FfmpegBinary } from './ffmpeg-binary.js';

/** What a video's header says, read from `ffmpeg -i` (works with builds that have no ffprobe). */
export interface VideoProbe {
  /** ffmpeg's demuxer names, e.g. `mov,mp4,m4a,3gp,3g2,mj2` or `matroska,webm`. */
  readonly format: string;
  /** Declared duration in milliseconds; null when the container does not say (a raw stream). */
  readonly durationMs: number | null;
  /** The first video stream's codec (`h264`, `hevc`, `vp9`, …). */
  readonly codec: string;
  /** Frame size as displayed (after a 90° rotation flag is applied, as ffmpeg does when decoding). */
  readonly width: number;
  readonly height: number;
  /** Frames per second (average, else the stream's time base rate); null when unknown. */
  readonly fps: number | null;
  /** Rotation flag in degrees (0, 90, 180, 270). */
  readonly rotation: number;
  readonly hasAudio: boolean;
}

const PROBE_TIMEOUT_MS = 30_000;
const MAX_STDERR = 256 * 1024;

/** Runs `ffmpeg -i FILE` and parses its report. InvalidError when the file is not a video ffmpeg can read. */
export async function probeVideo(ffmpeg: FfmpegBinary, path: string): Promise<VideoProbe> {
  const text = await runForStderr(ffmpeg.path, ['-hide_banner', '-nostdin', '-i', path]);
  return parseProbe(text);
}

/** Parses the input report of `ffmpeg -i` (exported for tests). */
export function parseProbe(text: string): VideoProbe {
  const input = /^Input #0, ([^ ]+), from /m.exec(text);
  if (!input) {
    const reason = lastErrorLine(text);
    throw new InvalidError(`not a readable video${reason ? `: ${reason}` : ''}`);
  }
  const duration = /^\s*Duration: (\d+):(\d{2}):(\d{2}(?:\.\d+)?)/m.exec(text);
  const durationMs = duration ? Math.round((Number(duration[1]) * 3600 + Number(duration[2]) * 60 + Number(duration[3])) * 1000) : null;
  const streams = text.split('\n').filter((l) => /^\s*Stream #0:\d+/.test(l));
  const video = streams.find((l) => /: Video: /.test(l) && !/\(attached pic\)/.test(l));
  if (!video) throw new InvalidError(streams.some((l) => /: Audio: /.test(l)) ? 'no video stream (audio only)' : 'no video stream');
  const codec = /: Video: ([A-Za-z0-9_-]+)/.exec(video)?.[1] ?? 'unknown';
  const size = /, (\d{1,6})x(\d{1,6})(?=[\s,[]|$)/.exec(video);
  if (!size || Number(size[1]) === 0 || Number(size[2]) === 0) throw new InvalidError('video stream has no frame size (zero-length or corrupt stream)');
  const fpsMatch = /, (\d+(?:\.\d+)?)(k?) fps/.exec(video) ?? /, (\d+(?:\.\d+)?)(k?) tbr/.exec(video);
  const fps = fpsMatch ? Number(fpsMatch[1]) * (fpsMatch[2] === 'k' ? 1000 : 1) : null;
  const rotation = parseRotation(text);
  const swap = rotation === 90 || rotation === 270;
  const width = Number(size[1]);
  const height = Number(size[2]);
  return {
    format: input[1],
    durationMs,
    codec,
    width: swap ? height : width,
    height: swap ? width : height,
    fps: fps !== null && fps > 0 && Number.isFinite(fps) ? fps : null,
    rotation,
    hasAudio: streams.some((l) => /: Audio: /.test(l)),
  };
}

function parseRotation(text: string): number {
  const matrix = /displaymatrix: rotation of (-?\d+(?:\.\d+)?) degrees/.exec(text);
  const tag = /^\s*rotate\s*:\s*(-?\d+)/m.exec(text);
  const raw = matrix ? Number(matrix[1]) : tag ? Number(tag[1]) : 0;
  const r = ((Math.round(raw / 90) * 90) % 360 + 360) % 360;
  return r;
}

function lastErrorLine(text: string): string | undefined {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !/^At least one output file/.test(l));
  const line = lines.at(-1);
  // Never echo the scratch path back: keep what follows the last ': '.
  return line ? line.replace(/^.*: (?=[^:]+$)/, '').slice(0, 200) : undefined;
}

function runForStderr(binary: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => child.kill('SIGKILL'), PROBE_TIMEOUT_MS);
    child.stderr.on('data', (chunk: Buffer) => {
      if (size < MAX_STDERR) chunks.push(chunk);
      size += chunk.length;
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new UnavailableError(`ffmpeg could not be started: ${error.message}`));
    });
    child.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}
