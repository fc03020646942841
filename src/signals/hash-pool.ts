import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  AriadneError,
  ConfigError,
  ConflictError,
  ForbiddenError,
  IntegrityError,
  InvalidError,
  NotFoundError,
  UnauthenticatedError,
  UnavailableError,
  type ErrorKind,
} from '../core/errors.js';
import { configureWorkerHeaps } from '../core/worker-heap.js';
import type { LocalBlobAccess } from '../storage/local-blob-files.js';
import type { FileSignalOptions, FileSignals } from './file-hasher.js';
import type { StoredAndAnalysed, StoredAnalysis } from './stored-blobs.js';

/**
 * A pool of worker threads that read, decode and hash files (or buffers) off the main thread: md5, sha1, sha256 in
 * one pass, and PDQ for images. Parallelism comes from the workers (by default one per available core), each
 * holding up to two tasks so that one file's decode overlaps another's hashing.
 *
 * Tasks queue in order and go to the least busy worker, up to `tasksPerWorker` each. A worker that dies fails the
 * tasks it held with UnavailableError and is replaced. Idle workers do not keep the process alive; close() ends them.
 */

export type HashResult = FileSignals;

export interface HashPoolOptions {
  /** Number of worker threads (default os.availableParallelism()). */
  readonly size?: number;
  /** The worker script (default: the compiled hash-worker.js, see resolveWorkerScript). */
  readonly workerUrl?: URL;
  /**
   * Tasks each worker holds at once (default 2): while libvips decodes one file on the thread pool, the worker thread
   * hashes the pixels of the other, so a core is not left idle between the two.
   */
  readonly tasksPerWorker?: number;
  /**
   * A local blob store the workers may read and write themselves (analyseStored, storeFile). Without it those two
   * are unavailable and callers go through the store on their own thread.
   */
  readonly blobs?: LocalBlobAccess;
}

/** Messages between the pool and its workers. */
export type WorkerRequest = {
  readonly id: number;
  readonly source:
    | { readonly kind: 'file'; readonly path: string }
    | { readonly kind: 'bytes'; readonly bytes: ArrayBuffer }
    | { readonly kind: 'stored'; readonly sha256: string }
    | { readonly kind: 'store-file'; readonly path: string; readonly analyse: boolean };
  readonly options: FileSignalOptions;
};
export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly result: FileSignals | StoredAnalysis | StoredAndAnalysed | null }
  | { readonly id: number; readonly ok: false; readonly error: { readonly kind: ErrorKind | 'internal'; readonly message: string; readonly details?: Record<string, unknown> } };

interface Task {
  readonly request: WorkerRequest;
  readonly transfer: ArrayBuffer[];
  resolve(result: never): void;
  reject(error: unknown): void;
}

interface Slot {
  worker: Worker;
  /** Tasks sent to this worker and not yet answered, by request id. */
  readonly tasks: Map<number, Task>;
}

export class HashPool {
  readonly size: number;
  private readonly workerUrl: URL;
  private readonly tasksPerWorker: number;
  private readonly blobs: LocalBlobAccess | undefined;
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;

