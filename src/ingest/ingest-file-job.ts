import { createWriteStream } from 'node:fs';
import { mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import { fileTypeFromBuffer } from 'file-type';
import { contextFor, systemActor, type TxContext } from '../auth/actor.js';
import type { AuditEntryInput, AuditLog } from '../audit/audit-log.js';
import { AriadneError } from '../core/errors.js';
import type { Db, Tx } from '../db/schema.js';
import type { ClaimedJob, JobOutcome } from '../jobs/job-queue.js';
import type { JobContext } from '../jobs/job-runner.js';
import type { NewSignalEntry, SignalStore } from '../matching/signal-store.js';
import type { IngestLimits } from '../media/limits.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { FileSignals } from '../signals/file-hasher.js';
import { analysableWhereStored, probeBlob, type BlobProbe } from './blob-probe.js';
import { hex, insertItem, type ItemFacts } from './item-rows.js';
import type { AnalysedBlob, MediaTools, StoredImageAnalysis } from './media-tools.js';
import { ITEM_BY_SHA256, SETTLE_FILE } from './intake-statements.js';
import { archiveMemberPath } from './paths.js';
import { completeIfDone, type SubmissionService, type SubmittedFile } from './submission-service.js';

export interface IngestFileJobDeps {
  readonly db: Db;
  readonly blobs: BlobStore;
  readonly signals: SignalStore;
  readonly audit: AuditLog;
  readonly tools: MediaTools;
  readonly submissions: SubmissionService;
  readonly limits: IngestLimits;
  /** Private scratch directory for archives being expanded. */
  readonly tmpDir: string;
  /** Images larger than this are stored and sighted without decoding. */
  readonly maxImageBytes?: number;
  /**
   * Called in the job's commit for each file that ends as a media item (new or a sighting), so later work (the
   * cases module's series-match notifications) is enqueued atomically with the item. Keep it to cheap writes.
   */
  readonly afterItem?: (tx: Tx, event: ItemEvent) => Promise<void>;
  /**
   * Whether a new image with these signals matches stored items that are in a series (the only case where the cases
   * module's series-match job has anything to do for it). Asked before the item's commit, against the index as it
   * is then. Absent: every item is assumed to.
   */
  readonly inSeriesReach?: (signals: FileSignals) => Promise<boolean>;
}

const DEFAULT_MAX_IMAGE_BYTES = 256 * 1024 * 1024;
const OCTET_STREAM = 'application/octet-stream';
const INGEST_ACTOR = systemActor('ingest');

type FileRow = SubmittedFile;

/**
 * The job that turns one submitted file into a media item (or a sighting of one): sniff the bytes, expand
 * archives into more files, decode images once for PDQ (plain and letterbox-trimmed), EXIF and renditions, then in
 * one transaction with the job's completion: the item, its signal entries, the sighting and the audit entry.
 * Everything before that transaction is idempotent (content-addressed blobs, per-path files), so a crash anywhere
 * reruns the job to the same result.
 */
export function ingestFileJob(deps: IngestFileJobDeps) {
  return async (job: ClaimedJob, ctx: JobContext): Promise<JobOutcome> => {
    const { fileId } = job.payload as { fileId: number };
    const file = (await deps.db.selectFrom('submission_files').select(['id', 'submission_id', 'path', 'depth', 'blob_sha256', 'md5', 'sha1', 'size', 'status']).where('id', '=', fileId).executeTakeFirst()) as FileRow | undefined;
    if (!file) return { status: 'skipped', reason: `submission file ${fileId} does not exist` };
    if (file.status !== 'pending') return { status: 'skipped', reason: `submission file ${fileId} is already ${file.status}` };
    if (!file.blob_sha256) return finish(deps, file, { error: 'no stored bytes' });

    try {
      // A second seizure of stored bytes: a sighting, nothing else to compute.
      const known = await ITEM_BY_SHA256.executeTakeFirst(deps.db, { sha256: file.blob_sha256 });
      if (known) return finish(deps, file, { mediaId: Number(known.id), mime: known.mime });

      const blob = await probeBlob(deps.tools, deps.blobs, file, maxImageBytes(deps));
      try {
        return await processBlob(deps, file, blob, ctx);
      } finally {
        blob.close();
      }
    } catch (error) {
      if (error instanceof AriadneError && (error.kind === 'invalid' || error.kind === 'integrity')) {
        return finish(deps, file, { error: error.message });
      }
      // An unexpected failure is retried; on the last attempt the file is recorded as an error instead, so the
      // submission still completes and says why.
      if (ctx.attempt >= job.maxAttempts) return finish(deps, file, { error: `processing failed ${job.maxAttempts} times: ${(error as Error).message}` });
      return { status: 'failed', reason: (error as Error).message, retryable: true };
    }
  };
}

async function processBlob(deps: IngestFileJobDeps, file: FileRow, blob: BlobProbe, ctx: JobContext): Promise<JobOutcome> {
  const sniffed = await sniff(deps, file, blob.head, blob.mime);
  const { mime } = sniffed;
  switch (sniffed.kind) {
    case 'empty':
      return finish(deps, file, { mime, error: 'empty file' });
    case 'archive':
      return await expandArchive(deps, file, sniffed.archive, mime, ctx);
    case 'video':
      if (!deps.tools.analyseVideo) return finish(deps, file, { mime, item: { kind: 'video', width: null, height: null, entries: [], exif: null } });
      return await ingestVideo(deps, file, mime, ctx);
    case 'other':
      return finish(deps, file, { mime, error: `not a supported media file (${mime})` });
    case 'large-image':
      return finish(deps, file, { mime, item: { kind: 'image', width: null, height: null, entries: [], exif: null } });
    case 'image':
      return finish(deps, file, await imageResult(deps, file, await blob.analyse()));
  }
}

type Sniffed = { readonly mime: string } & (
  | { readonly kind: 'empty' | 'video' | 'other' | 'large-image' | 'image' }
  | { readonly kind: 'archive'; readonly archive: string }
);

/**
 * What a stored file is, from its first bytes and size: what the job does with it follows from this alone. `known`:
 * the type a hash worker sniffed from the same bytes as it analysed them (not sniffed again).
 */
async function sniff(deps: IngestFileJobDeps, file: FileRow, head: Buffer, known?: string): Promise<Sniffed> {
  const type = known === undefined ? (await fileTypeFromBuffer(head))?.mime : known === OCTET_STREAM ? undefined : known;
  const mime = type ?? (file.size === 0 ? 'application/x-empty' : OCTET_STREAM);
  if (file.size === 0) return { kind: 'empty', mime };
  const archive = deps.tools.archiveKind(head);
  if (archive) return { kind: 'archive', archive, mime };
  if (mime.startsWith('video/')) return { kind: 'video', mime };
  if (!mime.startsWith('image/') && !isBmp(head)) return { kind: 'other', mime };
  if ((file.size ?? 0) > maxImageBytes(deps)) return { kind: 'large-image', mime };
  return { kind: 'image', mime };
}

/** The outcome of an analysed image: its item with PDQ (plain and trimmed), EXIF and renditions, or why it failed. */
async function imageResult(deps: IngestFileJobDeps, file: FileRow, { signals, exif, renditions }: StoredImageAnalysis): Promise<Result> {
  if (signals.pdq === null || renditions === null) return { mime: signals.mime, error: `image could not be decoded: ${signals.imageError ?? 'unknown reason'}` };
  const entries: NewSignalEntry[] = [{ signal: 'pdq', hash: hex(signals.pdq), quality: signals.quality, variant: 'plain' }];
  if (signals.trimmed) entries.push({ signal: 'pdq', hash: hex(signals.trimmed.pdq), quality: signals.trimmed.quality, variant: 'trimmed' });
  return {
    mime: signals.mime,
    ...(deps.inSeriesReach ? { seriesReach: await deps.inSeriesReach(signals) } : {}),
    // No preview of its own: the original (already stored) is its own preview.
    item: {
      kind: 'image',
      width: signals.width ?? null,
      height: signals.height ?? null,
      entries,
      exif,
      thumbnail: renditions.thumbnail.sha256,
      preview: renditions.preview ?? file.blob_sha256!,
      inline: [renditions.thumbnail],
    },
  };
}

/**
 * For the folder door, which has a file's bytes stored by a hash worker: its outcome computed at intake, so that it
 * is recorded in the intake's own transaction (commitResult) with no job. That is bytes already stored as an item
 * (a sighting) or an image the workers analyse where it is stored; anything else (archives, videos, other files,
 * a store the workers cannot read) returns null and is queued for the job as usual. The same analysis and the same
 * rows as the job's, so a file ends the same either way. `analysed`: the analysis the worker made as it stored the
 * bytes (MediaTools.storeLocal), when it did.
 */
export async function resultAtIntake(deps: IngestFileJobDeps, file: FileRow, analysed: AnalysedBlob | null = null): Promise<Result | null> {
  if (!file.blob_sha256) return null;
  const known = await ITEM_BY_SHA256.executeTakeFirst(deps.db, { sha256: file.blob_sha256 });
  if (known) return { mediaId: Number(known.id), mime: known.mime };
  if (!analysableWhereStored(deps.tools, file, maxImageBytes(deps))) return null;
  const { head, analysis } = analysed ?? (await deps.tools.analyseStored!(file.blob_sha256, { md5: file.md5!, sha1: file.sha1!, sha256: file.blob_sha256 }));
  // Only what the job would decode is settled here; it does the rest.
  if (!analysis || (await sniff(deps, file, head, analysis.signals.mime)).kind !== 'image') return null;
  return imageResult(deps, file, analysis);
}

function maxImageBytes(deps: IngestFileJobDeps): number {
  return deps.maxImageBytes ?? DEFAULT_MAX_IMAGE_BYTES;
}

/**
 * A video: decrypted to a private scratch file (containers need random access), sampled and hashed by ffmpeg + PDQ
 * (vPDQ), renditions made from frames kept on the way; the frame hashes and facts are written with the item.
 */
async function ingestVideo(deps: IngestFileJobDeps, file: FileRow, mime: string, job: JobContext): Promise<JobOutcome> {
  await mkdir(deps.tmpDir, { recursive: true, mode: 0o700 });
  const local = join(deps.tmpDir, `video-${randomUUID()}`);
  try {
    await pipeline(await deps.blobs.get(file.blob_sha256!), createWriteStream(local, { mode: 0o600 }));
    const video = await deps.tools.analyseVideo!(local, { signal: job.signal });
    // The thumbnail is kept in the database with the item (storage/inline-blobs.ts), the rest in the blob store.
    const thumb = video.thumbnail ? deps.blobs.sealInline(video.thumbnail) : undefined;
    const [preview, sheet] = await Promise.all([
      video.preview ? deps.blobs.put(video.preview) : undefined,
      video.contactSheet ? deps.blobs.put(video.contactSheet) : undefined,
    ]);
    const { frames, facts } = video;
    const entries: NewSignalEntry[] = [];
    for (let i = 0; i < frames.count; i++) {
      entries.push({ signal: 'vpdq', hash: frames.hashes.slice(i * 32, i * 32 + 32), quality: frames.qualities[i], variant: 'frame', frameMs: Math.round(frames.timestampsMs[i]) });
    }
    return finish(deps, file, {
      mime,
      item: {
        kind: 'video',
        width: facts.width,
        height: facts.height,
        entries,
        exif: null,
        thumbnail: thumb?.sha256,
        preview: preview?.sha256,
        inline: thumb ? [thumb] : [],
        video: { ...facts, contactSheet: sheet?.sha256 ?? null, contactSheetTimesMs: video.contactSheetTimesMs },
      },
    });
  } finally {
    await unlink(local).catch(() => undefined);
  }
}

/**
 * What the intake that settles a file at once (the folder door) already holds: its submission's facts, and its own
 * audit entries, appended in order with the outcome's.
 */
export interface IntakeRecord {
  readonly submission: { readonly country_code: string | null; readonly actor_name: string };
  readonly entries: readonly AuditEntryInput[];
}

/** A file that ended as a media item (new, or a sighting of one), for the afterItem hook. */
export interface ItemEvent {
  readonly fileId: number;
  readonly submissionId: number;
  readonly mediaId: number;
  /** False when the item is new and matched no stored item of a series: no series can have been sighted. */
  readonly seriesReach: boolean;
}

/** What became of a file: an item (new or seen before), an error, or a container (an archive, expanded). */
export interface Result {
  /** For a new item: whether it matched stored items of a series (ingest-file-job inSeriesReach); unknown if absent. */
  readonly seriesReach?: boolean;
  readonly mime?: string;
  readonly mediaId?: number;
  readonly item?: ItemFacts;
  readonly error?: string;
  readonly container?: boolean;
}

/** The job's outcome: its database writes commit with the job's completion. */
function finish(deps: IngestFileJobDeps, file: FileRow, result: Result): JobOutcome {
  return {
    status: 'done',
    result: { fileId: file.id, mediaId: result.mediaId ?? null, error: result.error ?? null },
    commit: (tx: Tx) => commitResult(deps, tx, file, result),
  };
}

/**
 * A file's outcome written in `tx`: its item (new, or a sighting of one), signals, status and audit entry, the
 * afterItem hook, and the submission's completion when it was the last file pending.
 */
export async function commitResult(deps: IngestFileJobDeps, tx: Tx, file: FileRow, result: Result, intake?: IntakeRecord): Promise<void> {
  const ctx: TxContext = { ...contextFor(INGEST_ACTOR), tx };
  const submission = intake?.submission ?? (await tx.selectFrom('submissions').select(['country_code', 'actor_name']).where('id', '=', file.submission_id).executeTakeFirstOrThrow());
  let mediaId = result.mediaId ?? null;
  let created = false;
  if (mediaId === null && result.item) {
    ({ mediaId, created } = await insertItem(deps.signals, ctx, file, result.mime ?? 'application/octet-stream', result.item, submission.country_code));
  }
  await SETTLE_FILE.run(tx, { id: file.id, status: result.error ? 'error' : 'done', error: result.error ?? null, media_id: mediaId, mime: result.mime ?? null, processed_at: ctx.now });
  await deps.audit.appendAll(tx, [
    ...(intake?.entries ?? []),
    {
      action: result.error ? 'submission.file.error' : created ? 'media.ingest' : mediaId !== null ? 'media.sighting' : 'submission.file.process',
      actor: INGEST_ACTOR,
      object: mediaId !== null ? { type: 'media', id: mediaId, country: submission.country_code } : { type: 'submission', id: file.submission_id, country: submission.country_code },
      details: { submissionId: file.submission_id, fileId: file.id, path: file.path, sha256: file.blob_sha256, submittedBy: submission.actor_name, ...(result.error ? { error: result.error } : {}) },
    },
  ]);
  if (mediaId !== null && !result.error && deps.afterItem) {
    // A sighting of a stored item (created false) may be of one in a series, whatever was asked before.
    await deps.afterItem(tx, { fileId: file.id, submissionId: file.submission_id, mediaId, seriesReach: !created || result.seriesReach !== false });
  }
  await completeIfDone(ctx, file.submission_id);
}

async function expandArchive(deps: IngestFileJobDeps, file: FileRow, kind: string, mime: string, job: JobContext): Promise<JobOutcome> {
  const depth = file.depth + 1;
  if (depth > deps.limits.maxArchiveDepth) return finish(deps, file, { mime, error: `archive nested deeper than ${deps.limits.maxArchiveDepth} levels: not expanded` });
  await mkdir(deps.tmpDir, { recursive: true, mode: 0o700 });
  const local = join(deps.tmpDir, `archive-${randomUUID()}`);
  const ctx = contextFor(INGEST_ACTOR);
  try {
    // Archive readers need random access: the archive is decrypted to a private scratch file for the expansion only.
    await pipeline(await deps.blobs.get(file.blob_sha256!), createWriteStream(local, { mode: 0o600 }));
    for await (const item of deps.tools.readArchive(local, kind)) {
      if (job.signal.aborted) return { status: 'failed', reason: 'interrupted', retryable: true };
      if (!item.ok) {
        await deps.submissions.recordRefused(ctx, file.submission_id, { path: `${file.path}!/${item.path}`, parentFileId: file.id, depth }, item.reason);
        continue;
      }
      let path: string;
      try {
        path = archiveMemberPath(file.path, item.entry.path);
      } catch (error) {
        await deps.submissions.recordRefused(ctx, file.submission_id, { path: `${file.path}!/${item.entry.path}`, parentFileId: file.id, depth }, (error as Error).message);
        continue;
      }
      if (await deps.submissions.hasPath(file.submission_id, path)) continue;
      try {
        await deps.submissions.addFile(ctx, file.submission_id, { path, mtime: item.entry.mtime, parentFileId: file.id, depth }, item.entry.open());
      } catch (error) {
        // An entry that breaks a limit (a decompression bomb) or is corrupt fails its stream; nothing was stored,
        // and the reader reports it as a problem next.
        if (!(error instanceof AriadneError && error.kind === 'invalid')) throw error;
      }
    }
  } finally {
    await unlink(local).catch(() => undefined);
  }
  return finish(deps, file, { mime, container: true });
}

function isBmp(head: Buffer): boolean {
  return head.length > 2 && head[0] === 0x42 && head[1] === 0x4d;
}
