import type { RequestContext } from '../auth/actor.js';
import type { AccessPolicy } from '../auth/policy.js';
import { NotFoundError } from '../core/errors.js';
import { hammingDistance256 } from '../core/hash256.js';
import type { Db } from '../db/schema.js';
import type { MediaDescription, MediaViewService } from './media-view-service.js';

/** The default PDQ match radius (DESIGN.md section 6). */
export const PDQ_THRESHOLD = 31;

export interface PairSignal {
  readonly signal: 'pdq' | 'md5' | 'sha1' | 'sha256';
  /** Which stored hash of each item was compared (`plain`, `trimmed`, or a video frame reference). */
  readonly queryVariant: string;
  readonly storedVariant: string;
  /** Hamming distance for PDQ (0..256); for a digest 0 when equal, null when not. */
  readonly distance: number | null;
  /** The distance at or below which the signal counts as a match. */
  readonly threshold: number;
  readonly matches: boolean;
  readonly queryQuality: number | null;
  readonly storedQuality: number | null;
}

export interface MatchPair {
  readonly query: MediaDescription;
  readonly stored: MediaDescription;
  /** Exact digests first (equal bytes), then the closest PDQ pair; `matches` says whether each is within threshold. */
  readonly signals: PairSignal[];
  /** The strongest signal that matches (an exact digest beats any PDQ distance), or null when none does. */
  readonly matchedBy: PairSignal | null;
}

/**
 * A match seen side by side: the facts of the submitted item and of the stored item it matched, and for every signal
 * both hold the closest pair of hashes and its distance. Reads only facts and hashes (no pixels), so like the
 * facts themselves it needs `media.match` and is not audited; looking at either picture is a separate, audited act.
 */
export class MatchPairService {
  constructor(
    private readonly db: Db,
    private readonly policy: AccessPolicy,
    private readonly viewer: MediaViewService,
  ) {}

  async compare(ctx: RequestContext, queryId: number, storedId: number): Promise<MatchPair> {
    this.policy.require(ctx.actor, 'media.match', ctx.now);
    if (queryId === storedId) throw new NotFoundError('compare an item with another item');
    const [query, stored] = await Promise.all([this.viewer.describe(ctx, queryId), this.viewer.describe(ctx, storedId)]);
    const rows = await this.db
      .selectFrom('signal_entries')
      .select(['media_id', 'signal', 'hash', 'quality', 'variant'])
      .where('media_id', 'in', [queryId, storedId])
      .where('removed_at', 'is', null)
      .execute();
    const of = (id: number, signal: PairSignal['signal']) => rows.filter((r) => Number(r.media_id) === id && r.signal === signal);
    const signals: PairSignal[] = [];
    for (const signal of ['sha256', 'md5', 'sha1'] as const) {
      const a = signal === 'sha256' ? query.sha256 : signal === 'md5' ? query.md5 : query.sha1;
      const b = signal === 'sha256' ? stored.sha256 : signal === 'md5' ? stored.md5 : stored.sha1;
      const equal = a === b;
      signals.push({ signal, queryVariant: 'plain', storedVariant: 'plain', distance: equal ? 0 : null, threshold: 0, matches: equal, queryQuality: null, storedQuality: null });
    }
    let best: PairSignal | null = null;
    for (const q of of(queryId, 'pdq')) {
      for (const s of of(storedId, 'pdq')) {
        const distance = hammingDistance256(new Uint8Array(q.hash), new Uint8Array(s.hash));
        if (best === null || distance < (best.distance ?? Infinity)) {
          best = { signal: 'pdq', queryVariant: q.variant, storedVariant: s.variant, distance, threshold: PDQ_THRESHOLD, matches: distance <= PDQ_THRESHOLD, queryQuality: q.quality, storedQuality: s.quality };
        }
      }
    }
    if (best) signals.push(best);
    return { query, stored, signals, matchedBy: signals.find((s) => s.matches) ?? null };
  }
}
