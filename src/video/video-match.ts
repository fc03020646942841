import { hammingDistance256Words, HASH256_BYTES } from '../core/hash256.js';
import { Matches } from '../index/matches.js';
import { MultiIndexHashIndex } from '../index/multi-index-hash-index.js';
import type { SignalIndex } from '../index/signal-index.js';
import type { FrameTable } from './frame-table.js';
import type { VideoFrames } from './video-frames.js';

export const DEFAULT_VIDEO_RADIUS = 31;
export const DEFAULT_MIN_FRAME_QUALITY = 50;
/** Share of usable frames that must have a match (vPDQ's default: 80 %). */
export const DEFAULT_VIDEO_THRESHOLD = 0.8;
/** Offsets within this window count as one alignment when locating a clip in a longer video. */
const ALIGN_WINDOW_MS = 1000;
/** Offset votes kept per (query frame, video): a static scene matches every frame of the other video. */
const MAX_VOTES_PER_FRAME = 32;

export interface VideoMatchOptions {
  readonly radius?: number;
  readonly minQuality?: number;
}

/** A stored video whose frames matched query frames. */
export interface VideoCandidate {
  readonly mediaId: number;
  /** Usable query frames with a frame within the radius in this video. */
  readonly queryMatched: number;
  readonly queryUsable: number;
  /** queryMatched / queryUsable. */
  readonly queryShare: number;
  readonly bestDistance: number;
  /** The best pair: its query frame (index into the query's frames) and stored entry. */
  readonly bestQueryFrame: number;
  readonly bestEntryId: number;
  /** Stored time minus query time of the dominant alignment, in ms (where the query sits in the stored video). */
  readonly offsetMs: number;
  /** The aligned stretch of the stored video the matched query frames cover, in ms. */
  readonly targetStartMs: number;
  readonly targetEndMs: number;
  /** The stretch of the query that matched, in ms. */
  readonly queryStartMs: number;
  readonly queryEndMs: number;
}

/** A query frame within the radius of a stored entry that is not a video frame (an image's PDQ, a hash-set entry). */
export interface FrameEntryHit {
  readonly entryId: number;
  readonly queryFrame: number;
  readonly distance: number;
}

export interface FrameMatchResult {
  readonly queryUsable: number;
  readonly videos: VideoCandidate[];
  readonly entries: FrameEntryHit[];
}

/**
 * The frames of a video that count for matching, as vPDQ counts them: quality >= minQuality, and each distinct hash
 * once (a still scene repeats one hash). Returns their indices in time order.
 */
export function usableFrames(frames: VideoFrames, minQuality = DEFAULT_MIN_FRAME_QUALITY): number[] {
  const words = wordsOf(frames);
  // Frames by their first 32 bits; equal hashes share a bucket and are confirmed word by word.
  const buckets = new Map<number, number[]>();
  const out: number[] = [];
  next: for (let i = 0; i < frames.count; i++) {
    if (frames.qualities[i] < minQuality) continue;
    const key = words[i * 8];
    const bucket = buckets.get(key);
    if (bucket) {
      for (const j of bucket) if (equalWords(words, i * 8, j * 8)) continue next;
      bucket.push(i);
    } else buckets.set(key, [i]);
    out.push(i);
  }
  return out;
}

/** The frames' hashes as 32-bit words (a view when aligned, else a copy): 8 words per hash. */
function wordsOf(frames: VideoFrames): Uint32Array {
  const { hashes } = frames;
  if (hashes.byteOffset % 4 === 0) return new Uint32Array(hashes.buffer, hashes.byteOffset, frames.count * 8);
  return new Uint32Array(hashes.slice(0, frames.count * HASH256_BYTES).buffer);
}

function equalWords(w: Uint32Array, a: number, b: number): boolean {
  for (let k = 0; k < 8; k++) if (w[a + k] !== w[b + k]) return false;
  return true;
}

/**
 * Share of `a`'s usable frames that have a frame within `radius` among `b`'s usable frames (vPDQ's comparison in one
 * direction). 0 when `a` has no usable frame. `bIndex` (from `usableFrameIndex(b)`) makes it one index query per
 * frame of `a` instead of a scan of `b`: use it when `a` is long (hours of video) or `b` is compared many times.
 */
export function matchedShare(a: VideoFrames, b: VideoFrames, options: VideoMatchOptions = {}, bIndex?: SignalIndex): number {
  const radius = options.radius ?? DEFAULT_VIDEO_RADIUS;
  const minQuality = options.minQuality ?? DEFAULT_MIN_FRAME_QUALITY;
  const ua = usableFrames(a, minQuality);
  if (ua.length === 0) return 0;
  let matched = 0;
  if (bIndex) {
    const scratch = new Matches(64);
    for (const i of ua) if (bIndex.radius(a.hashes, radius, scratch, i * HASH256_BYTES).count > 0) matched++;
    return matched / ua.length;
  }
  const ub = usableFrames(b, minQuality);
  const wa = wordsOf(a);
  const wb = wordsOf(b);
  for (const i of ua) {
    for (const j of ub) {
      if (hammingDistance256Words(wa, wb, i * 8, j * 8) <= radius) {
        matched++;
        break;
      }
    }
  }
  return matched / ua.length;
}

/** A multi-index over a video's usable frames (ids: frame indices), for matchedShare against it. */
export function usableFrameIndex(frames: VideoFrames, minQuality = DEFAULT_MIN_FRAME_QUALITY): MultiIndexHashIndex {
  const usable = usableFrames(frames, minQuality);
  const packed = new Uint8Array(usable.length * HASH256_BYTES);
  usable.forEach((i, k) => packed.set(frames.hash(i), k * HASH256_BYTES));
  const index = new MultiIndexHashIndex();
  index.build(Uint32Array.from(usable), packed);
  return index;
}