  constructor(options: HashPoolOptions = {}) {
    const size = options.size ?? availableParallelism();
    if (!Number.isInteger(size) || size < 1) throw new InvalidError(`hash pool size must be a positive integer, got ${size}`);
    this.size = size;
    this.workerUrl = options.workerUrl ?? resolveWorkerScript();
    const perWorker = options.tasksPerWorker ?? 2;
    if (!Number.isInteger(perWorker) || perWorker < 1) throw new InvalidError(`tasks per hash worker must be a positive integer, got ${perWorker}`);
    this.tasksPerWorker = perWorker;
    this.blobs = options.blobs;
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  /** Hashes a file by path (read in the worker). */
  hashFile(path: string, options: FileSignalOptions = {}): Promise<HashResult> {
    return this.submit({ kind: 'file', path: resolve(path) }, options, []);
  }

  /**
   * Hashes bytes in memory. By default they are copied to the worker and the caller's buffer stays usable. With
   * `handOver`, the caller gives the bytes up: when they fill their whole ArrayBuffer it moves to the worker without
   * a copy (and is detached here, as is every view of it); otherwise they are copied as usual.
   */
  hashBuffer(bytes: Uint8Array, options: FileSignalOptions = {}, handOver = false): Promise<HashResult> {
    const whole = bytes.buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    if (handOver && whole) return this.submit({ kind: 'bytes', bytes: bytes.buffer as ArrayBuffer }, options, [bytes.buffer as ArrayBuffer]);
    // A copy of exactly these bytes, transferred (Buffer#slice would share memory, and transferring would detach it).
    const copy = new Uint8Array(bytes.length);
    copy.set(bytes);
    return this.submit({ kind: 'bytes', bytes: copy.buffer }, options, [copy.buffer]);
  }

  /** Whether the workers read and write a local blob store themselves (analyseStored and storeFile work). */
  get storesBlobs(): boolean {
    return this.blobs !== undefined;
  }

  /**
   * A stored blob analysed in a worker, which reads and verifies it, and for an image decodes it once for PDQ, EXIF
   * and the renditions, and stores those in the blob store itself (stored-blobs.ts). Needs `blobs`.
   */
  analyseStored(sha256: string, options: FileSignalOptions = {}): Promise<StoredAnalysis> {
    return this.submit({ kind: 'stored', sha256 }, options, [], this.requireBlobs());
  }

  /**
   * A file read in a worker, its MD5, SHA-1 and SHA-256 computed, and stored in the blob store; with `analyse`, and
   * when its bytes are new to the store, analysed there and then as analyseStored would (stored-blobs.ts
   * storeLocalFile). Null when it is over 16 MiB (or still growing): stream it through the store instead. Needs
   * `blobs`.
   */
  storeFile(path: string, analyse?: FileSignalOptions): Promise<StoredAndAnalysed | null> {
    return this.submit<StoredAndAnalysed | null>({ kind: 'store-file', path: resolve(path), analyse: analyse !== undefined }, analyse ?? {}, [], this.requireBlobs());
  }

  private requireBlobs(): UnavailableError | undefined {
    return this.blobs ? undefined : new UnavailableError('this hash pool has no blob store to read or write');
  }

  /** Tasks waiting for a worker (not counting those running). */
  get pending(): number {
    return this.queue.length;
  }

  /** Ends the workers; queued tasks fail with UnavailableError. Running tasks are abandoned (their promises reject). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = new UnavailableError('hash pool closed');
    for (const task of this.queue.splice(0)) task.reject(error);
    await Promise.all(
      this.slots.map(async (slot) => {
        const tasks = [...slot.tasks.values()];
        slot.tasks.clear();
        for (const task of tasks) task.reject(error);
        await slot.worker.terminate();
      }),
    );
  }

  private submit<T = HashResult>(source: WorkerRequest['source'], options: FileSignalOptions, transfer: ArrayBuffer[], refused?: Error): Promise<T> {
    if (this.closed) return Promise.reject(new UnavailableError('hash pool closed'));
    if (refused) return Promise.reject(refused);
    return new Promise<T>((resolvePromise, rejectPromise) => {
      const request: WorkerRequest = { id: this.nextId++, source, options: { dihedral: options.dihedral, letterbox: options.letterbox, extract: options.extract, knownDigests: options.knownDigests } };
      this.queue.push({ request, transfer, resolve: resolvePromise as (result: never) => void, reject: rejectPromise });
      this.dispatch();
    });
  }

  /** Sends queued tasks to the least busy workers with room, so every worker gets one before any gets a second. */
  private dispatch(): void {
    while (this.queue.length > 0) {
      let best: Slot | undefined;
      for (const slot of this.slots) {
        if (slot.tasks.size < this.tasksPerWorker && (!best || slot.tasks.size < best.tasks.size)) best = slot;
      }
      if (!best) return;
      const task = this.queue.shift()!;
      best.tasks.set(task.request.id, task);
      best.worker.ref();
      try {
        best.worker.postMessage(task.request, task.transfer);
      } catch (error) {
        // A buffer that cannot move (one whose memory a native module owns) is copied instead.
        if (task.transfer.length === 0) throw error;
        best.worker.postMessage(task.request);
      }
    }
  }

  private spawn(): Slot {
    configureWorkerHeaps();
    const worker = new Worker(this.workerUrl, { workerData: { blobs: this.blobs } });
    const slot: Slot = { worker, tasks: new Map() };
    worker.unref();
    worker.on('message', (reply: WorkerReply) => {
      const task = slot.tasks.get(reply.id);
      if (!task) return;
      slot.tasks.delete(reply.id);
      if (slot.tasks.size === 0) worker.unref();
      if (reply.ok) task.resolve(reply.result as never);
      else task.reject(errorFromReply(reply.error));
      this.dispatch();
    });
    const fail = (reason: string) => {
      const tasks = [...slot.tasks.values()];
      slot.tasks.clear();
      for (const task of tasks) task.reject(new UnavailableError(`hash worker failed: ${reason}`));
      if (this.closed) return;
      const index = this.slots.indexOf(slot);
      if (index >= 0) this.slots[index] = this.spawn();
      this.dispatch();
    };
    worker.on('error', (error) => fail(error.message));
    worker.on('exit', (code) => {
      if (!this.closed && this.slots.includes(slot)) fail(`exited with code ${code}`);
    });
    return slot;
  }
}

export function errorFromReply(error: { kind: ErrorKind | 'internal'; message: string; details?: Record<string, unknown> }): Error {
  switch (error.kind) {
    case 'invalid':
      return new InvalidError(error.message, error.details);
    case 'not_found':
      return new NotFoundError(error.message, error.details);
    case 'forbidden':
      return new ForbiddenError(error.message, error.details);
    case 'unauthenticated':
      return new UnauthenticatedError(error.message);
    case 'conflict':
      return new ConflictError(error.message, error.details);
    case 'integrity':
      return new IntegrityError(error.message, error.details);
    case 'unavailable':
      return new UnavailableError(error.message, error.details);
    case 'config':
      return new ConfigError(String(error.details?.setting ?? 'hash worker'), error.message);
    default:
      return new Error(`hash worker: ${error.message}`);
  }
}

/**
 * Where the worker script is. From compiled code (dist/src/signals/hash-pool.js) it is the sibling hash-worker.js.
 * From TypeScript sources (vitest runs src/ directly, and Node 20 cannot run .ts in a worker) it is the compiled
 * file of the same path under dist/ at the project root, which `npm run build` writes (the test command builds first).
 */
export function resolveWorkerScript(moduleUrl: string = import.meta.url, name = 'hash-worker'): URL {
  const sibling = new URL(`./${name}.js`, moduleUrl);
  if (moduleUrl.endsWith('.js') && existsSync(fileURLToPath(sibling))) return sibling;
  const sourceDir = dirname(fileURLToPath(moduleUrl));
  const root = findProjectRoot(sourceDir);
  if (!root) throw new UnavailableError(`cannot find the project root above ${sourceDir} to locate the compiled ${name}.js`);
  const compiled = join(root, 'dist', relative(root, sourceDir), `${name}.js`);
  if (!existsSync(compiled)) {
    throw new UnavailableError(`the compiled hash worker is missing (${compiled}): run \`npm run build\` first`);
  }
  return pathToFileURL(compiled);
}

function findProjectRoot(start: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'tsconfig.build.json'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/** True when the error came from a worker's typed failure (a bad file), as opposed to a pool or worker fault. */
export function isFileError(error: unknown): boolean {
  return error instanceof AriadneError && error.kind !== 'unavailable';
}
