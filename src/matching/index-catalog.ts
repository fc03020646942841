import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AriadneError } from '../core/errors.js';
import { ExactIndex, type DigestAlgorithm } from '../index/exact-index.js';
import { MultiIndexHashIndex } from '../index/multi-index-hash-index.js';
import { FrameTable } from '../video/frame-table.js';
import type { SignalName, SignalStore } from './signal-store.js';

export interface CatalogLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface IndexCatalogOptions {
  readonly store: SignalStore;
  /** Snapshots live in `<snapshotDir>/<databaseId>/`; undefined keeps the indexes in memory only. */
  readonly snapshotDir: string | undefined;
  readonly logger: CatalogLogger;
  /** Rows read per database round trip while building or catching up. */
  readonly batchSize?: number;
}

const DIGESTS: readonly DigestAlgorithm[] = ['md5', 'sha1', 'sha256'];
const SIGNALS: readonly SignalName[] = ['pdq', ...DIGESTS];
/** Video frame hashes (vpdq) live in the PDQ index beside image hashes. */
const PDQ_SIGNALS: readonly SignalName[] = ['pdq', 'vpdq'];
const slotOf = (signal: SignalName): SignalName => (signal === 'vpdq' ? 'pdq' : signal);

type AnyIndex = MultiIndexHashIndex | ExactIndex;

interface Slot {
  index: AnyIndex;
  /** Last change sequence applied to this index. */
  checkpoint: number;
}

/**
 * The in-memory indexes (PDQ multi-index hashing, exact tables for MD5/SHA-1/SHA-256), derived from the database's
 * signal entries. At open each index is loaded from its snapshot and caught up from the snapshot's checkpoint via
 * the change log, or rebuilt from the database when the snapshot is missing, corrupt or from the future (a
 * restored database). `catchUp()` applies new changes (call it after a commit, and periodically for other
 * processes' writes). Queries and updates happen on one thread; catch-ups are serialised.
 */
export class IndexCatalog {
  private readonly slots = new Map<SignalName, Slot>();
  /** Which PDQ index entries are video frames: entry id -> (video, time). Rebuilt from the database at open. */
  readonly frames = new FrameTable();
  private readonly options: IndexCatalogOptions;
  private snapshotPath: string | undefined;
  private pending: Promise<number> | undefined;
  /** Whether the indexes differ from their snapshots on disk (built, or changes applied since). */
  private dirty = false;

  private constructor(options: IndexCatalogOptions) {
    this.options = options;
  }

  static async open(options: IndexCatalogOptions): Promise<IndexCatalog> {
    const catalog = new IndexCatalog(options);
    await catalog.load();
    return catalog;
  }

  get pdq(): MultiIndexHashIndex {
    return this.slots.get('pdq')!.index as MultiIndexHashIndex;
  }

  exact(algorithm: DigestAlgorithm): ExactIndex {
    return this.slots.get(algorithm)!.index as ExactIndex;
  }

  /** The change sequence every index has reached. */
  get checkpoint(): number {
    let min = Number.MAX_SAFE_INTEGER;
    for (const s of this.slots.values()) min = Math.min(min, s.checkpoint);
    return min;
  }

  sizes(): Record<SignalName, number> {
    const out = {} as Record<SignalName, number>;
    for (const [name, s] of this.slots) out[name] = s.index.size;
    return out;
  }

  memoryBytes(): number {
    let total = 0;
    for (const s of this.slots.values()) total += s.index.memoryBytes();
    return total + this.frames.memoryBytes();
  }

