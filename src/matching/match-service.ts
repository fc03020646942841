import { formatHash256, parseHash256 } from '../core/hash256.js';
import { InvalidError } from '../core/errors.js';
import type { RequestContext } from '../auth/actor.js';
import type { AccessPolicy } from '../auth/policy.js';
import type { DigestAlgorithm } from '../index/exact-index.js';
import { Matches } from '../index/matches.js';
import { DIHEDRAL_VARIANTS } from '../signals/pdq/dihedral.js';
import type { IndexCatalog } from './index-catalog.js';
import type { EntryDescription, ItemSeries, SignalName, SignalStore } from './signal-store.js';
import { asBuffer } from '../core/bytes.js';

export const DEFAULT_PDQ_RADIUS = 31;
export const MAX_PDQ_RADIUS = 64;

/** What to match: any mix of PDQ hashes and exact digests, as hex. */
export interface MatchRequest {
  /** PDQ hashes to match each on its own (e.g. an image's plain and letterbox-trimmed hashes). */
  readonly pdq?: readonly string[];
  /** The eight dihedral PDQ variants of one image (original, rot90, …, flipMinus1): finds rotated and mirrored copies. */
  readonly pdqDihedral?: readonly string[];
  readonly md5?: string;
  readonly sha1?: string;
  readonly sha256?: string;
  /** PDQ radius, 0..64 (default 31). */
  readonly radius?: number;
}

/** One stored entry that matched. */
export interface MatchHit {
  readonly signal: SignalName;
  /** The query hash (hex) that matched. */
  readonly query: string;
  /** For PDQ: which form of the query matched (`plain`, or a dihedral variant such as `rot90`). */
  readonly queryVariant: string;
  /** The stored hash (hex). */
  readonly hash: string;
  readonly distance: number;
  readonly entryId: number;
  /** The stored entry's own variant: `plain`, or `trimmed` for the inside of a stored image's letterbox. */
  readonly entryVariant: string;
  readonly source: 'set' | 'media';
  readonly set: { readonly id: number; readonly name: string } | null;
  readonly label: string | null;
  /** For a hit on a video frame (signal vpdq): the frame's time in the stored video, ms. */
  readonly frameMs?: number | null;
  /** For a video query: the time of the query frame that matched, ms. */
  readonly queryFrameMs?: number | null;
  readonly item: MatchedItem | null;
}

/** A raw index hit before it is explained. */
export interface RawHit {
  readonly signal: SignalName;
  readonly query: string;
  readonly queryVariant: string;
  readonly entryId: number;
  readonly distance: number;
  readonly queryFrameMs?: number;
}

/** A stored media item that matched, with what investigators have established about it. */
export interface MatchedItem {
  readonly id: number;
  readonly sha256: string;
  readonly mime: string;
  readonly kind: string;
  /** Series it belongs to (id, name, identification status of the victim). */
  readonly series: readonly ItemSeries[];
  /** Settled VICS category and baseline flag, null until enough investigators agree. */
  readonly category: number | null;
  readonly baseline: boolean | null;
}

const DIGEST_LENGTH: Record<DigestAlgorithm, number> = { md5: 32, sha1: 40, sha256: 64 };

/**
 * Matches hashes against every index (PDQ by radius, MD5/SHA-1/SHA-256 exactly) and explains each hit with its set
 * or media item. Entries of disabled hash sets never match. Stored material is matchable by every certified
 * investigator whatever country supplied it; the operator's command line (a system actor with direct access to the
 * database) may match too.
 */
export class MatchService {
  private readonly scratch = new Matches(256);

  constructor(
    private readonly catalog: IndexCatalog,
    private readonly store: SignalStore,
    private readonly policy: AccessPolicy,
  ) {}

  async match(ctx: RequestContext, request: MatchRequest): Promise<MatchHit[]> {
    this.authorise(ctx);
    const radius = checkRadius(request.radius);
    const raw: Array<{ signal: SignalName; query: string; queryVariant: string; entryId: number; distance: number }> = [];

    for (const hex of request.pdq ?? []) {
      const q = parseHash256(hex);
      const m = this.catalog.pdq.radius(q, radius, this.scratch);
      for (let i = 0; i < m.count; i++) raw.push({ signal: 'pdq', query: formatHash256(q), queryVariant: 'plain', entryId: m.ids[i], distance: m.distances[i] });
    }
    if (request.pdqDihedral !== undefined) {
      if (request.pdqDihedral.length !== 8) throw new InvalidError(`pdqDihedral needs the 8 dihedral variants of one image, got ${request.pdqDihedral.length}`);
      const packed = new Uint8Array(8 * 32);
      request.pdqDihedral.forEach((hex, i) => parseHash256(hex, packed, i * 32));
      const m = this.catalog.pdq.radiusDihedral(packed, radius, this.scratch);
      for (let i = 0; i < m.count; i++) {
        const v = m.variants[i];
        raw.push({ signal: 'pdq', query: formatHash256(packed, v * 32), queryVariant: v === 0 ? 'plain' : DIHEDRAL_VARIANTS[v], entryId: m.ids[i], distance: m.distances[i] });
      }
    }
    for (const algorithm of ['md5', 'sha1', 'sha256'] as const) {
      const hex = request[algorithm];
      if (hex === undefined) continue;
      const digest = parseDigest(algorithm, hex);
      for (const id of this.catalog.exact(algorithm).lookup(digest)) raw.push({ signal: algorithm, query: hex.toLowerCase(), queryVariant: 'plain', entryId: id, distance: 0 });
    }
    return this.explain(raw);
  }

