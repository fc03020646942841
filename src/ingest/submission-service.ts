import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { inTransaction, type RequestContext, type TxContext } from '../auth/actor.js';
import type { AccessPolicy } from '../auth/policy.js';
import type { AuditEntryInput, AuditLog } from '../audit/audit-log.js';
import { AriadneError, ConflictError, InvalidError, NotFoundError } from '../core/errors.js';
import { hasControlCharacters, replaceControlCharacters } from '../core/text.js';
import { CommitGroup } from '../db/commit-group.js';
import type { Db, Executor, SubmissionsTable, Tx } from '../db/schema.js';
import type { JobQueue } from '../jobs/job-queue.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { IntakeRecord } from './ingest-file-job.js';
import type { AnalysedBlob, LocallyStored } from './media-tools.js';
import { ANY_PENDING, FILE_AT_PATH, INSERT_FILE, LOCK_SEALED, SUBMISSION_BY_ID } from './intake-statements.js';
import { normaliseSubmittedPath } from './paths.js';
import { storeStream, type StoredBytes } from './store-stream.js';

export const INGEST_FILE_JOB = 'ingest.file';

export interface Submission {
  readonly id: number;
  readonly userId: number | null;
  readonly agencyId: number | null;
  readonly countryCode: string | null;
  readonly actorName: string;
  readonly reference: string;
  readonly device: string;
  readonly notes: string;
  readonly status: SubmissionsTable['status'];
  readonly createdAt: number;
  readonly sealedAt: number | null;
  readonly completedAt: number | null;
}

export interface SubmissionProgress {
  readonly files: number;
  readonly pending: number;
  readonly done: number;
  readonly errors: number;
}

export interface NewSubmission {
  readonly reference?: string;
  readonly device?: string;
  readonly notes?: string;
  /** For the operator's command line: the country the material comes from. */
  readonly countryCode?: string | null;
}

export interface AddedFile {
  readonly fileId: number;
  readonly path: string;
  readonly sha256: string | null;
  /** False when the submission already held a file at this path (nothing was stored again). */
  readonly added: boolean;
}

/**
 * How the folder door takes files in on this machine (all optional: without them a local file is streamed in and
 * queued like an upload).
 */
export interface LocalIntake {
  /**
   * Stores a local file without streaming it through this thread (a hash worker with the local blob store); null
   * when it will not (a file too large to read whole), and the file is then streamed.
   */
  readonly store?: (absolutePath: string) => Promise<LocallyStored | null>;
  /**
   * The file's outcome worked out at intake (ingest-file-job.ts resultAtIntake), from the analysis made as it was
   * stored when there is one, recorded in the intake's own transaction instead of a job; null: queue the job.
   */
  readonly settle?: {
    prepare(file: SubmittedFile, analysed: AnalysedBlob | null): Promise<unknown>;
    commit(tx: Tx, file: SubmittedFile, prepared: unknown, intake: IntakeRecord): Promise<void>;
  };
}

/**
 * How many files the folder door takes in at once (`ariadne ingest`, the ingest benchmark): every hash worker holds
 * two tasks while as many files again wait for their commit group, so no worker waits for work (a fixed four left a
 * 2-core machine's workers idle 7 % of the time, a 16-core machine's most of it; 2 per worker + 2 with groups, 9 %).
 */
export function localIntakeConcurrency(hashThreads: number): number {
  return 4 * hashThreads + 4;
}

/** A file's bytes as stored at intake, with the analysis made as they were stored when there is one. */
type IntakeBytes = StoredBytes & { readonly analysed?: AnalysedBlob | null };

/** A submitted file's row as the pipeline reads it. */
export type SubmittedFile = { id: number; submission_id: number; path: string; depth: number; blob_sha256: string | null; md5: string | null; sha1: string | null; size: number | null; status: string };

export interface FileOrigin {
  readonly path: string;
  /** File modification time (epoch ms) as the source reported it. */
  readonly mtime?: number | null;
  /** For members of an archive in the submission. */
  readonly parentFileId?: number | null;
  readonly depth?: number;
}

const TEXT_LIMIT = 2000;
/**
 * Added files recorded together (CommitGroup): a file waits at most this long for others being stored to join its
 * transaction, at most this many per transaction, a lone file not at all. A commit costs several files' writes (the
 * log pages of every table and index a file touches, and an fsync); the wait is short beside a file's hashing.
 */
const INTAKE_COMMIT_WINDOW_MS = 50;
const INTAKE_COMMIT_MAX_FILES = 32;
/** How long after its last file an intake still counts as under way (the gap between a door's files). */
const TAKING_IN_GRACE_MS = 3000;

