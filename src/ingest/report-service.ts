import type { RequestContext } from '../auth/actor.js';
import type { Db } from '../db/schema.js';
import type { IndexCatalog } from '../matching/index-catalog.js';
import { isKnownHit } from '../matching/known.js';
import type { MatchHit, MatchService } from '../matching/match-service.js';
import type { VideoMatchService } from '../matching/video-match-service.js';
import type { Submission, SubmissionService } from './submission-service.js';

export interface ReportHit {
  readonly signal: MatchHit['signal'];
  readonly distance: number;
  /** Which stored hash matched: a hash set entry or another media item. */
  readonly source: 'set' | 'media';
  readonly set: string | null;
  readonly label: string | null;
  readonly item: { readonly id: number; readonly sha256: string; readonly firstSeenAt: number | null; readonly countries: readonly string[] } | null;
  /** Series of the matched item (name and the victim's identification status). */
  readonly series: ReadonlyArray<{ readonly id: number; readonly name: string; readonly identificationStatus: VictimStatus }>;
  /** The matched item's settled VICS category and baseline flag (null until investigators agree). */
  readonly category: number | null;
  readonly baseline: boolean | null;
  /** The most advanced identification status over the matched item's series; null when it is in none. */
  readonly victimStatus: VictimStatus | null;
}

export type VictimStatus = 'unidentified' | 'identified' | 'safeguarded';
const STATUS_ORDER: readonly VictimStatus[] = ['unidentified', 'identified', 'safeguarded'];

export interface ReportItem {
  readonly mediaId: number;
  readonly sha256: string;
  readonly kind: string;
  readonly mime: string;
  /** `known`: matches material already assessed (matching/known.ts: a hash set entry, an item in a series or categorised); `new`: otherwise. */
  readonly status: 'known' | 'new';
  /** Paths under which this submission holds the item (more than one: duplicates within the submission). */
  readonly paths: readonly string[];
  /** Other submissions that held exactly these bytes before, by country. */
  readonly seenBefore: { readonly submissions: number; readonly countries: readonly string[]; readonly firstSeenAt: number | null };
  readonly hits: readonly ReportHit[];
}

export interface ReportFile {
  readonly path: string;
  readonly status: 'pending' | 'done' | 'error';
  readonly mediaId: number | null;
  readonly sha256: string | null;
  readonly mime: string | null;
  readonly error: string | null;
}

export interface SubmissionReport {
  readonly submission: Submission;
  readonly generatedAt: number;
  readonly totals: {
    readonly files: number;
    readonly pending: number;
    readonly processed: number;
    readonly errors: number;
    readonly uniqueItems: number;
    readonly known: number;
    readonly new: number;
    /** Files whose bytes another file of this submission already had. */
    readonly duplicates: number;
    /** Archives expanded into their members. */
    readonly containers: number;
  };
  /** New items first (the ones that may concern a child still at risk), then known ones. */
  readonly items: readonly ReportItem[];
  readonly files: readonly ReportFile[];
}

/**
 * The triage report of a submission, computed from what is stored now (so it follows identification work done
 * since): which items are known and which new, with their hits and where else they were seen. Available while the
 * submission is still being processed (pending counts say how far it is).
 */
export class ReportService {
  constructor(
    private readonly db: Db,
    private readonly submissions: SubmissionService,
    private readonly catalog: () => Promise<IndexCatalog>,
    private readonly matching: () => Promise<MatchService>,
    private readonly videoMatching?: () => Promise<VideoMatchService>,
  ) {}