interface Acc {
  mediaId: number;
  lastQuery: number;
  matched: number;
  best: number;
  bestQuery: number;
  bestEntry: number;
  votesThisFrame: number;
  offsets: number[];
  voteFrames: number[];
}

/**
 * Looks up every usable query frame in the PDQ index (which holds image hashes and video frame hashes alike) and
 * groups the hits: per stored video, how many query frames it matched and where the query lines up in it; other hits
 * (images, hash-set entries) one per (entry, query frame). The FrameTable tells frame entries from the others. Exact
 * (as exact as the index) and allocation-light: one Matches buffer per matcher, one accumulator per matched video.
 */
export class VideoFrameMatcher {
  private readonly scratch = new Matches(1024);

  constructor(
    private readonly index: SignalIndex,
    private readonly frames: FrameTable,
  ) {}

  match(query: VideoFrames, options: VideoMatchOptions & { readonly excludeMediaId?: number } = {}): FrameMatchResult {
    const radius = options.radius ?? DEFAULT_VIDEO_RADIUS;
    const usable = usableFrames(query, options.minQuality ?? DEFAULT_MIN_FRAME_QUALITY);
    const byMedia = new Map<number, Acc>();
    const entries = new Map<number, FrameEntryHit>();
    for (const q of usable) {
      const m = this.index.radius(query.hashes, radius, this.scratch, q * HASH256_BYTES);
      const queryMs = query.timestampsMs[q];
      for (let k = 0; k < m.count; k++) {
        const entryId = m.ids[k];
        const distance = m.distances[k];
        const row = this.frames.find(entryId);
        if (row < 0) {
          const seen = entries.get(entryId);
          if (!seen || distance < seen.distance) entries.set(entryId, { entryId, queryFrame: q, distance });
          continue;
        }
        const mediaId = this.frames.mediaAt(row);
        if (mediaId === options.excludeMediaId) continue;
        let acc = byMedia.get(mediaId);
        if (!acc) byMedia.set(mediaId, (acc = { mediaId, lastQuery: -1, matched: 0, best: 257, bestQuery: q, bestEntry: entryId, votesThisFrame: 0, offsets: [], voteFrames: [] }));
        if (acc.lastQuery !== q) {
          acc.lastQuery = q;
          acc.matched++;
          acc.votesThisFrame = 0;
        }
        if (distance < acc.best) {
          acc.best = distance;
          acc.bestQuery = q;
          acc.bestEntry = entryId;
        }
        if (acc.votesThisFrame < MAX_VOTES_PER_FRAME) {
          acc.offsets.push(this.frames.timestampAt(row) - queryMs);
          acc.voteFrames.push(q);
          acc.votesThisFrame++;
        }
      }
    }
    const videos: VideoCandidate[] = [];
    for (const acc of byMedia.values()) videos.push(summarise(acc, usable.length, query));
    videos.sort((a, b) => b.queryMatched - a.queryMatched || a.bestDistance - b.bestDistance || a.mediaId - b.mediaId);
    return { queryUsable: usable.length, videos, entries: [...entries.values()].sort((a, b) => a.distance - b.distance || a.entryId - b.entryId) };
  }
}

/** The alignment most query frames agree on (a window of ALIGN_WINDOW_MS over the offsets), and what it covers. */
function summarise(acc: Acc, usable: number, query: VideoFrames): VideoCandidate {
  const n = acc.offsets.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => acc.offsets[a] - acc.offsets[b]);
  const count = new Map<number, number>();
  let distinct = 0;
  let bestDistinct = 0;
  let bestLo = 0;
  let bestHi = 0;
  let lo = 0;
  for (let hi = 0; hi < n; hi++) {
    const f = acc.voteFrames[order[hi]];
    const c = count.get(f) ?? 0;
    if (c === 0) distinct++;
    count.set(f, c + 1);
    while (acc.offsets[order[hi]] - acc.offsets[order[lo]] > ALIGN_WINDOW_MS) {
      const g = acc.voteFrames[order[lo]];
      const d = count.get(g)! - 1;
      count.set(g, d);
      if (d === 0) distinct--;
      lo++;
    }
    if (distinct > bestDistinct) {
      bestDistinct = distinct;
      bestLo = lo;
      bestHi = hi;
    }
  }
  const window = order.slice(bestLo, bestHi + 1);
  const offsetMs = n === 0 ? 0 : acc.offsets[window[Math.floor(window.length / 2)]];
  let qStart = Infinity;
  let qEnd = -Infinity;
  for (const i of window) {
    const ms = query.timestampsMs[acc.voteFrames[i]];
    if (ms < qStart) qStart = ms;
    if (ms > qEnd) qEnd = ms;
  }
  if (!Number.isFinite(qStart)) qStart = qEnd = query.timestampsMs[acc.bestQuery];
  return {
    mediaId: acc.mediaId,
    queryMatched: acc.matched,
    queryUsable: usable,
    queryShare: usable === 0 ? 0 : acc.matched / usable,
    bestDistance: acc.best,
    bestQueryFrame: acc.bestQuery,
    bestEntryId: acc.bestEntry,
    offsetMs,
    targetStartMs: Math.max(0, qStart + offsetMs),
    targetEndMs: Math.max(0, qEnd + offsetMs),
    queryStartMs: qStart,
    queryEndMs: qEnd,
  };
}
