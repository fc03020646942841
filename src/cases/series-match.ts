import { contextFor, systemActor } from '../auth/actor.js';
import type { Db, Tx } from '../db/schema.js';
import type { ClaimedJob, JobOutcome } from '../jobs/job-queue.js';
import type { IndexCatalog } from '../matching/index-catalog.js';
import type { MatchService } from '../matching/match-service.js';
import type { VideoMatchService } from '../matching/video-match-service.js';
import type { NewNotification, NotificationService } from '../notifications/notification-service.js';
import { caseUsers } from './case-access.js';

/**
 * "Your series was matched in a new submission from country X".
 *
 * Where it hooks in: the ingest.file job enqueues this job inside its own commit (one row in the jobs table, in the
 * transaction that stores the item), and this job runs after that commit. Matching needs the in-memory index, which
 * the ingest commit must not wait for, and notifications are not evidence: computing them in the ingest transaction
 * would lengthen the one transaction every file goes through, while a separate durable job costs ingest one insert,
 * runs at a lower priority than ingest, survives crashes (the enqueue commits with the item) and notifies exactly
 * once (its notifications commit with its completion, deduplicated per series and submission).
 */
export const SERIES_MATCH_JOB = 'cases.series-match';

export interface SeriesMatchDeps {
  readonly db: Db;
  readonly catalog: () => Promise<IndexCatalog>;
  readonly matching: () => Promise<MatchService>;
  readonly notifications: NotificationService;
  /** Videos: other videos they match (same, clip, contains) and images their frames match (optional). */
  readonly videoMatching?: () => Promise<VideoMatchService>;
}

const ACTOR = systemActor('series-match');

export function seriesMatchJob(deps: SeriesMatchDeps) {
  return async (job: ClaimedJob): Promise<JobOutcome> => {
    const { fileId } = job.payload as { fileId: number };
    const file = await deps.db
      .selectFrom('submission_files as f')
      .innerJoin('submissions as s', 's.id', 'f.submission_id')
      .select(['f.media_id', 's.id as submission_id', 's.user_id', 's.agency_id', 's.country_code', 's.reference'])
      .where('f.id', '=', fileId)
      .executeTakeFirst();
    if (!file || file.media_id === null) return { status: 'skipped', reason: `file ${fileId} holds no media item` };
    const mediaId = Number(file.media_id);

    const catalog = await deps.catalog();
    await catalog.catchUp();
    const signals = await deps.db.selectFrom('signal_entries').select(['signal', 'hash', 'quality']).where('media_id', '=', mediaId).where('removed_at', 'is', null).execute();
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
    const pdq = signals.filter((s) => s.signal === 'pdq' && (s.quality ?? 0) >= 50).map((s) => hex(s.hash));
    const digest = (name: string) => signals.find((s) => s.signal === name);
    const sha256 = digest('sha256');
    const md5 = digest('md5');
    const sha1 = digest('sha1');
    const hits = await (await deps.matching()).match(contextFor(ACTOR), {
      pdq: pdq.length > 0 ? pdq : undefined,
      sha256: sha256 ? hex(sha256.hash) : undefined,
      md5: md5 ? hex(md5.hash) : undefined,
      sha1: sha1 ? hex(sha1.hash) : undefined,
    });
    if (deps.videoMatching && signals.some((s) => s.signal === 'vpdq')) {
      const video = await (await deps.videoMatching()).match(contextFor(ACTOR), { mediaId });
      hits.push(...video.videos.map((v) => v.hit), ...video.frameHits);
    }
    const itemIds = [...new Set([mediaId, ...hits.flatMap((h) => (h.item ? [h.item.id] : []))])];
    const series = await deps.db
      .selectFrom('series_media as sm')
      .innerJoin('series as s', 's.id', 'sm.series_id')
      .select(['s.id', 's.name', 's.agency_id', 's.country_code', 's.identification_status'])
      .distinct()
      .where('sm.media_id', 'in', itemIds)
      .execute();
    if (series.length === 0) return { status: 'done', result: { series: 0 } };
    // Other agencies' series are the news; every series records the sighting (its countries "seen in").
    const others = series.filter((s) => file.agency_id === null || Number(s.agency_id) !== Number(file.agency_id));

    const submissionId = Number(file.submission_id);
    const from = file.country_code ?? 'an unknown country';
    return {
      status: 'done',
      result: { series: series.length },
      commit: async (tx: Tx) => {
        const now = Date.now();
        const out: NewNotification[] = [];
        await tx
          .insertInto('series_sightings')
          .values(series.map((s) => ({ series_id: Number(s.id), submission_id: submissionId, country_code: file.country_code, media_id: mediaId, at: now })))
          .onConflict((oc) => oc.columns(['series_id', 'submission_id']).doNothing())
          .execute();
        for (const s of others) {
          const seriesId = Number(s.id);
          const details = { seriesId, submissionId, mediaId, country: file.country_code };
          for (const userId of await caseUsers(tx, { agencyId: Number(s.agency_id) })) {
            out.push({ userId, kind: 'series.matched', message: `Your series "${s.name}" was matched in a new submission from ${from}`, object: { type: 'series', id: seriesId }, details, dedupeKey: `series.matched:${seriesId}:${submissionId}` });
          }
          if (file.user_id !== null) {
            out.push({
              userId: Number(file.user_id),
              kind: 'submission.matched',
              message: `Your submission${file.reference ? ` "${file.reference}"` : ''} matches series "${s.name}" of ${s.country_code} (${s.identification_status})`,
              object: { type: 'series', id: seriesId },
              details: { ...details, identificationStatus: s.identification_status },
              dedupeKey: `submission.matched:${seriesId}:${submissionId}`,
            });
          }
        }
        await deps.notifications.notify(tx, out, now);
      },
    };
  };
}