  /** PDQ only, one answer per query hash in order (batch matching from the command line). */
  async matchPdqBatch(ctx: RequestContext, hashes: readonly Uint8Array[], radius?: number): Promise<MatchHit[][]> {
    this.authorise(ctx);
    const r = checkRadius(radius);
    const raw = hashes.map((q) => {
      const m = this.catalog.pdq.radius(q, r, this.scratch);
      const query = formatHash256(q);
      return Array.from({ length: m.count }, (_, i) => ({ signal: 'pdq' as const, query, queryVariant: 'plain', entryId: m.ids[i], distance: m.distances[i] }));
    });
    const explained = await this.explain(raw.flat());
    const byQuery = new Map<string, MatchHit[]>();
    for (const hit of explained) {
      const list = byQuery.get(hit.query) ?? [];
      list.push(hit);
      byQuery.set(hit.query, list);
    }
    return hashes.map((q) => byQuery.get(formatHash256(q)) ?? []);
  }

  /** Explains raw index hits (one per query and entry, the smallest distance): set or item, series, category. */
  explainHits(raw: readonly RawHit[]): Promise<MatchHit[]> {
    return this.explain(raw);
  }

  private authorise(ctx: RequestContext): void {
    if (ctx.actor.kind === 'user') this.policy.require(ctx.actor, 'media.match', ctx.now);
  }

  private async explain(raw: readonly RawHit[]): Promise<MatchHit[]> {
    if (raw.length === 0) return [];
    // One hit per (query, entry), keeping the smallest distance.
    const best = new Map<string, (typeof raw)[number]>();
    for (const r of raw) {
      const key = `${r.query}/${r.entryId}`;
      const seen = best.get(key);
      if (!seen || r.distance < seen.distance) best.set(key, r);
    }
    const entries = await this.store.describe([...new Set([...best.values()].map((r) => r.entryId))]);
    const hits: MatchHit[] = [];
    for (const r of best.values()) {
      const e = entries.get(r.entryId);
      if (!e || !e.setEnabled) continue;
      hits.push(toHit(r, e));
    }
    hits.sort((a, b) => a.distance - b.distance || a.entryId - b.entryId);
    return hits;
  }
}

function toHit(r: RawHit, e: EntryDescription): MatchHit {
  const hex = asBuffer(e.hash).toString('hex');
  return {
    // A PDQ query that hit a video frame reports the frame's signal.
    signal: e.signal === 'vpdq' ? 'vpdq' : r.signal,
    query: r.query,
    queryVariant: r.queryVariant,
    hash: hex,
    distance: r.distance,
    entryId: e.id,
    entryVariant: e.variant,
    source: e.setId !== null ? 'set' : 'media',
    set: e.setId !== null ? { id: e.setId, name: e.setName ?? '' } : null,
    label: e.label,
    ...(e.frameMs !== null ? { frameMs: e.frameMs } : {}),
    ...(r.queryFrameMs !== undefined ? { queryFrameMs: r.queryFrameMs } : {}),
    item: e.mediaId !== null ? { id: e.mediaId, sha256: e.sha256 ?? '', mime: e.mime ?? '', kind: e.kind ?? '', series: e.series, category: e.category, baseline: e.baseline } : null,
  };
}

function checkRadius(radius: number | undefined): number {
  const r = radius ?? DEFAULT_PDQ_RADIUS;
  if (!Number.isInteger(r) || r < 0 || r > MAX_PDQ_RADIUS) throw new InvalidError(`radius must be a whole number from 0 to ${MAX_PDQ_RADIUS}, got ${String(radius)}`);
  return r;
}

export function parseDigest(algorithm: DigestAlgorithm, hex: string): Uint8Array {
  const length = DIGEST_LENGTH[algorithm];
  if (typeof hex !== 'string' || hex.length !== length || !/^[0-9a-fA-F]+$/.test(hex)) {
    throw new InvalidError(`${algorithm} must be ${length} hex digits`);
  }
  return new Uint8Array(Buffer.from(hex, 'hex'));
}
