import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextFor, systemActor } from '../../src/auth/actor.js';
import type { SubmissionReport } from '../../src/ingest/report-service.js';
import { createUser, signIn, startTestEnv, type TestEnv, type TestSession } from '../auth/support.js';
import { mediaAt, multipart, uploadSeizure, waitFor } from '../cases/support.js';
import { missing } from '../support/requirements.js';
import { ffmpeg, ffmpegOut, hasFfmpeg, mandelbrot } from './support.js';

const skip = missing('Debian ffmpeg (/usr/bin/ffmpeg)', hasFfmpeg);
const operator = contextFor(systemActor('test'));

describe.skipIf(skip)('video ingest: frame hashes, facts, contact sheet, and matches between videos and images', () => {
  let env: TestEnv;
  let session: TestSession;
  let dir: string;
  const files: Record<string, Buffer> = {};

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ariadne-video-'));
    const original = join(dir, 'original.mp4');
    await mandelbrot(original, 20);
    // The same video re-encoded at a much lower bitrate and another size.
    await ffmpeg('-i', original, '-vf', 'scale=240:180', '-c:v', 'libx264', '-preset', 'veryfast', '-b:v', '120k', join(dir, 'reencoded.mp4'));
    // A six-second clip cut from 8 s on.
    await ffmpeg('-ss', '8', '-i', original, '-t', '6', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '30', join(dir, 'clip.mp4'));
    // Another video, unrelated.
    await ffmpeg('-f', 'lavfi', '-i', 'life=size=320x240:rate=25:ratio=0.4:seed=7', '-t', '10', '-vf', 'format=yuv420p', '-c:v', 'libx264', '-preset', 'veryfast', join(dir, 'other.mp4'));
    for (const name of ['original', 'reencoded', 'clip', 'other']) files[name] = await readFile(join(dir, `${name}.mp4`));
    // A still taken from the original at 12 s, saved as JPEG.
    files.still = await sharp(await ffmpegOut('-ss', '12', '-i', original, '-frames:v', '1', '-f', 'image2pipe', '-vcodec', 'png')).jpeg({ quality: 85 }).toBuffer();

    env = await startTestEnv({ role: 'all', env: { ARIADNE_JOB_POLL_MS: '20' } });
    env.container.start();
    const ana = await createUser(env, { username: 'ana', country: 'FR', agency: 'OCRVP' });
    session = await signIn(env, ana);
  }, 180_000);

  afterAll(async () => {
    await env?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('samples and hashes a video once: facts, frame entries with timestamps, redacted thumbnail and contact sheet', async () => {
    expect(env.container.ffmpeg?.source).toBe('system');
    const id = await uploadSeizure(env, session, 'OP-V1', [{ name: 'videos/original.mp4', data: files.original }]);
    const mediaId = await mediaAt(env, id, 'videos/original.mp4');
    const facts = await env.app.inject({ method: 'GET', url: `/api/media/${mediaId}`, headers: session.headers });
    expect(facts.statusCode, facts.body).toBe(200);
    const body = facts.json() as { kind: string; width: number; height: number; hasThumbnail: boolean; video: Record<string, unknown> & { contactSheetTimesMs: number[] } };
    expect(body).toMatchObject({ kind: 'video', width: 320, height: 240, hasThumbnail: true });
    expect(body.video).toMatchObject({ durationMs: 20_000, width: 320, height: 240, fps: 25, codec: 'h264', hasAudio: false, sampleFps: 1, framesHashed: 20, hasContactSheet: true });
    expect(String(body.video.container)).toContain('mp4');
    expect(body.video.contactSheetTimesMs).toHaveLength(16);

    const entries = await env.container.signals.videoFrames(mediaId);
    expect(entries.map((e) => e.frameMs)).toEqual(Array.from({ length: 20 }, (_, i) => i * 1000));

    const sheet = await env.app.inject({ method: 'GET', url: `/api/media/${mediaId}/contact-sheet`, headers: session.headers });
    expect(sheet.statusCode).toBe(200);
    expect(sheet.headers['content-type']).toBe('image/png');
    const meta = await sharp(sheet.rawPayload).metadata();
    expect(meta.channels).toBe(1);
    expect(meta.width).toBe(4 * 240 + 3 * 4);

    // The original plays in <video muted>: byte ranges, each request audited.
    const ranged = await env.app.inject({ method: 'GET', url: `/api/media/${mediaId}/original`, headers: { ...session.headers, range: 'bytes=100-1099' } });
    expect(ranged.statusCode).toBe(206);
    expect(ranged.headers['content-range']).toBe(`bytes 100-1099/${files.original.length}`);
    expect(Buffer.compare(ranged.rawPayload, files.original.subarray(100, 1100))).toBe(0);
    const beyond = await env.app.inject({ method: 'GET', url: `/api/media/${mediaId}/original`, headers: { ...session.headers, range: `bytes=${files.original.length}-` } });
    expect(beyond.statusCode).toBe(416);
    const audit = await env.container.database.db.selectFrom('audit_log').select(['action', 'details']).where('action', '=', 'media.download').execute();
    expect(audit.some((a) => String(a.details).includes('100-1099'))).toBe(true);
  }, 120_000);

  it('matches a re-encode (same video), a clip (where it was cut from), a still (the frame\'s time) and the reverse', async () => {
    const id = await uploadSeizure(env, session, 'OP-V2', [
      { name: 'reencoded.mp4', data: files.reencoded },
      { name: 'clip.mp4', data: files.clip },
      { name: 'other.mp4', data: files.other },
      { name: 'still.jpg', data: files.still },
    ]);
    const original = await env.container.database.db.selectFrom('media_items').select('id').where('sha256', '=', (await import('node:crypto')).createHash('sha256').update(files.original).digest('hex')).executeTakeFirstOrThrow();
    const originalId = Number(original.id);
    const videos = await env.container.videoMatching();
    await (await env.container.catalog()).catchUp();

    const reencoded = await videos.match(operator, { mediaId: await mediaAt(env, id, 'reencoded.mp4') });
    const same = reencoded.videos.find((v) => v.hit.item?.id === originalId);
    expect(same).toMatchObject({ relation: 'same' });
    expect(same!.queryShare).toBeGreaterThanOrEqual(0.8);
    expect(same!.targetShare).toBeGreaterThanOrEqual(0.8);
    expect(Math.abs(same!.offsetMs)).toBeLessThanOrEqual(1000);

    const clip = await videos.match(operator, { mediaId: await mediaAt(env, id, 'clip.mp4') });
    const inside = clip.videos.find((v) => v.hit.item?.id === originalId);
    expect(inside).toMatchObject({ relation: 'query-in-target' });
    expect(inside!.targetShare).toBeLessThan(0.8);
    expect(Math.abs(inside!.offsetMs - 8000)).toBeLessThanOrEqual(1000);
    expect(Math.abs(inside!.target.startMs - 8000)).toBeLessThanOrEqual(1000);
    expect(Math.abs(inside!.target.endMs - 13000)).toBeLessThanOrEqual(1500);

    // The other direction: the stored original contains the clip, and its frames hit the still image.
    const fromOriginal = await videos.match(operator, { mediaId: originalId });
    const clipId = await mediaAt(env, id, 'clip.mp4');
    expect(fromOriginal.videos.find((v) => v.hit.item?.id === clipId)).toMatchObject({ relation: 'target-in-query' });
    const stillId = await mediaAt(env, id, 'still.jpg');
    const imageHit = fromOriginal.frameHits.find((h) => h.item?.id === stillId);
    expect(imageHit).toBeDefined();
    expect(Math.abs(imageHit!.queryFrameMs! - 12_000)).toBeLessThanOrEqual(1000);

    // The unrelated video matches nothing.
    const other = await videos.match(operator, { mediaId: await mediaAt(env, id, 'other.mp4') });
    expect(other.videos.filter((v) => v.hit.item?.id === originalId)).toEqual([]);

    // A still matches the video at its time, through the ordinary image match.
    const pdq = (await env.container.hashPool().hashBuffer(files.still)).pdq!;
    const matcher = await env.container.matching();
    const hits = await matcher.match(operator, { pdq: [pdq] });
    const frame = hits.find((h) => h.item?.id === originalId);
    expect(frame).toMatchObject({ signal: 'vpdq', entryVariant: 'frame' });
    expect(Math.abs(frame!.frameMs! - 12_000)).toBeLessThanOrEqual(1000);

    // Through the API: an uploaded clip is matched as a video (where it was cut from), a still as an image.
    const clipUpload = multipart([{ name: 'clip.mp4', data: files.clip }]);
    const asVideo = await env.app.inject({ method: 'POST', url: '/api/match', headers: { ...session.headers, 'content-type': clipUpload.contentType }, payload: clipUpload.body });
    expect(asVideo.statusCode, asVideo.body).toBe(200);
    const answer = asVideo.json() as { video: { framesHashed: number; videos: Array<{ relation: string; target: { startMs: number }; item: { id: number } }> } };
    expect(answer.video.framesHashed).toBe(6);
    const fromApi = answer.video.videos.find((v) => v.item.id === originalId);
    expect(fromApi?.relation).toBe('query-in-target');
    expect(Math.abs(fromApi!.target.startMs - 8000)).toBeLessThanOrEqual(1000);
    const stillUpload = multipart([{ name: 'still.jpg', data: files.still }]);
    const asImage = await env.app.inject({ method: 'POST', url: '/api/match', headers: { ...session.headers, 'content-type': stillUpload.contentType }, payload: stillUpload.body });
    const stillMatches = (asImage.json() as { matches: Array<{ signal: string; frameMs?: number; item: { id: number } | null }> }).matches;
    expect(stillMatches.find((m) => m.item?.id === originalId && m.signal === 'vpdq')?.frameMs).toBe(12_000);

    // The submission report lists the video hits (triage sees them).
    const report = (await env.app.inject({ method: 'GET', url: `/api/submissions/${id}/report`, headers: session.headers })).json() as SubmissionReport;
    const clipItem = report.items.find((i) => i.mediaId === clipId)!;
    expect(clipItem.hits.some((h) => h.item?.id === originalId && h.signal === 'vpdq')).toBe(true);
  }, 180_000);

  it('records bad video input as an error on the file, with nothing half-written', async () => {
    const original = join(dir, 'original.mp4');
    const faststart = join(dir, 'faststart.mp4');
    await ffmpeg('-i', original, '-c', 'copy', '-movflags', '+faststart', faststart);
    const fast = await readFile(faststart);
    const audio = join(dir, 'audio.mp4');
    await ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=440:duration=3', '-c:a', 'aac', '-f', 'mp4', audio);
    const empty = join(dir, 'empty-stream.mp4');
    await ffmpeg('-f', 'lavfi', '-i', 'color=c=gray:size=64x64:rate=25', '-frames:v', '0', '-c:v', 'libx264', empty);
    // A video stream with headers (size, codec) but not one picture: every slice removed.
    const slicesRemoved = join(dir, 'no-pictures.mp4');
    await ffmpeg('-f', 'lavfi', '-i', 'color=c=gray:size=64x64:rate=25', '-t', '1', '-c:v', 'libx264', '-bsf:v', 'filter_units=remove_types=1|5', '-f', 'mp4', slicesRemoved);
    // A header that lies: the movie header (mvhd, version 0) claims about 49 days.
    const huge = Buffer.from(fast);
    const mvhd = huge.indexOf('mvhd');
    expect(huge[mvhd + 4]).toBe(0);
    huge.writeUInt32BE(0xfffffff0, mvhd + 20);
    const ftyp = Buffer.from('000000186674797069736f6d0000020069736f6d69736f32', 'hex');
    const bad = {
      'truncated-moov-last.mp4': files.original.subarray(0, Math.floor(files.original.length / 2)),
      'truncated-faststart.mp4': fast.subarray(0, Math.floor(fast.length / 2)),
      'random.mp4': Buffer.concat([ftyp, randomBytes(50_000)]),
      'audio-only.mp4': await readFile(audio),
      'zero-frames.mp4': await readFile(empty),
      'zero-length-stream.mp4': await readFile(slicesRemoved),
      'absurd-duration.mp4': huge,
    };
    const id = await uploadSeizure(env, session, 'OP-V3', Object.entries(bad).map(([name, data]) => ({ name, data })));
    const rows = await env.container.database.db.selectFrom('submission_files').select(['path', 'status', 'error', 'media_id', 'blob_sha256']).where('submission_id', '=', id).execute();
    expect(rows).toHaveLength(7);
    for (const row of rows) {
      expect(row, row.path).toMatchObject({ status: 'error', media_id: null });
      expect(row.error, row.path).toBeTruthy();
      const item = await env.container.database.db.selectFrom('media_items').select('id').where('sha256', '=', row.blob_sha256!).executeTakeFirst();
      expect(item, row.path).toBeUndefined();
    }
    const byPath = new Map(rows.map((r) => [r.path, r.error ?? '']));
    expect(byPath.get('truncated-faststart.mp4')).toMatch(/truncated|could not be decoded/);
    expect(byPath.get('audio-only.mp4')).toMatch(/no video stream|not a supported media file/);
    expect(byPath.get('zero-frames.mp4')).toMatch(/no video stream/);
    expect(byPath.get('zero-length-stream.mp4')).toMatch(/could not be decoded|no frame/);
    expect(byPath.get('random.mp4')).toMatch(/not a readable video/);
    expect(byPath.get('absurd-duration.mp4')).toMatch(/declares a duration of \d+ s, over the limit of 86400 s/);
    const orphans = await env.container.database.db.selectFrom('video_facts as v').leftJoin('media_items as m', 'm.id', 'v.media_id').select('v.media_id').where('m.id', 'is', null).execute();
    expect(orphans).toEqual([]);
  }, 120_000);

  it('triages a clip of a video in a series as known, and records the series seen in the clip\'s country', async () => {
    const sha = (await import('node:crypto')).createHash('sha256').update(files.original).digest('hex');
    const originalId = Number((await env.container.database.db.selectFrom('media_items').select('id').where('sha256', '=', sha).executeTakeFirstOrThrow()).id);
    const series = await env.app.inject({ method: 'POST', url: '/api/series', headers: session.headers, payload: { name: 'Series Mandelbrot', description: 'synthetic', mediaIds: [originalId] } });
    expect(series.statusCode, series.body).toBe(201);
    const seriesId = (series.json() as { id: number }).id;

    await ffmpeg('-ss', '2', '-i', join(dir, 'original.mp4'), '-t', '5', '-vf', 'scale=256:192', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '28', join(dir, 'clip2.mp4'));
    const ben = await createUser(env, { username: 'ben', country: 'DE', agency: 'BKA' });
    const benSession = await signIn(env, ben);
    const id = await uploadSeizure(env, benSession, 'DE-V1', [{ name: 'clip2.mp4', data: await readFile(join(dir, 'clip2.mp4')) }]);
    const report = (await env.app.inject({ method: 'GET', url: `/api/submissions/${id}/report`, headers: benSession.headers })).json() as SubmissionReport;
    expect(report.items).toHaveLength(1);
    expect(report.items[0]).toMatchObject({ kind: 'video', status: 'known' });
    expect(report.items[0].hits.some((h) => h.series.some((s) => s.id === seriesId))).toBe(true);
    await waitFor('series sighting', async () => {
      const row = await env.container.database.db.selectFrom('series_sightings').select('country_code').where('series_id', '=', seriesId).where('submission_id', '=', id).executeTakeFirst();
      return row?.country_code === 'DE' ? true : undefined;
    });
  }, 120_000);
});