  async report(ctx: RequestContext, submissionId: number): Promise<SubmissionReport> {
    const submission = await this.submissions.get(ctx, submissionId);
    const catalog = await this.catalog();
    await catalog.catchUp();
    const matcher = await this.matching();

    const fileRows = await this.db
      .selectFrom('submission_files as f')
      .leftJoin('media_items as m', 'm.id', 'f.media_id')
      .select(['f.id', 'f.path', 'f.status', 'f.media_id', 'f.blob_sha256', 'f.mime', 'f.error', 'm.kind', 'm.mime as media_mime', 'm.sha256 as media_sha256'])
      .where('f.submission_id', '=', submissionId)
      .orderBy('f.path')
      .execute();

    const byItem = new Map<number, { sha256: string; kind: string; mime: string; paths: string[] }>();
    let containers = 0;
    for (const f of fileRows) {
      if (f.media_id === null) {
        if (f.status === 'done' && f.error === null) containers++;
        continue;
      }
      const id = Number(f.media_id);
      const entry = byItem.get(id) ?? { sha256: f.media_sha256 ?? '', kind: f.kind ?? '', mime: f.media_mime ?? '', paths: [] };
      entry.paths.push(f.path);
      byItem.set(id, entry);
    }

    const ids = [...byItem.keys()];
    const signalsByItem = await this.itemSignals(ids);
    const sightings = await this.sightings(ids, submissionId);
    const hitItems = new Set<number>();
    const rawHits = new Map<number, MatchHit[]>();
    for (const id of ids) {
      const s = signalsByItem.get(id);
      const hits = await matcher.match(ctx, { pdq: s?.pdq, sha256: byItem.get(id)!.sha256, md5: s?.md5, sha1: s?.sha1 });
      // A video: other videos it matches (same, clip of, contains) and images or list entries its frames match.
      if (byItem.get(id)!.kind === 'video' && this.videoMatching) {
        const video = await (await this.videoMatching()).match(ctx, { mediaId: id });
        hits.push(...video.videos.map((v) => v.hit), ...video.frameHits);
      }
      const others = hits.filter((h) => h.item?.id !== id);
      for (const h of others) if (h.item) hitItems.add(h.item.id);
      rawHits.set(id, others);
    }
    const hitSightings = await this.sightings([...hitItems], null);

    const items: ReportItem[] = ids.map((id) => {
      const meta = byItem.get(id)!;
      const hits = bestPerEntry(rawHits.get(id) ?? []).map((h): ReportHit => {
        const seen = h.item ? hitSightings.get(h.item.id) : undefined;
        return {
          signal: h.signal,
          distance: h.distance,
          source: h.source,
          set: h.set?.name ?? null,
          label: h.label,
          item: h.item ? { id: h.item.id, sha256: h.item.sha256, firstSeenAt: seen?.firstSeenAt ?? null, countries: seen?.countries ?? [] } : null,
          series: h.item?.series ?? [],
          category: h.item?.category ?? null,
          baseline: h.item?.baseline ?? null,
          victimStatus: (h.item?.series ?? []).reduce<VictimStatus | null>((best, s) => (best === null || STATUS_ORDER.indexOf(s.identificationStatus) > STATUS_ORDER.indexOf(best) ? s.identificationStatus : best), null),
        };
      });
      const known = (rawHits.get(id) ?? []).some(isKnownHit);
      const seen = sightings.get(id);
      return {
        mediaId: id,
        sha256: meta.sha256,
        kind: meta.kind,
        mime: meta.mime,
        status: known ? 'known' : 'new',
        paths: meta.paths,
        seenBefore: { submissions: seen?.submissions ?? 0, countries: seen?.countries ?? [], firstSeenAt: seen?.firstSeenAt ?? null },
        hits,
      };
    });
    items.sort((a, b) => (a.status === b.status ? a.paths[0].localeCompare(b.paths[0]) : a.status === 'new' ? -1 : 1));

    const files: ReportFile[] = fileRows.map((f) => ({
      path: f.path,
      status: f.status,
      mediaId: f.media_id === null ? null : Number(f.media_id),
      sha256: f.blob_sha256,
      mime: f.mime,
      error: f.error,
    }));
    const withMedia = fileRows.filter((f) => f.media_id !== null).length;
    const known = items.filter((i) => i.status === 'known').length;
    return {
      submission,
      generatedAt: Date.now(),
      totals: {
        files: files.length,
        pending: files.filter((f) => f.status === 'pending').length,
        processed: files.filter((f) => f.status !== 'pending').length,
        errors: files.filter((f) => f.status === 'error').length,
        uniqueItems: items.length,
        known,
        new: items.length - known,
        duplicates: withMedia - items.length,
        containers,
      },
      items,
      files,
    };
  }

  /** The PDQ hashes (quality 50 or more) and digests of items, from their signal entries. */
  private async itemSignals(ids: number[]): Promise<Map<number, { pdq: string[]; md5?: string; sha1?: string }>> {
    const out = new Map<number, { pdq: string[]; md5?: string; sha1?: string }>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await this.db
        .selectFrom('signal_entries')
        .select(['media_id', 'signal', 'hash', 'quality'])
        .where('media_id', 'in', ids.slice(i, i + 500))
        .where('removed_at', 'is', null)
        .execute();
      for (const r of rows) {
        const id = Number(r.media_id);
        const entry = out.get(id) ?? { pdq: [] };
        const hex = Buffer.from(r.hash).toString('hex');
        if (r.signal === 'pdq') {
          if ((r.quality ?? 0) >= 50) entry.pdq.push(hex);
        } else if (r.signal === 'md5') entry.md5 = hex;
        else if (r.signal === 'sha1') entry.sha1 = hex;
        out.set(id, entry);
      }
    }
    return out;
  }

  /** Where items were sighted: other submissions (all when `exclude` is null), their countries, the first time. */
  private async sightings(ids: number[], exclude: number | null): Promise<Map<number, Sighting>> {
    const acc = new Map<number, { submissions: Set<number>; countries: Set<string>; firstSeenAt: number | null }>();
    for (let i = 0; i < ids.length; i += 500) {
      let q = this.db
        .selectFrom('submission_files as f')
        .innerJoin('submissions as s', 's.id', 'f.submission_id')
        .select(['f.media_id', 's.id as submission_id', 's.country_code', 'f.processed_at'])
        .where('f.media_id', 'in', ids.slice(i, i + 500));
      if (exclude !== null) q = q.where('f.submission_id', '<>', exclude);
      for (const r of await q.execute()) {
        const id = Number(r.media_id);
        const e = acc.get(id) ?? { submissions: new Set<number>(), countries: new Set<string>(), firstSeenAt: null };
        e.submissions.add(Number(r.submission_id));
        if (r.country_code) e.countries.add(r.country_code);
        const at = r.processed_at === null ? null : Number(r.processed_at);
        if (at !== null && (e.firstSeenAt === null || at < e.firstSeenAt)) e.firstSeenAt = at;
        acc.set(id, e);
      }
    }
    const out = new Map<number, Sighting>();
    for (const [id, e] of acc) out.set(id, { submissions: e.submissions.size, countries: [...e.countries].sort(), firstSeenAt: e.firstSeenAt });
    return out;
  }
}

interface Sighting {
  readonly submissions: number;
  readonly countries: readonly string[];
  readonly firstSeenAt: number | null;
}

/** One hit per stored entry (the smallest distance over the query's hashes). */
function bestPerEntry(hits: readonly MatchHit[]): MatchHit[] {
  const best = new Map<number, MatchHit>();
  for (const h of hits) {
    const seen = best.get(h.entryId);
    if (!seen || h.distance < seen.distance) best.set(h.entryId, h);
  }
  return [...best.values()].sort((a, b) => a.distance - b.distance || a.entryId - b.entryId);
}
