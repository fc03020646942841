import { Worker } from 'node:worker_threads';
import { InvalidError, UnavailableError } from '../core/errors.js';
import { errorFromReply, resolveWorkerScript } from '../signals/hash-pool.js';
import type { AnalyseResult, MatchResult, VisionReply, VisionRequest } from './vision/vision-protocol.js';

export interface VisionPoolOptions {
  /** Worker threads (default 1: the models are large, and ingest's hash workers need the cores more). */
  readonly size?: number;
  readonly workerUrl?: URL;
}

interface Task {
  readonly request: VisionRequest;
  readonly transfer: ArrayBuffer[];
  resolve(result: unknown): void;
  reject(error: unknown): void;
}

/**
 * Worker threads that run the vision models (faces, scene descriptors, ORB matching) off the main thread. Workers
 * start on the first task and load their models once; tasks queue in order. A worker that dies fails its task with
 * UnavailableError and is replaced on the next task. Idle workers do not keep the process alive.
 */
export class VisionPool {
  readonly size: number;
  private readonly workerUrl: URL;
  private readonly slots: Array<{ worker: Worker | undefined; task: Task | undefined }> = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;

  constructor(options: VisionPoolOptions = {}) {
    const size = options.size ?? 1;
    if (!Number.isInteger(size) || size < 1 || size > 64) throw new InvalidError(`vision pool size must be 1 to 64, got ${size}`);
    this.size = size;
    this.workerUrl = options.workerUrl ?? resolveWorkerScript(import.meta.url, 'vision/vision-worker');
    for (let i = 0; i < size; i++) this.slots.push({ worker: undefined, task: undefined });
  }

  /** Faces (boxes, scores, 128-d descriptors) and/or the scene descriptor of an image file's bytes. */
  analyse(bytes: Uint8Array, what: { faces: boolean; scene: boolean }): Promise<AnalyseResult> {
    const copy = Uint8Array.from(bytes);
    return this.submit({ id: this.nextId++, op: 'analyse', bytes: copy.buffer, faces: what.faces, scene: what.scene }, [copy.buffer]) as Promise<AnalyseResult>;
  }

  /** ORB + RANSAC between two image files' bytes. */
  match(a: Uint8Array, b: Uint8Array): Promise<MatchResult> {
    const ca = Uint8Array.from(a);
    const cb = Uint8Array.from(b);
    return this.submit({ id: this.nextId++, op: 'match', a: ca.buffer, b: cb.buffer }, [ca.buffer, cb.buffer]) as Promise<MatchResult>;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = new UnavailableError('vision pool closed');
    for (const task of this.queue.splice(0)) task.reject(error);
    await Promise.all(
      this.slots.map(async (slot) => {
        slot.task?.reject(error);
        slot.task = undefined;
        await slot.worker?.terminate();
      }),
    );
  }

  private submit(request: VisionRequest, transfer: ArrayBuffer[]): Promise<unknown> {
    if (this.closed) return Promise.reject(new UnavailableError('vision pool closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ request, transfer, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.task) continue;
      const task = this.queue.shift()!;
      slot.task = task;
      slot.worker ??= this.spawn(slot);
      slot.worker.ref();
      slot.worker.postMessage(task.request, task.transfer);
    }
  }

  private spawn(slot: { worker: Worker | undefined; task: Task | undefined }): Worker {
    const worker = new Worker(this.workerUrl);
    worker.unref();
    worker.on('message', (reply: VisionReply) => {
      const task = slot.task;
      slot.task = undefined;
      worker.unref();
      if (task && task.request.id === reply.id) {
        if (reply.ok) task.resolve(reply.result);
        else task.reject(reply.error.kind === 'internal' ? new UnavailableError(`vision worker failed: ${reply.error.message}`) : errorFromReply(reply.error));
      }
      this.dispatch();
    });
    const fail = (error: Error) => {
      const task = slot.task;
      slot.task = undefined;
      slot.worker = undefined;
      task?.reject(new UnavailableError(`vision worker stopped: ${error.message}`));
      if (!this.closed) this.dispatch();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (slot.worker === worker) fail(new Error(`exit code ${code}`));
    });
    return worker;
  }
}
