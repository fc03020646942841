import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { RequestContext, UserActor } from '../auth/actor.js';
import type { AccessPolicy } from '../auth/policy.js';
import { ConflictError, ForbiddenError, InvalidError, NotFoundError } from '../core/errors.js';
import { normaliseSubmittedPath } from '../ingest/paths.js';
import type { AddedFile, SubmissionService } from '../ingest/submission-service.js';
import { UPLOAD_ID, type StoredUpload, type UploadRecord, type UploadStore } from './upload-store.js';

/** How long a request waits for another writer of the same upload before it answers Conflict. */
const LOCK_WAIT_MS = 5000;

/**
 * An upload or a PATCH body larger than allowed (the declared Upload-Length, or Tus-Max-Size). Not an AriadneError
 * kind: it carries its HTTP status like Fastify's own client errors (413), which api/error-handler.ts passes through.
 */
export class UploadTooLargeError extends Error {
  readonly statusCode = 413;
  readonly code = 'too_large';
  constructor(message: string) {
    super(message);
    this.name = 'UploadTooLargeError';
  }
}

/** What a caller learns about an upload (HEAD, and the answers to creation and PATCH). */
export interface UploadView {
  readonly id: string;
  readonly length: number;
  readonly offset: number;
  readonly metadata: Readonly<Record<string, string>>;
  readonly expiresAt: number;
  readonly submissionId: number;
  readonly path: string;
  /** Set once every byte arrived and the file was handed to its submission. */
  readonly file: AddedFile | null;
}

export interface NewUpload {
  /** Upload-Length. */
  readonly length: number;
  /** Upload-Metadata, parsed: `submissionId` and `filename` (the path in the seizure) required, `mtime` (epoch ms) optional. */
  readonly metadata: Readonly<Record<string, string>>;
}

export interface UploadServiceOptions {
  readonly store: UploadStore;
  readonly submissions: SubmissionService;
  readonly policy: AccessPolicy;
  /** Largest upload accepted (Tus-Max-Size). */
  readonly maxSize: number;
  /** An unfinished upload is removed this long after its creation or its last write. */
  readonly expiryMs: number;
  /**
   * A PATCH body that sends nothing for this long counts as broken off (a client gone without closing its
   * connection would otherwise hold the upload); default 60 s.
   */
  readonly bodyIdleMs?: number;
  readonly logger?: Logger;
}

/**
 * Resumable uploads (the tus 1.0.0 model: create with a length, append at the current offset, ask for the offset,
 * terminate). The bytes never touch the disk in plaintext: each appended body is sealed as its own chunk
 * (upload-store.ts). When the last byte arrives, the chunks are decrypted in order straight into
 * SubmissionService.addFile, so the file lands in the encrypted blob store with its ingest job, and the chunks are
 * deleted. An upload belongs to the user who created it and to a submission that user may add to; anyone else gets
 * NotFound. Writes to one upload are serialised in this process (a second writer waits briefly, then gets Conflict).
 */
export class UploadService {
  readonly maxSize: number;
  readonly expiryMs: number;
  private readonly bodyIdleMs: number;
  private readonly store: UploadStore;
  private readonly submissions: SubmissionService;
  private readonly policy: AccessPolicy;
  private readonly logger: Logger | undefined;
  /** Uploads being written in this process, with a promise that settles when the writer is done. */
  private readonly busy = new Map<string, Promise<void>>();

  constructor(options: UploadServiceOptions) {
    this.store = options.store;
    this.submissions = options.submissions;
    this.policy = options.policy;
    this.maxSize = options.maxSize;
    this.expiryMs = options.expiryMs;
    this.bodyIdleMs = options.bodyIdleMs ?? 60_000;
    this.logger = options.logger;
  }

  async create(ctx: RequestContext, input: NewUpload): Promise<UploadView> {
    const actor = this.requireUploader(ctx);
    if (!Number.isSafeInteger(input.length) || input.length < 0) throw new InvalidError('Upload-Length must be a whole number of bytes');
    if (input.length > this.maxSize) throw new UploadTooLargeError(`the upload is ${input.length} bytes; the largest accepted is ${this.maxSize} (Tus-Max-Size)`);
    const submissionId = positiveInt(input.metadata.submissionId, 'submissionId');
    const path = normaliseSubmittedPath(requiredText(input.metadata.filename, 'filename'));
    const mtime = input.metadata.mtime === undefined || input.metadata.mtime === '' ? null : epochMs(input.metadata.mtime);
    const submission = await this.submissions.get(ctx, submissionId);
    if (submission.status !== 'open') throw new ConflictError(`submission ${submissionId} is ${submission.status}: no more files can be added`);
    const record: UploadRecord = {
      version: 1,
      id: randomBytes(16).toString('hex'),
      userId: actor.userId,
      submissionId,
      path,
      mtime,
      length: input.length,
      offset: 0,
      metadata: { ...input.metadata },
      createdAt: ctx.now,
      expiresAt: ctx.now + this.expiryMs,
      completed: null,
    };
    await this.store.create(record);
    this.logger?.info({ upload: record.id, submissionId, length: record.length, userId: actor.userId }, 'resumable upload created');
    if (record.length === 0) return this.withLock(record.id, async () => this.complete(ctx, { record, offset: 0, chunks: [] }));
    return view({ record, offset: 0, chunks: [] });
  }