/**
 * Submissions and their intake. Each added file is streamed once into the blob store (hashed on the way), recorded
 * with its job in one transaction with its audit entry; the job (ingest-file-job.ts) does the rest. Re-adding a path
 * already recorded does nothing, so an interrupted intake can simply be run again.
 */
export class SubmissionService {
  private adding = 0;
  private lastAdded = 0;
  private readonly recorder: CommitGroup;

  constructor(
    private readonly db: Db,
    private readonly blobs: BlobStore,
    private readonly queue: JobQueue,
    private readonly audit: AuditLog,
    private readonly policy: AccessPolicy,
    private readonly local: LocalIntake = {},
  ) {
    this.recorder = new CommitGroup(db, { windowMs: INTAKE_COMMIT_WINDOW_MS, maxUnits: INTAKE_COMMIT_MAX_FILES, underWay: () => this.adding });
  }

  async create(ctx: RequestContext, input: NewSubmission): Promise<Submission> {
    this.requireUpload(ctx);
    const reference = text(input.reference, 'reference');
    const device = text(input.device, 'device');
    const notes = text(input.notes, 'notes');
    const actor = ctx.actor;
    const countryCode = actor.kind === 'user' ? actor.countryCode : input.countryCode ? checkCountry(input.countryCode) : null;
    return inTransaction(this.db, ctx, async (tx) => {
      const row = await tx.tx
        .insertInto('submissions')
        .values({
          user_id: actor.kind === 'user' ? actor.userId : null,
          agency_id: actor.kind === 'user' ? actor.agencyId : null,
          country_code: countryCode,
          actor_name: actor.kind === 'user' ? actor.username : `system:${actor.name}`,
          reference,
          device,
          notes,
          status: 'open',
          created_at: tx.now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await this.audit.append(tx.tx, { action: 'submission.create', actor, object: { type: 'submission', id: Number(row.id), country: countryCode }, address: tx.address, requestId: tx.requestId, details: { reference, device } });
      return toSubmission(row);
    });
  }

  /** The submission, when the caller may see it (its submitter, its agency, global admins); NotFound otherwise. */
  async get(ctx: RequestContext, id: number, executor: Executor = this.db): Promise<Submission> {
    const row = await SUBMISSION_BY_ID.executeTakeFirst(executor, { id });
    if (!row || !this.canSee(ctx, row)) throw new NotFoundError('no such submission');
    return toSubmission(row);
  }

  async list(ctx: RequestContext, limit = 100): Promise<Submission[]> {
    const actor = ctx.actor;
    let q = this.db.selectFrom('submissions').selectAll().orderBy('id', 'desc').limit(Math.min(Math.max(1, limit), 1000));
    if (actor.kind === 'user' && actor.role !== 'global_admin') {
      this.policy.require(actor, 'media.upload', ctx.now);
      q = q.where((w) => w.or([w('user_id', '=', actor.userId), w('agency_id', '=', actor.agencyId)]));
    }
    return (await q.execute()).map(toSubmission);
  }

  async progress(ctx: RequestContext, id: number): Promise<SubmissionProgress> {
    await this.get(ctx, id);
    return countFiles(this.db, id);
  }

  /** Whether the submission already holds a file at this path (to skip re-reading it on a resumed intake). */
  async hasPath(submissionId: number, path: string): Promise<boolean> {
    const row = await this.db.selectFrom('submission_files').select('id').where('submission_id', '=', submissionId).where('path', '=', normaliseSubmittedPath(path)).executeTakeFirst();
    return row !== undefined;
  }

  /** Streams one file in and queues its processing. */
  async addFile(ctx: RequestContext, submissionId: number, origin: FileOrigin, source: Readable): Promise<AddedFile> {
    return this.add(ctx, submissionId, origin, () => storeStream(this.blobs, source), () => source.resume());
  }

  /**
   * One file of this machine's filesystem (the folder door): stored by the local file storer when there is one (a
   * hash worker reading, hashing and storing it in one go), streamed in otherwise; then as addFile.
   */
  async addLocalFile(ctx: RequestContext, submissionId: number, origin: FileOrigin, absolutePath: string): Promise<AddedFile> {
    const store = async () =>
      (await this.local.store?.(absolutePath)) ??
      storeStream(this.blobs, createReadStream(absolutePath)).catch((error: unknown) => {
        // The store wraps its own failures; a bare system error is the source file's (removed, unreadable).
        const code = (error as NodeJS.ErrnoException).code;
        if (!(error instanceof AriadneError) && typeof code === 'string') throw new InvalidError(`${absolutePath}: cannot read: ${code}`, { path: absolutePath });
        throw error;
      });
    return this.add(ctx, submissionId, origin, store, () => undefined, this.local.settle);
  }

  /**
   * Whether this process is taking files in (or did a moment ago): background work that must not take the CPU from
   * triage waits while it is.
   */
  get takingIn(): boolean {
    return this.adding > 0 || Date.now() - this.lastAdded < TAKING_IN_GRACE_MS;
  }

  private async add(ctx: RequestContext, submissionId: number, origin: FileOrigin, store: () => Promise<IntakeBytes>, discard: () => void, settle?: LocalIntake['settle']): Promise<AddedFile> {
    this.adding++;
    try {
      return await this.addNow(ctx, submissionId, origin, store, discard, settle);
    } finally {
      this.adding--;
      this.lastAdded = Date.now();
    }
  }

  private async addNow(ctx: RequestContext, submissionId: number, origin: FileOrigin, store: () => Promise<IntakeBytes>, discard: () => void, settle?: LocalIntake['settle']): Promise<AddedFile> {
    this.requireUpload(ctx);
    const path = normaliseSubmittedPath(origin.path);
    const submission = await this.get(ctx, submissionId);
    if (submission.status === 'complete' || (submission.status === 'sealed' && origin.parentFileId == null)) {
      discard();
      throw new ConflictError(`submission ${submissionId} is ${submission.status}: no more files can be added`);
    }
    const existing = await FILE_AT_PATH.executeTakeFirst(this.db, { submissionId, path });
    if (existing) {
      discard();
      return { fileId: Number(existing.id), path, sha256: existing.blob_sha256, added: false };
    }
    const stored = await store();
    const file: SubmittedFile = { id: 0, submission_id: submissionId, path, depth: origin.depth ?? 0, blob_sha256: stored.sha256, md5: stored.md5, sha1: stored.sha1, size: stored.size, status: 'pending' };
    // A file whose outcome cannot be worked out here (a worker failed) is left to the job, which retries and records.
    const prepared = settle ? await settle.prepare(file, stored.analysed ?? null).catch(() => null) : null;
    return this.record(ctx, async (tx) => {
      const inserted = await INSERT_FILE.executeTakeFirst(tx.tx, {
        submission_id: submissionId,
        path,
        parent_file_id: origin.parentFileId ?? null,
        depth: origin.depth ?? 0,
        size: stored.size,
        mtime: origin.mtime ?? null,
        blob_sha256: stored.sha256,
        md5: stored.md5,
        sha1: stored.sha1,
        created_at: tx.now,
      });
      if (!inserted) {
        const row = await FILE_AT_PATH.executeTakeFirst(tx.tx, { submissionId, path });
        if (!row) throw new Error(`submission ${submissionId} holds no file at ${path}, nor could one be added`);
        return { fileId: Number(row.id), path, sha256: stored.sha256, added: false };
      }
      const fileId = Number(inserted.id);
      const added: AuditEntryInput = {
        action: 'submission.file.add',
        actor: tx.actor,
        object: { type: 'submission', id: submissionId, country: submission.countryCode },
        address: tx.address,
        requestId: tx.requestId,
        details: { fileId, path, sha256: stored.sha256, size: stored.size },
      };
      if (prepared !== null) {
        // Settled at once: its outcome is written here, this entry appended with the outcome's.
        await settle!.commit(tx.tx, { ...file, id: fileId }, prepared, { submission: { country_code: submission.countryCode, actor_name: submission.actorName }, entries: [added] });
      } else {
        await this.queue.enqueue(INGEST_FILE_JOB, { fileId }, { dedupeKey: `${INGEST_FILE_JOB}:${fileId}` }, tx.tx);
        await this.audit.append(tx.tx, added);
      }
      return { fileId, path, sha256: stored.sha256, added: true };
    });
  }

  /**
   * Runs an added file's writes in the intake's commit group: files whose bytes are in at about the same moment share
   * one transaction; when one fails, each is recorded again on its own, so a file's failure stays its own.
   */
  private record<T>(ctx: RequestContext, fn: (ctx: TxContext) => Promise<T>): Promise<T> {
    return this.recorder.run((tx) => fn({ ...ctx, tx }));
  }

  /** Commits the files waiting in the commit group (before the database closes). */
  close(): Promise<void> {
    return this.recorder.flush();
  }

  /** Records a file that could not be taken in at all (a refused archive entry, a symlink), with the reason. */
  async recordRefused(ctx: RequestContext, submissionId: number, origin: FileOrigin, reason: string): Promise<void> {
    const path = safePath(origin.path);
    await inTransaction(this.db, ctx, async (tx) => {
      const inserted = await tx.tx
        .insertInto('submission_files')
        .values({ submission_id: submissionId, path, parent_file_id: origin.parentFileId ?? null, depth: origin.depth ?? 0, size: null, mtime: origin.mtime ?? null, blob_sha256: null, md5: null, sha1: null, status: 'error', error: reason.slice(0, TEXT_LIMIT), created_at: tx.now, processed_at: tx.now })
        .onConflict((oc) => oc.columns(['submission_id', 'path']).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!inserted) return;
      await this.audit.append(tx.tx, { action: 'submission.file.refuse', actor: tx.actor, object: { type: 'submission', id: submissionId }, address: tx.address, requestId: tx.requestId, details: { path, reason } });
    });
  }

  /** No more files will come: the submission completes once every file is processed. */
  async seal(ctx: RequestContext, id: number): Promise<Submission> {
    this.requireUpload(ctx);
    return inTransaction(this.db, ctx, async (tx) => {
      const submission = await this.get(ctx, id, tx.tx);
      if (submission.status !== 'open') return submission;
      await tx.tx.updateTable('submissions').set({ status: 'sealed', sealed_at: tx.now }).where('id', '=', id).execute();
      await this.audit.append(tx.tx, { action: 'submission.seal', actor: tx.actor, object: { type: 'submission', id, country: submission.countryCode }, address: tx.address, requestId: tx.requestId });
      await completeIfDone(tx, id);
      return this.get(ctx, id, tx.tx);
    });
  }

  private canSee(ctx: RequestContext, row: { user_id: number | null; agency_id: number | null }): boolean {
    const actor = ctx.actor;
    if (actor.kind === 'system') return true;
    if (actor.role === 'global_admin') return true;
    if (!this.policy.can(actor, 'media.upload', ctx.now)) return false;
    return row.user_id === actor.userId || (row.agency_id !== null && Number(row.agency_id) === actor.agencyId);
  }

  private requireUpload(ctx: RequestContext): void {
    if (ctx.actor.kind === 'user') this.policy.require(ctx.actor, 'media.upload', ctx.now);
  }
}

export async function countFiles(db: Executor, submissionId: number): Promise<SubmissionProgress> {
  const rows = await db.selectFrom('submission_files').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).where('submission_id', '=', submissionId).groupBy('status').execute();
  const by = { pending: 0, done: 0, error: 0 };
  for (const r of rows) by[r.status] = Number(r.n);
  return { files: by.pending + by.done + by.error, pending: by.pending, done: by.done, errors: by.error };
}

/**
 * Marks a sealed submission complete when no file is pending. Takes the submission's row lock first (PostgreSQL),
 * so that of two files finishing together, the second to commit sees the first and completes the submission.
 */
export async function completeIfDone(ctx: TxContext, submissionId: number): Promise<void> {
  const locked = await LOCK_SEALED.run(ctx.tx, { id: submissionId });
  if (Number(locked.numAffectedRows ?? 0n) === 0) return;
  // One index probe (submission_id, status), not a count of every file: this runs as each file finishes.
  const pending = await ANY_PENDING.executeTakeFirst(ctx.tx, { submissionId });
  if (pending) return;
  await ctx.tx.updateTable('submissions').set({ status: 'complete', completed_at: ctx.now }).where('id', '=', submissionId).execute();
}

function toSubmission(row: { [K in keyof SubmissionsTable]: unknown }): Submission {
  return {
    id: Number(row.id),
    userId: row.user_id === null ? null : Number(row.user_id),
    agencyId: row.agency_id === null ? null : Number(row.agency_id),
    countryCode: row.country_code as string | null,
    actorName: String(row.actor_name),
    reference: String(row.reference),
    device: String(row.device),
    notes: String(row.notes),
    status: row.status as Submission['status'],
    createdAt: Number(row.created_at),
    sealedAt: row.sealed_at === null ? null : Number(row.sealed_at),
    completedAt: row.completed_at === null ? null : Number(row.completed_at),
  };
}

function text(value: string | undefined, what: string): string {
  const v = (value ?? '').trim();
  if (v.length > TEXT_LIMIT) throw new InvalidError(`${what} is longer than ${TEXT_LIMIT} characters`);
  if (hasControlCharacters(v, true)) throw new InvalidError(`${what} contains control characters`);
  return v;
}

function checkCountry(code: string): string {
  if (!/^[A-Za-z]{2}$/.test(code)) throw new InvalidError('a country is an ISO 3166-1 alpha-2 code');
  return code.toUpperCase();
}

/** A refused entry's path, kept even when it is unsafe (as text only, never used on a filesystem). */
function safePath(raw: string): string {
  try {
    return normaliseSubmittedPath(raw);
  } catch {
    return `[refused] ${replaceControlCharacters(raw.normalize('NFC')).slice(0, 1000)}`;
  }
}
