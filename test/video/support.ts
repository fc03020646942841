import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const FFMPEG = '/usr/bin/ffmpeg';
export const hasFfmpeg = existsSync(FFMPEG);

/** Runs the system ffmpeg quietly (test data generation). */
export async function ffmpeg(...args: string[]): Promise<void> {
  await run(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args], { maxBuffer: 64 * 1024 * 1024 });
}

/** ffmpeg writing to stdout, as a Buffer. */
export async function ffmpegOut(...args: string[]): Promise<Buffer> {
  const { stdout } = await run(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-nostdin', ...args, 'pipe:1'], { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 });
  return stdout;
}

/** A synthetic video (a zooming Mandelbrot set: every second looks different), H.264 in MP4. */
export function mandelbrot(path: string, seconds: number, size = '320x240', extra: string[] = []): Promise<void> {
  return ffmpeg('-f', 'lavfi', '-i', `mandelbrot=size=${size}:rate=25`, '-t', String(seconds), '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', ...extra, path);
}