  /** The upload's state (HEAD). */
  async status(ctx: RequestContext, id: string): Promise<UploadView> {
    const upload = await this.load(ctx, id);
    // Every byte is in but the file was not handed over (the process stopped in between): a client that sees the
    // full offset sends nothing more, so finish here.
    if (upload.offset === upload.record.length && !upload.record.completed && !this.busy.has(id)) {
      return this.withLock(id, async () => {
        const current = await this.load(ctx, id);
        return current.record.completed || current.offset !== current.record.length ? view(current) : this.complete(ctx, current);
      });
    }
    return view(upload);
  }

  /**
   * Appends `body` at `offset`, which must be the upload's current offset (else Conflict). What arrives is sealed as
   * one chunk; if the body breaks off (the client went away), the bytes received so far still count. More bytes than
   * the upload has left fail with UploadTooLargeError and nothing of this body counts. When the last byte is in, the
   * file goes to its submission before this returns.
   */
  async append(ctx: RequestContext, id: string, offset: number, body: Readable, contentLength?: number): Promise<UploadView> {
    await this.load(ctx, id);
    return this.withLock(id, async () => {
      // Read again under the lock: a PATCH that just finished moved the offset.
      const current = await this.load(ctx, id);
      if (offset !== current.offset) {
        throw new ConflictError(`Upload-Offset is ${offset}, but the upload holds ${current.offset} bytes: ask HEAD for the offset and resume there`, { offset: current.offset });
      }
      const { record } = current;
      const remaining = record.length - current.offset;
      if (contentLength !== undefined && contentLength > remaining) {
        throw new UploadTooLargeError(`the body is ${contentLength} bytes, but the upload has ${remaining} bytes left of its Upload-Length ${record.length}`);
      }
      if (record.completed) return view(current);
      const written = await this.store.appendChunk(id, current.offset, Readable.from(received(body, remaining, record.length, this.bodyIdleMs), { objectMode: false }));
      const updated: UploadRecord = { ...record, offset: current.offset + written, expiresAt: Date.now() + this.expiryMs };
      await this.store.writeRecord(updated);
      const after = await this.store.read(id);
      if (!after) throw new NotFoundError('no such upload');
      if (after.offset === record.length) return this.complete(ctx, after);
      return view(after);
    });
  }

  /** Removes the upload and everything received for it (tus termination). */
  async terminate(ctx: RequestContext, id: string): Promise<void> {
    await this.load(ctx, id);
    await this.withLock(id, async () => {
      await this.store.remove(id);
      this.logger?.info({ upload: id }, 'resumable upload terminated');
    });
  }

  /**
   * Removes uploads that expired (no write for the expiry period; completed ones keep their record until then) and
   * directories whose info file is unreadable and older than the expiry period. Returns how many were removed.
   */
  async sweep(now = Date.now()): Promise<number> {
    let removed = 0;
    for (const id of await this.store.list()) {
      if (this.busy.has(id)) continue;
      let expired: boolean;
      try {
        const record = await this.store.readRecord(id);
        expired = record ? record.expiresAt <= now : ((await this.store.modifiedAt(id)) ?? now) + this.expiryMs <= now;
      } catch (error) {
        this.logger?.warn({ err: error, upload: id }, 'unreadable upload record');
        expired = ((await this.store.modifiedAt(id)) ?? now) + this.expiryMs <= now;
      }
      if (!expired) continue;
      await this.store.remove(id);
      removed++;
    }
    if (removed) this.logger?.info({ removed }, 'expired resumable uploads removed');
    return removed;
  }

