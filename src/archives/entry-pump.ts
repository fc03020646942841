import { PassThrough, type Readable } from 'node:stream';
import { RATIO_GRACE_BYTES } from '../media/limits.js';
import { ArchiveEntryError } from './archive-entry.js';
import { crc32 } from './entry-names.js';

/**
 * Moves one entry's decompressed bytes from the format reader to the consumer's stream, counting them: an entry that
 * passes its declared size, the per-file limit or the compression-ratio limit is cut, and every byte counts against
 * the archive's total budget.
 *
 * Sequential formats (tar, the 7z output stream) must consume each entry's bytes before the next entry exists, so
 * there an entry nobody opened is drained ('drain'); random-access ZIP simply skips it ('stop').
 */

/** Decompressed bytes of one archive, all entries together. */
export class ArchiveBudget {
  used = 0;
  constructor(readonly maxTotal: number) {}

  /** Counts n bytes; false once the total passes the limit. */
  add(n: number): boolean {
    this.used += n;
    return this.used <= this.maxTotal;
  }

  get exceeded(): boolean {
    return this.used > this.maxTotal;
  }
}

export interface PumpLimits {
  readonly path: string;
  readonly declaredSize: number;
  /** Compressed size, for the ratio check (ZIP entries). */
  readonly compressedSize?: number;
  readonly maxFileBytes: number;
  readonly maxRatio: number;
  /** The body must produce exactly declaredSize bytes (fewer means a truncated or corrupt archive). */
  readonly exact: boolean;
  /** CRC-32 the bytes must have (ZIP; yauzl does not check it). Checked only when the entry is read to its end. */
  readonly crc32?: number;
}

export type EntryBody = AsyncIterable<Uint8Array>;

export class EntryPump {
  private out: PassThrough | undefined;
  private running: Promise<void> | undefined;
  private settling = false;
  private wake: (() => void) | undefined;
  /** Why the entry failed, once it has: the reader yields a problem for it. */
  failure: ArchiveEntryError | undefined;

  constructor(
    private readonly body: () => EntryBody | Promise<EntryBody>,
    private readonly limits: PumpLimits,
    private readonly budget: ArchiveBudget,
    private readonly unopened: 'stop' | 'drain',
  ) {}

  open(): Readable {
    if (this.out || this.settling) throw new Error(`archive entry ${this.limits.path}: open() may be called once, before the next entry is requested`);
    const out = new PassThrough();
    this.out = out;
    this.running = this.run(out);
    return out;
  }

  /** Called when the consumer asks for the next entry: drains or cuts what is left of this one. */
  async settle(): Promise<void> {
    this.settling = true;
    this.wake?.();
    if (!this.running) this.running = this.unopened === 'drain' ? this.run(undefined) : Promise.resolve();
    await this.running;
  }

  private fail(error: ArchiveEntryError): void {
    this.failure ??= error;
    if (this.out && !this.out.destroyed && !this.out.writableEnded) this.out.destroy(error);
  }

  private violation(count: number): ArchiveEntryError | undefined {
    const { path, declaredSize, compressedSize, maxFileBytes, maxRatio } = this.limits;
    if (this.budget.exceeded) {
      return new ArchiveEntryError('total_size', `${path}: the archive decompressed to more than ${this.budget.maxTotal} bytes`, { path });
    }
    if (count > declaredSize) {
      return new ArchiveEntryError('too_large', `${path}: decompressed to more than its declared ${declaredSize} bytes`, { path, declaredSize });
    }
    if (count > maxFileBytes) return new ArchiveEntryError('too_large', `${path}: larger than the limit of ${maxFileBytes} bytes`, { path, maxFileBytes });
    if (compressedSize !== undefined && count > RATIO_GRACE_BYTES && count / Math.max(1, compressedSize) > maxRatio) {
      return new ArchiveEntryError('ratio', `${path}: compression ratio above ${maxRatio}:1 (a decompression bomb?)`, { path, compressedSize, maxRatio });
    }
    return undefined;
  }

  private async run(out: PassThrough | undefined): Promise<void> {
    let deliver = out !== undefined;
    let count = 0;
    let crc = 0;
    const checkCrc = this.limits.crc32 !== undefined && out !== undefined;
    try {
      const source = await this.body();
      for await (const chunk of source) {
        count += chunk.length;
        this.budget.add(chunk.length);
        const problem = this.violation(count);
        if (problem) {
          this.fail(problem);
          if (this.unopened === 'stop' || problem.code === 'total_size') return;
          deliver = false;
          continue;
        }
        if (checkCrc) crc = crc32(chunk, crc);
        if (!deliver || !out) continue;
        if (out.destroyed) {
          // The consumer gave up on the stream.
          if (this.unopened === 'stop') return;
          deliver = false;
          continue;
        }
        if (!out.write(chunk)) {
          if (!this.settling) await this.waitDrain(out);
          if (this.settling && out.writableNeedDrain && !out.destroyed) {
            this.fail(new ArchiveEntryError('not_read', `${this.limits.path}: the entry's stream was not read before the next entry was requested`));
            if (this.unopened === 'stop') return;
            deliver = false;
          }
        }
      }
      if (this.limits.exact && count < this.limits.declaredSize && !this.failure) {
        this.fail(new ArchiveEntryError('corrupt', `${this.limits.path}: truncated, ${count} of ${this.limits.declaredSize} bytes`, { path: this.limits.path }));
      }
      if (checkCrc && !this.failure && crc !== this.limits.crc32) {
        this.fail(new ArchiveEntryError('corrupt', `${this.limits.path}: CRC-32 mismatch, the data is corrupt`, { path: this.limits.path }));
      }
      if (deliver && out && !out.destroyed) out.end();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // yauzl's own size check (validateEntrySizes) fires before ours sees the extra bytes.
      const code = /too many bytes/i.test(message) ? 'too_large' : 'corrupt';
      this.fail(new ArchiveEntryError(code, `${this.limits.path}: cannot decompress: ${message}`, { path: this.limits.path }));
    }
  }

  private waitDrain(out: PassThrough): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        out.off('drain', done);
        out.off('close', done);
        this.wake = undefined;
        resolve();
      };
      out.on('drain', done);
      out.on('close', done);
      this.wake = done;
    });
  }
}
