import { createWriteStream } from 'node:fs';
import { mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { InvalidError } from '../../core/errors.js';
import { queryFromSignals } from '../../matching/file-query.js';
import { isKnownHit } from '../../matching/known.js';
import type { MatchService } from '../../matching/match-service.js';
import { MAX_PDQ_RADIUS } from '../../matching/match-service.js';
import type { FileSignals } from '../../signals/file-hasher.js';
import type { VideoMatchService } from '../../matching/video-match-service.js';
import type { VideoFrames } from '../../video/video-frames.js';
import { contextOf } from '../access.js';

const hex = (digits: number) => z.string().regex(new RegExp(`^[0-9a-fA-F]{${digits}}$`), `${digits} hex digits`);

export const matchBody = z.strictObject({
  pdq: z.union([hex(64), z.array(hex(64)).min(1).max(64)]).optional().describe('PDQ hash(es) to match'),
  pdqDihedral: z.array(hex(64)).length(8).optional().describe('the 8 dihedral variants of one image (original, rot90, rot180, rot270, flipX, flipY, flipPlus1, flipMinus1)'),
  md5: hex(32).optional(),
  sha1: hex(40).optional(),
  sha256: hex(64).optional(),
  radius: z.number().int().min(0).max(MAX_PDQ_RADIUS).optional().describe('PDQ distance threshold (default 31)'),
});

export const matchHit = z.object({
  signal: z.enum(['pdq', 'vpdq', 'md5', 'sha1', 'sha256']),
  query: z.string(),
  queryVariant: z.string(),
  hash: z.string(),
  distance: z.number().int(),
  entryId: z.number().int(),
  entryVariant: z.string(),
  source: z.enum(['set', 'media']),
  set: z.object({ id: z.number().int(), name: z.string() }).nullable(),
  label: z.string().nullable(),
  frameMs: z.number().int().nullable().optional().describe('for a video frame hit: where in the stored video the matching frame is (ms)'),
  queryFrameMs: z.number().int().nullable().optional().describe('for a video query: the time of the query frame that matched (ms)'),
  item: z
    .object({
      id: z.number().int(),
      sha256: z.string(),
      mime: z.string(),
      kind: z.string(),
      series: z.array(z.object({ id: z.number().int(), name: z.string(), identificationStatus: z.enum(['unidentified', 'identified', 'safeguarded']) })).readonly(),
      category: z.number().int().nullable(),
      baseline: z.boolean().nullable(),
    })
    .nullable(),
});

const matchResponse = z.object({
  /** Signals of the uploaded file, when a file was sent. */
  file: z
    .object({ size: z.number().int(), mime: z.string(), md5: z.string(), sha1: z.string(), sha256: z.string(), pdq: z.string().nullable(), quality: z.number().int().nullable(), trimmedPdq: z.string().nullable() })
    .nullable(),
  known: z.boolean(),
  matches: z.array(matchHit),
  /** Why a signal was not matched (an image too flat for PDQ, a file that is not an image). */
  notes: z.array(z.string()),
  /** For an uploaded video: its frames matched against stored videos (vPDQ). */
  video: z
    .object({
      framesHashed: z.number().int(),
      usableFrames: z.number().int(),
      videos: z.array(
        z.object({
          relation: z.enum(['same', 'query-in-target', 'target-in-query']),
          queryShare: z.number(),
          targetShare: z.number(),
          queryMatchedFrames: z.number().int(),
          targetUsableFrames: z.number().int(),
          bestDistance: z.number().int(),
          offsetMs: z.number().int(),
          target: z.object({ startMs: z.number().int(), endMs: z.number().int() }),
          query: z.object({ startMs: z.number().int(), endMs: z.number().int() }),
          item: matchHit.shape.item,
        }),
      ),
    })
    .optional(),
});

export interface MatchRouteDeps {
  readonly matching: () => Promise<MatchService>;
  /** Hashes an uploaded file (decode + every signal, dihedral included) off the main thread. */
  readonly hashFile: (path: string) => Promise<FileSignals>;
  readonly tmpDir: string;
  readonly maxUploadBytes: number;
  /** Video files: sampled and hashed (vPDQ), then matched as videos. Absent without ffmpeg. */
  readonly video?: {
    readonly hash: (path: string) => Promise<VideoFrames>;
    readonly matching: () => Promise<VideoMatchService>;
  };
}

/**
 * POST /api/match: JSON signals, or a multipart upload with one `file` part (hashed, matched and discarded: nothing
 * is stored). Every certified investigator may match against everything stored, whatever country supplied it.
 */
export function matchRoutes(deps: MatchRouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/api/match',
      {
        schema: {
          tags: ['matching'],
          summary: 'Match signals or a file against every stored item and hash set',
          description:
            'Send `application/json` with any of `pdq` (one hash or a list), `pdqDihedral` (8 variants), `md5`, `sha1`, `sha256` and `radius`; ' +
            'or `multipart/form-data` with one part named `file` (its plain, letterbox-trimmed and dihedral PDQ hashes and its digests are matched; the file is not stored). ' +
            'A video file is sampled (one frame per second by default) and matched as a video: `video.videos` lists stored videos that are the same, contain it (with where: `target.startMs`..`endMs`) or are contained in it, and `matches` its frames\' hits on images and lists. ' +
            'Body fields follow the JSON schema `MatchRequest` below.',
          response: { 200: matchResponse },
        },
        config: { access: 'media.match' },
      },
      async (request) => {
        const ctx = contextOf(request);
        const service = await deps.matching();
        if (request.isMultipart()) {
          const { signals, frames } = await receiveAndHash(request, deps);
          const file = { size: signals.size, mime: signals.mime, md5: signals.md5, sha1: signals.sha1, sha256: signals.sha256, pdq: signals.pdq, quality: signals.quality, trimmedPdq: signals.trimmed?.pdq ?? null };
          if (frames && deps.video) {
            const digests = await service.match(ctx, { md5: signals.md5, sha1: signals.sha1, sha256: signals.sha256 });
            const report = await (await deps.video.matching()).match(ctx, { frames });
            const matches = [...digests, ...report.videos.map((v) => v.hit), ...report.frameHits];
            return {
              file,
              notes: report.usableFrames === 0 ? ['no frame of the video is detailed enough to match (quality below 50)'] : [],
              known: matches.some(isKnownHit),
              matches,
              video: {
                framesHashed: frames.count,
                usableFrames: report.usableFrames,
                videos: report.videos.map(({ hit, ...v }) => ({ ...v, item: hit.item })),
              },
            };
          }
          const { query, notes } = queryFromSignals(signals);
          const matches = await service.match(ctx, query);
          return { file, notes, known: matches.some(isKnownHit), matches };
        }
        const parsed = matchBody.safeParse(request.body ?? {});
        if (!parsed.success) throw new InvalidError('invalid match request', { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) });
        const b = parsed.data;
        if (!b.pdq && !b.pdqDihedral && !b.md5 && !b.sha1 && !b.sha256) throw new InvalidError('send at least one signal: pdq, pdqDihedral, md5, sha1 or sha256');
        const matches = await service.match(ctx, { ...b, pdq: b.pdq === undefined ? undefined : Array.isArray(b.pdq) ? b.pdq : [b.pdq] });
        return { file: null, known: matches.some(isKnownHit), matches, notes: [] };
      },
    );
  };
}

async function receiveAndHash(request: FastifyRequest, deps: MatchRouteDeps): Promise<{ signals: FileSignals; frames: VideoFrames | null }> {
  const part = await request.file({ limits: { fileSize: deps.maxUploadBytes, files: 1, fields: 0 } });
  if (!part) throw new InvalidError('the multipart body has no file part');
  if (part.fieldname !== 'file') throw new InvalidError(`expected a part named "file", got "${part.fieldname}"`);
  await mkdir(deps.tmpDir, { recursive: true, mode: 0o700 });
  // The upload goes to a private temporary file under a generated name (never the client's file name).
  const path = join(deps.tmpDir, `match-${randomUUID()}`);
  try {
    await pipeline(part.file, createWriteStream(path, { mode: 0o600 }));
    if (part.file.truncated) throw new InvalidError(`the file is larger than the ${Math.round(deps.maxUploadBytes / 1048576)} MiB limit`);
    const signals = await deps.hashFile(path);
    const frames = deps.video && signals.mime.startsWith('video/') ? await deps.video.hash(path) : null;
    return { signals, frames };
  } finally {
    await unlink(path).catch(() => undefined);
  }
}
