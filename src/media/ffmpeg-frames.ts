import { spawn } from 'node:child_process';
import { InvalidError, UnavailableError } from '../core/errors.js';
import type { FfmpegBinary } from './ffmpeg-binary.js';

export interface FrameStreamOptions {
  /** Frames per second to sample (the `fps` filter), or `all` for every decoded frame (vPDQ's seconds_per_hash=0). */
  readonly fps: number | 'all';
  /** Output frame size in pixels (the probed display size: frames are scaled to it only if the decoder differs). */
  readonly width: number;
  readonly height: number;
  /** The source's frame rate, for timestamps in `all` mode (frame n is at n / sourceFps). */
  readonly sourceFps?: number | null;
  /** More frames than this and decoding stops with InvalidError (a header that lies, an endless stream). */
  readonly maxFrames: number;
  /**
   * Decode reference frames only (`-skip_frame noref`): about 40 % less decoding for H.264 with B-frames; a sampled
   * frame is then the last reference frame at or before its time (a frame or two early at most). Ignored in `all` mode.
   */
  readonly referenceFramesOnly?: boolean;
  /** Decoder threads (ffmpeg `-threads`); default: ffmpeg's choice. */
  readonly threads?: number;
  /** Wall-clock limit for the whole decode (default 30 minutes). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** Called once per frame with the frame's RGB24 pixels in a buffer that is reused for the next frame: copy what you keep. */
export type FrameSink = (rgb: Uint8Array, index: number, timestampMs: number) => void;

export interface FrameStreamResult {
  readonly frames: number;
  /** Decoder complaints (ffmpeg's error lines, the first few): the stream is damaged where they occurred. */
  readonly errors: readonly string[];
}

const MAX_ERROR_LINES = 8;

/**
 * Decodes a video with ffmpeg into raw RGB24 frames on its standard output, and hands each frame to `sink` from one
 * buffer allocated per video: no temporary image files, no allocation per frame. Frames are scaled, when at all,
 * only to the probed display size. Rejects with InvalidError when ffmpeg cannot decode the file or it yields more
 * frames than `maxFrames`; with UnavailableError when ffmpeg cannot run.
 */
export function streamFrames(ffmpeg: FfmpegBinary, path: string, options: FrameStreamOptions, sink: FrameSink): Promise<FrameStreamResult> {
  const { width, height, maxFrames } = options;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) throw new InvalidError(`bad frame size ${width}x${height}`);
  const all = options.fps === 'all';
  const fps = all ? 0 : (options.fps as number);
  if (!all && !(fps > 0 && fps <= 120)) throw new InvalidError(`frame sampling rate must be above 0 and at most 120 frames per second, got ${String(options.fps)}`);
  const sourceFps = options.sourceFps && options.sourceFps > 0 ? options.sourceFps : 30;
  // `round=up`: output frame n is the last input frame at or before n / fps, i.e. the frame at exactly that time (the
  // default rounding picks the last frame before n / fps + half an interval, half a second late at 1 fps).
  const filters = [...(all ? [] : [`fps=fps=${fps}:round=up`]), `scale=${width}:${height}`].join(',');
  const args = [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    ...(options.threads ? ['-threads', String(options.threads)] : []),
    ...(options.referenceFramesOnly && !all ? ['-skip_frame', 'noref'] : []),
    '-i',
    path,
    '-map',
    '0:v:0',
    '-an',
    '-sn',
    '-dn',
    ...(all ? (ffmpeg.fpsMode ? ['-fps_mode', 'passthrough'] : ['-vsync', '0']) : []),
    '-vf',
    filters,
    '-pix_fmt',
    'rgb24',
    '-f',
    'rawvideo',
    'pipe:1',
  ];
  const frameBytes = width * height * 3;
  const frame = new Uint8Array(frameBytes);

  return new Promise<FrameStreamResult>((resolve, reject) => {
    const child = spawn(ffmpeg.path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let filled = 0;
    let count = 0;
    let failure: Error | undefined;
    const errors: string[] = [];
    let stderrTail = '';
    const stop = (error: Error) => {
      failure ??= error;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => stop(new InvalidError(`video decoding took longer than ${Math.round((options.timeoutMs ?? 1_800_000) / 1000)} s`)), options.timeoutMs ?? 1_800_000);
    const onAbort = () => stop(new UnavailableError('video decoding interrupted'));
    options.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (chunk: Buffer) => {
      if (failure) return;
      let offset = 0;
      while (offset < chunk.length) {
        const take = Math.min(frameBytes - filled, chunk.length - offset);
        frame.set(chunk.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        if (filled === frameBytes) {
          filled = 0;
          if (count >= maxFrames) {
            stop(new InvalidError(`video has more than ${maxFrames} frames to hash (limit)`, { maxFrames }));
            return;
          }
          const ms = all ? Math.round((count * 1000) / sourceFps) : Math.round((count * 1000) / fps);
          try {
            sink(frame, count, ms);
          } catch (error) {
            stop(error as Error);
            return;
          }
          count++;
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      const text = stderrTail + chunk.toString('utf8');
      const lines = text.split('\n');
      stderrTail = lines.pop() ?? '';
      for (const line of lines) if (line.trim() && errors.length < MAX_ERROR_LINES) errors.push(clean(line));
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      reject(new UnavailableError(`ffmpeg could not be started: ${error.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (stderrTail.trim() && errors.length < MAX_ERROR_LINES) errors.push(clean(stderrTail));
      if (failure) return reject(failure);
      if (code !== 0) return reject(new InvalidError(`video could not be decoded${errors.length ? `: ${errors.at(-1)}` : ` (ffmpeg exit ${code})`}`));
      resolve({ frames: count, errors });
    });
  });
}

/** An ffmpeg message without the input path (scratch file names say nothing useful and must not leak). */
function clean(line: string): string {
  return line
    .replace(/\[[^\]]*@ 0x[0-9a-f]+\]\s*/g, '')
    .replace(/\/[^\s:]+/g, '<file>')
    .trim()
    .slice(0, 200);
}
