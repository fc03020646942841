import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnNode } from '../support/processes.js';
import { missing } from '../support/requirements.js';
import { ffmpeg, hasFfmpeg, mandelbrot } from './support.js';

/** The operator's command line with videos: ingest a folder holding a video, then match a clip of it. */
describe.skipIf(missing('Debian ffmpeg (/usr/bin/ffmpeg)', hasFfmpeg))('ariadne ingest and match --video', () => {
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ariadne-vcli-'));
    env = { ARIADNE_DATA_DIR: join(dir, 'data'), ARIADNE_LOG_LEVEL: 'error' };
    mkdirSync(join(dir, 'seizure'));
    await mandelbrot(join(dir, 'seizure', 'long.mp4'), 16, '256x192');
    await ffmpeg('-ss', '5', '-i', join(dir, 'seizure', 'long.mp4'), '-t', '5', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '32', join(dir, 'clip.mp4'));
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds where a clip was cut from, as JSON and as text; exit 1 when nothing matches', async () => {
    const ingest = spawnNode('dist/src/cli/main.js', ['ingest', join(dir, 'seizure'), '--reference', 'OP-CLI'], env);
    expect((await ingest.exited).code, ingest.output()).toBe(0);

    const json = spawnNode('dist/src/cli/main.js', ['match', '--video', join(dir, 'clip.mp4'), '--json'], env);
    expect((await json.exited).code, json.output()).toBe(0);
    const line = JSON.parse(json.output().trim()) as { framesHashed: number; videos: Array<{ relation: string; offsetMs: number; target: { startMs: number; endMs: number } }> };
    expect(line.framesHashed).toBe(5);
    expect(line.videos).toHaveLength(1);
    expect(line.videos[0].relation).toBe('query-in-target');
    expect(Math.abs(line.videos[0].target.startMs - 5000)).toBeLessThanOrEqual(1000);

    const text = spawnNode('dist/src/cli/main.js', ['match', '--video', join(dir, 'clip.mp4')], env);
    expect((await text.exited).code).toBe(0);
    expect(text.output()).toMatch(/query-in-target at [4-6]\.\d-[8-9]\.\d s/);

    await ffmpeg('-f', 'lavfi', '-i', 'life=size=256x192:rate=25:seed=3', '-t', '4', '-vf', 'format=yuv420p', '-c:v', 'libx264', '-preset', 'veryfast', join(dir, 'other.mp4'));
    const none = spawnNode('dist/src/cli/main.js', ['match', '--video', join(dir, 'other.mp4')], env);
    expect((await none.exited).code).toBe(1);
    expect(none.output()).toMatch(/no match/);
  }, 120_000);
});
