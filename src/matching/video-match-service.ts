import type { RequestContext } from '../auth/actor.js';
import type { AccessPolicy } from '../auth/policy.js';
import { formatHash256 } from '../core/hash256.js';
import { InvalidError } from '../core/errors.js';
import { VideoFrames } from '../video/video-frames.js';
import { DEFAULT_MIN_FRAME_QUALITY, DEFAULT_VIDEO_RADIUS, DEFAULT_VIDEO_THRESHOLD, matchedShare, usableFrameIndex, VideoFrameMatcher, type VideoCandidate } from '../video/video-match.js';
import type { IndexCatalog } from './index-catalog.js';
import { isKnownHit } from './known.js';
import { MAX_PDQ_RADIUS, type MatchHit, type MatchService, type RawHit } from './match-service.js';
import type { SignalStore } from './signal-store.js';

export interface VideoMatchRequest {
  /** The query video's frame hashes (hashed from a file), or a stored video by id. */
  readonly frames?: VideoFrames;
  readonly mediaId?: number;
  /** Frame distance that counts as a match (default 31). */
  readonly radius?: number;
  /** Share of usable frames that must match, 0 < t <= 1 (default 0.8). */
  readonly threshold?: number;
  /** Frames below this PDQ quality do not count (default 50). */
  readonly minQuality?: number;
}

/** How a stored video relates to the query. */
export type VideoRelation = 'same' | 'query-in-target' | 'target-in-query';

export interface VideoMatch {
  readonly relation: VideoRelation;
  /** Share of the query's usable frames with a frame within the radius in the stored video. */
  readonly queryShare: number;
  /** Share of the stored video's usable frames with a frame within the radius in the query. */
  readonly targetShare: number;
  readonly queryMatchedFrames: number;
  readonly targetUsableFrames: number;
  readonly bestDistance: number;
  /** Where the query lines up in the stored video: stored time = query time + offsetMs. */
  readonly offsetMs: number;
  /** The aligned stretch of the stored video (ms): for a clip, where it was cut from. */
  readonly target: { readonly startMs: number; readonly endMs: number };
  readonly query: { readonly startMs: number; readonly endMs: number };
  /** The best frame pair, explained (the stored item, its series and category). */
  readonly hit: MatchHit;
}

export interface VideoMatchReport {
  readonly usableFrames: number;
  readonly videos: VideoMatch[];
  /** Query frames that match an image (or a hash-set entry): one hit per entry, with the query frame's time. */
  readonly frameHits: MatchHit[];
  /** Known material among the matches (matching/known.ts). */
  readonly known: boolean;
}

/** Most stored videos whose other direction is computed (loaded from the database) per query. */
const MAX_CANDIDATES = 64;

/**
 * Video matching (vPDQ): a video is a bag of frame hashes. Every usable query frame is looked up in the PDQ index
 * (image and frame hashes together); stored videos are scored by the share of the query's usable frames they match
 * and, loading their frames, by the share of theirs the query matches. Both at or above the threshold: the same
 * video; only the query's: the query is a clip of the stored video (its position reported); only theirs: the stored
 * video is a clip of the query. Query frames that hit an image or a hash-set entry are reported as frame hits.
 */
export class VideoMatchService {
  constructor(
    private readonly catalog: IndexCatalog,
    private readonly store: SignalStore,
    private readonly matches: MatchService,
    private readonly policy: AccessPolicy,
  ) {}