  /** Applies every change committed since the last call; returns how many were applied. */
  catchUp(): Promise<number> {
    this.pending ??= this.applyChanges().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** Writes every index's snapshot (atomically) with its checkpoint, unless nothing changed since the last one. */
  async saveSnapshots(): Promise<void> {
    if (this.snapshotPath === undefined) return;
    await this.catchUp();
    if (!this.dirty) return;
    this.dirty = false;
    await mkdir(this.snapshotPath, { recursive: true, mode: 0o700 });
    for (const [name, slot] of this.slots) await slot.index.save(join(this.snapshotPath, `${name}.snap`), slot.checkpoint);
  }

  private async load(): Promise<void> {
    const { store, snapshotDir, logger } = this.options;
    const maxSeq = await store.maxSeq();
    if (snapshotDir !== undefined) this.snapshotPath = join(snapshotDir, await store.databaseId());
    for (const name of SIGNALS) {
      const started = Date.now();
      const loaded = await this.loadSnapshot(name, maxSeq);
      if (loaded) {
        this.slots.set(name, loaded);
        logger.info({ signal: name, entries: loaded.index.size, checkpoint: loaded.checkpoint, ms: Date.now() - started }, 'index loaded from snapshot');
      } else {
        const built = await this.build(name);
        this.slots.set(name, built);
        this.dirty = true;
        logger.info({ signal: name, entries: built.index.size, checkpoint: built.checkpoint, ms: Date.now() - started }, 'index built from the database');
      }
    }
    await this.loadFrames();
    await this.catchUp();
  }

  /** Fills the frame table from the live vpdq entries (snapshots hold hashes only; a later catch-up may repeat some). */
  private async loadFrames(): Promise<void> {
    const batch = this.options.batchSize ?? 50_000;
    let after = 0;
    for (;;) {
      const rows = await this.options.store.scanLive('vpdq', after, batch);
      for (const r of rows) if (r.mediaId !== null) this.frames.add(r.id, r.mediaId, r.frameMs ?? 0);
      if (rows.length < batch) return;
      after = rows[rows.length - 1].id;
    }
  }

  private async loadSnapshot(name: SignalName, maxSeq: number): Promise<Slot | undefined> {
    if (this.snapshotPath === undefined) return undefined;
    const path = join(this.snapshotPath, `${name}.snap`);
    try {
      const { index, checkpoint } = name === 'pdq' ? await MultiIndexHashIndex.load(path) : await ExactIndex.load(path);
      const cp = Number(checkpoint);
      if (cp > maxSeq) {
        this.options.logger.warn({ signal: name, path, checkpoint: cp, databaseSeq: maxSeq }, 'index snapshot is ahead of the database (restored backup?); rebuilding');
        return undefined;
      }
      if (name !== 'pdq' && (index as ExactIndex).algorithm !== name) {
        this.options.logger.warn({ signal: name, path }, 'index snapshot holds another signal; rebuilding');
        return undefined;
      }
      return { index, checkpoint: cp };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') {
        this.options.logger.warn({ signal: name, path, reason: (error as Error).message }, error instanceof AriadneError ? 'index snapshot rejected; rebuilding' : 'index snapshot unreadable; rebuilding');
      }
      return undefined;
    }
  }

  /** Builds one index from a consistent read of the live entries and the change sequence it reflects. */
  private async build(name: SignalName): Promise<Slot> {
    const { store } = this.options;
    const batch = this.options.batchSize ?? 50_000;
    const width = name === 'pdq' ? 32 : name === 'md5' ? 16 : name === 'sha1' ? 20 : 32;
    return store.database
      .transaction()
      .setIsolationLevel('repeatable read')
      .execute(async (tx) => {
        const checkpoint = await store.maxSeq(tx);
        let ids = new Uint32Array(1024);
        let packed = new Uint8Array(1024 * width);
        let n = 0;
        let after = 0;
        for (;;) {
          const rows = await store.scanLive(name === 'pdq' ? PDQ_SIGNALS : name, after, batch, tx);
          if (rows.length === 0) break;
          if (n + rows.length > ids.length) {
            const capacity = Math.max(ids.length * 2, n + rows.length);
            const grownIds = new Uint32Array(capacity);
            grownIds.set(ids.subarray(0, n));
            const grownPacked = new Uint8Array(capacity * width);
            grownPacked.set(packed.subarray(0, n * width));
            ids = grownIds;
            packed = grownPacked;
          }
          for (const row of rows) {
            ids[n] = row.id;
            packed.set(row.hash, n * width);
            n++;
          }
          after = rows[rows.length - 1].id;
          if (rows.length < batch) break;
        }
        let index: AnyIndex;
        if (name === 'pdq') {
          const mih = new MultiIndexHashIndex();
          mih.build(ids.subarray(0, n), packed.subarray(0, n * 32));
          index = mih;
        } else {
          const exact = new ExactIndex(name as DigestAlgorithm, { capacity: n });
          for (let i = 0; i < n; i++) exact.add(ids[i], packed, i * width);
          index = exact;
        }
        return { index, checkpoint };
      });
  }

  private async applyChanges(): Promise<number> {
    const { store } = this.options;
    const batch = this.options.batchSize ?? 50_000;
    let applied = 0;
    for (;;) {
      const from = this.checkpoint;
      const changes = await store.changesSince(from, batch);
      if (changes.length === 0) return applied;
      for (const change of changes) {
        const slot = this.slots.get(slotOf(change.signal));
        if (slot === undefined || change.seq <= slot.checkpoint) continue;
        if (change.signal === 'vpdq') {
          if (change.op === 'add' && change.mediaId !== null) this.frames.add(change.entryId, change.mediaId, change.frameMs ?? 0);
          else if (change.op === 'remove') this.frames.remove(change.entryId);
        }
        if (change.op === 'add') {
          if (slot.index instanceof MultiIndexHashIndex) slot.index.add(change.entryId, change.hash);
          else slot.index.add(change.entryId, change.hash);
        } else {
          slot.index.remove(change.entryId);
        }
        applied++;
        this.dirty = true;
      }
      const last = changes[changes.length - 1].seq;
      for (const slot of this.slots.values()) if (slot.checkpoint < last) slot.checkpoint = last;
      if (changes.length < batch) return applied;
    }
  }
}
