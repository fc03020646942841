import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { ErrorKind } from '../core/errors.js';
import type { ExchangeFormat, ExchangeProblem } from '../exchange/entry.js';
import type { VicsHeader } from '../exchange/vics.js';
import { errorFromReply, resolveWorkerScript } from '../signals/hash-pool.js';
import type { PackedEntries } from './packed-entries.js';

/** What the worker is started with. */
export interface ReaderSetup {
  readonly format: ExchangeFormat;
  readonly path: string;
  /** Problems listed at most over the whole read (the rest are only counted). */
  readonly maxProblems: number;
  /** Records in a batch. */
  readonly batchSize: number;
}

export type ReaderRequest = { readonly type: 'check' } | { readonly type: 'read'; readonly skip: number } | { readonly type: 'ack'; readonly batch: number };

/** The file read whole: its identity and structure. */
export interface FileCheck {
  readonly fileSha256: string;
  /** Records in the file, well-formed or not. */
  readonly records: number;
  readonly anyGood: boolean;
  /** The first record that could not be read, while none could. */
  readonly firstProblem: ExchangeProblem | null;
  readonly header: VicsHeader | null;
}

/** Records read from the file, in file order: the good ones packed (in key order), the others as problems. */
export interface ReadBatch {
  /** 1, 2, …: the batches of one read, in order. */
  readonly batch: number;
  /** The last batch of the file (it may hold no records). */
  readonly final: boolean;
  /** Records in this batch, well-formed or not. */
  readonly records: number;
  /** Problems listed (up to the read's limit); `problemCount` counts them all. */
  readonly problems: readonly ExchangeProblem[];
  readonly problemCount: number;
  readonly packed: PackedEntries;
}

export type WorkerMessage =
  | ({ readonly type: 'checked' } & Omit<FileCheck, 'fileSha256'>)
  | ({ readonly type: 'batch' } & ReadBatch)
  | { readonly type: 'error'; readonly error: { kind: string; message: string; details?: Record<string, unknown> } };

/**
 * Reads an exchange file on a worker thread (import-worker.ts), so parsing one batch overlaps writing the last and the
 * importing thread stays free for other requests. One reader per file; `close` ends its thread.
 */
export class ImportReader {
  private readonly worker: Worker;
  private readonly inbox: WorkerMessage[] = [];
  private waiting: { resolve: (m: WorkerMessage) => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;
  private closed = false;

  constructor(
    private readonly setup: ReaderSetup,
    workerUrl: URL = resolveWorkerScript(import.meta.url, 'import-worker'),
  ) {
    // Parsing makes short-lived garbage only: a small young generation keeps the thread's memory down at little cost.
    this.worker = new Worker(workerUrl, { workerData: setup, resourceLimits: { maxYoungGenerationSizeMb: 8 } });
    this.worker.on('message', (m: WorkerMessage) => this.deliver(m));
    this.worker.on('error', (e) => this.fail(e));
    this.worker.on('exit', (code) => {
      if (!this.closed) this.fail(new Error(`the import reader stopped (exit code ${code})`));
    });
  }

  /**
   * Reads the whole file for its structure (on the worker) and its SHA-256 (on this thread, at the same time: it is
   * idle until the check ends). Structural errors reject, as they do when importing.
   */
  async check(): Promise<FileCheck> {
    this.worker.postMessage({ type: 'check' } satisfies ReaderRequest);
    const [m, fileSha256] = await Promise.all([this.next(), sha256Of(this.setup.path)]);
    if (m.type !== 'checked') throw new Error(`import reader: expected the check, got ${m.type}`);
    const { type: _type, ...check } = m;
    return { ...check, fileSha256 };
  }

  /**
   * The file's records after the first `skip`, in batches of the setup's size. The worker parses the next batch
   * while the caller handles this one, and waits for the caller to ask for it before parsing another. (From the
   * first record, it has started as soon as the check ended.)
   */
  async *read(skip: number): AsyncGenerator<ReadBatch> {
    this.worker.postMessage({ type: 'read', skip } satisfies ReaderRequest);
    for (;;) {
      const m = await this.next();
      if (m.type !== 'batch') throw new Error(`import reader: expected a batch, got ${m.type}`);
      const { type: _type, ...batch } = m;
      yield batch;
      if (batch.final) return;
      this.worker.postMessage({ type: 'ack', batch: batch.batch } satisfies ReaderRequest);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.worker.terminate();
  }

  private next(): Promise<WorkerMessage> {
    const m = this.inbox.shift();
    if (m !== undefined) return m.type === 'error' ? Promise.reject(toError(m.error)) : Promise.resolve(m);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  private deliver(m: WorkerMessage): void {
    const waiting = this.waiting;
    if (!waiting) {
      this.inbox.push(m);
      return;
    }
    this.waiting = null;
    if (m.type === 'error') waiting.reject(toError(m.error));
    else waiting.resolve(m);
  }

  private fail(e: Error): void {
    this.failure ??= e;
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.reject(this.failure);
  }
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function toError(error: { kind: string; message: string; details?: Record<string, unknown> }): Error {
  if (error.kind === 'internal') return new Error(`import reader: ${error.message}`);
  return errorFromReply({ ...error, kind: error.kind as ErrorKind });
}