  async match(ctx: RequestContext, request: VideoMatchRequest): Promise<VideoMatchReport> {
    if (ctx.actor.kind === 'user') this.policy.require(ctx.actor, 'media.match', ctx.now);
    const radius = request.radius ?? DEFAULT_VIDEO_RADIUS;
    if (!Number.isInteger(radius) || radius < 0 || radius > MAX_PDQ_RADIUS) throw new InvalidError(`radius must be a whole number from 0 to ${MAX_PDQ_RADIUS}`);
    const threshold = request.threshold ?? DEFAULT_VIDEO_THRESHOLD;
    if (!(threshold > 0 && threshold <= 1)) throw new InvalidError('threshold must be above 0 and at most 1');
    const minQuality = request.minQuality ?? DEFAULT_MIN_FRAME_QUALITY;
    if (!Number.isInteger(minQuality) || minQuality < 0 || minQuality > 100) throw new InvalidError('minQuality must be a whole number from 0 to 100');
    const query = request.frames ?? (request.mediaId !== undefined ? await this.storedFrames(request.mediaId) : undefined);
    if (!query) throw new InvalidError('a video match needs frames or a stored video id');

    const matcher = new VideoFrameMatcher(this.catalog.pdq, this.catalog.frames);
    const found = matcher.match(query, { radius, minQuality, excludeMediaId: request.mediaId });
    const options = { radius, minQuality };

    // The query's usable frames indexed once: each candidate's frames are then looked up in it (stored videos may be long).
    const queryIndex = found.videos.length > 0 ? usableFrameIndex(query, minQuality) : undefined;
    const accepted: Array<{ c: VideoCandidate; relation: VideoRelation; targetShare: number; targetUsable: number }> = [];
    for (const c of found.videos.slice(0, MAX_CANDIDATES)) {
      const target = await this.storedFrames(c.mediaId);
      const targetShare = matchedShare(target, query, options, queryIndex);
      const relation: VideoRelation | null = c.queryShare >= threshold ? (targetShare >= threshold ? 'same' : 'query-in-target') : targetShare >= threshold ? 'target-in-query' : null;
      if (relation) accepted.push({ c, relation, targetShare, targetUsable: countUsable(target, minQuality) });
    }

    const raw: RawHit[] = [
      ...accepted.map(({ c }) => rawHit(query, c.bestQueryFrame, c.bestEntryId, c.bestDistance)),
      ...found.entries.map((e) => rawHit(query, e.queryFrame, e.entryId, e.distance)),
    ];
    const explained = await this.matches.explainHits(raw);
    const byEntry = new Map(explained.map((h) => [h.entryId, h]));
    const videos: VideoMatch[] = [];
    for (const { c, relation, targetShare, targetUsable } of accepted) {
      const hit = byEntry.get(c.bestEntryId);
      if (!hit) continue;
      videos.push({
        relation,
        queryShare: c.queryShare,
        targetShare,
        queryMatchedFrames: c.queryMatched,
        targetUsableFrames: targetUsable,
        bestDistance: c.bestDistance,
        offsetMs: Math.round(c.offsetMs),
        target: { startMs: Math.round(c.targetStartMs), endMs: Math.round(c.targetEndMs) },
        query: { startMs: Math.round(c.queryStartMs), endMs: Math.round(c.queryEndMs) },
        hit,
      });
    }
    const frameHits = found.entries.flatMap((e) => byEntry.get(e.entryId) ?? []);
    return { usableFrames: found.queryUsable, videos, frameHits, known: videos.some((v) => isKnownHit(v.hit)) || frameHits.some(isKnownHit) };
  }

  private async storedFrames(mediaId: number): Promise<VideoFrames> {
    const rows = await this.store.videoFrames(mediaId);
    const frames = new VideoFrames(Math.max(1, rows.length));
    rows.forEach((r, i) => frames.push(r.hash, r.quality, r.frameMs, i));
    return frames;
  }
}

function rawHit(query: VideoFrames, frame: number, entryId: number, distance: number): RawHit {
  return { signal: 'vpdq', query: formatHash256(query.hashes, frame * 32), queryVariant: 'frame', entryId, distance, queryFrameMs: Math.round(query.timestampsMs[frame]) };
}

function countUsable(frames: VideoFrames, minQuality: number): number {
  let n = 0;
  for (let i = 0; i < frames.count; i++) if (frames.qualities[i] >= minQuality) n++;
  return n;
}