  /** Decrypts the chunks in order into the submission, records the result, then deletes the chunks. */
  private async complete(ctx: RequestContext, upload: StoredUpload): Promise<UploadView> {
    const { record } = upload;
    const file = await this.submissions.addFile(ctx, record.submissionId, { path: record.path, mtime: record.mtime }, this.store.plaintext(record.id, upload.chunks));
    const completed: UploadRecord = { ...record, offset: record.length, completed: { fileId: file.fileId, sha256: file.sha256, added: file.added, at: Date.now() } };
    await this.store.writeRecord(completed);
    await this.store.removeChunks(record.id);
    this.logger?.info({ upload: record.id, submissionId: record.submissionId, fileId: file.fileId, added: file.added }, 'resumable upload complete');
    return { ...view({ record: completed, offset: record.length, chunks: [] }), file };
  }

  /** The caller's own, unexpired upload into a submission it may still see; NotFound for anything else. */
  private async load(ctx: RequestContext, id: string): Promise<StoredUpload> {
    const actor = this.requireUploader(ctx);
    if (!UPLOAD_ID.test(id)) throw new NotFoundError('no such upload');
    const upload = await this.store.read(id);
    if (!upload || upload.record.userId !== actor.userId) throw new NotFoundError('no such upload');
    if (upload.record.expiresAt <= ctx.now) {
      if (!this.busy.has(id)) await this.store.remove(id);
      throw new NotFoundError('no such upload (it expired)');
    }
    await this.submissions.get(ctx, upload.record.submissionId);
    return upload;
  }

  /**
   * Runs `fn` as the only writer of the upload in this process. A writer already at work (often the PATCH of a
   * connection that just broke, still sealing what it received) is waited for up to LOCK_WAIT_MS; then Conflict.
   */
  private async withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (let held = this.busy.get(id); held; held = this.busy.get(id)) {
      const left = deadline - Date.now();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([held.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), Math.max(0, left))))]);
      clearTimeout(timer);
      if (timedOut) throw new ConflictError('another request is writing to this upload: ask HEAD for the offset and try again');
    }
    let release!: () => void;
    this.busy.set(id, new Promise<void>((resolve) => (release = resolve)));
    try {
      return await fn();
    } finally {
      this.busy.delete(id);
      release();
    }
  }

  private requireUploader(ctx: RequestContext): UserActor {
    const actor = ctx.actor;
    if (actor.kind !== 'user') throw new ForbiddenError('resumable uploads belong to a signed-in user');
    this.policy.require(actor, 'media.upload', ctx.now);
    return actor;
  }
}

/**
 * The bytes of a PATCH body as they arrive, at most `limit` of them (more fail with UploadTooLargeError). A body that
 * breaks off (client gone, connection reset) or sends nothing for `idleMs` simply ends: what arrived is kept, as tus
 * asks; an idle body is destroyed (its connection with it).
 */
async function* received(body: Readable, limit: number, length: number, idleMs: number): AsyncGenerator<Buffer> {
  const iterator = body[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  let seen = 0;
  for (;;) {
    let next: IteratorResult<Buffer | string> | 'idle';
    let timer: NodeJS.Timeout | undefined;
    try {
      next = await Promise.race([iterator.next(), new Promise<'idle'>((resolve) => (timer = setTimeout(() => resolve('idle'), idleMs)))]);
    } catch {
      return;
    } finally {
      clearTimeout(timer);
    }
    if (next === 'idle') {
      body.destroy();
      return;
    }
    if (next.done) return;
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    seen += chunk.length;
    if (seen > limit) {
      throw new UploadTooLargeError(`the body holds more than the ${limit} bytes left of the upload's Upload-Length ${length}`);
    }
    yield chunk;
  }
}

function view(upload: StoredUpload): UploadView {
  const { record } = upload;
  return {
    id: record.id,
    length: record.length,
    offset: record.completed ? record.length : upload.offset,
    metadata: record.metadata,
    expiresAt: record.expiresAt,
    submissionId: record.submissionId,
    path: record.path,
    file: record.completed ? { fileId: record.completed.fileId, path: record.path, sha256: record.completed.sha256, added: record.completed.added } : null,
  };
}

function requiredText(value: string | undefined, key: string): string {
  if (value === undefined || value === '') throw new InvalidError(`Upload-Metadata must give "${key}"`);
  return value;
}

function positiveInt(value: string | undefined, key: string): number {
  const text = requiredText(value, key);
  if (!/^[1-9][0-9]{0,15}$/.test(text) || !Number.isSafeInteger(Number(text))) throw new InvalidError(`Upload-Metadata "${key}" must be a positive whole number`);
  return Number(text);
}

function epochMs(value: string): number {
  if (!/^[0-9]{1,15}$/.test(value)) throw new InvalidError('Upload-Metadata "mtime" must be epoch milliseconds');
  return Number(value);
}
