import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AriadneError } from '../core/errors.js';
import { FlatVectorIndex } from '../index/flat-vector-index.js';
import { IvfVectorIndex } from '../index/ivf-vector-index.js';
import type { VectorIndex } from '../index/vector-index.js';
import type { CatalogLogger } from '../matching/index-catalog.js';
import { FACE_DESCRIPTOR_DIM } from './vision/face-engine.js';
import { SCENE_DESCRIPTOR_DIM } from './vision/scene-descriptor.js';
import type { VisionKind, VisionStore } from './vision-store.js';

export interface VectorCatalogOptions {
  readonly store: VisionStore;
  /** Snapshots live in `<snapshotDir>/<databaseId>/`; undefined keeps the indexes in memory only. */
  readonly snapshotDir: string | undefined;
  readonly logger: CatalogLogger;
  /** Above this many vectors an index is built approximate (IVF); default 3,000,000. */
  readonly approximateAbove?: number;
  readonly batchSize?: number;
}

interface Slot {
  index: VectorIndex;
  checkpoint: number;
}

const KINDS: readonly VisionKind[] = ['face', 'scene'];
const DIMS: Record<VisionKind, number> = { face: FACE_DESCRIPTOR_DIM, scene: SCENE_DESCRIPTOR_DIM };

/**
 * The in-memory vector indexes (faces, scenes), kept current exactly like IndexCatalog keeps PDQ: loaded from a
 * checksummed snapshot and caught up through the vision change log, or rebuilt from a consistent read of the live
 * entries; `catchUp()` after local commits and on a timer. An index holding more than `approximateAbove` vectors at
 * build is an IvfVectorIndex, otherwise the exact FlatVectorIndex; both answer through VectorIndex.
 */
export class VectorCatalog {
  private readonly slots = new Map<VisionKind, Slot>();
  private snapshotPath: string | undefined;
  private pending: Promise<number> | undefined;
  private dirty = false;

  private constructor(private readonly options: VectorCatalogOptions) {}

  static async open(options: VectorCatalogOptions): Promise<VectorCatalog> {
    const catalog = new VectorCatalog(options);
    await catalog.load();
    return catalog;
  }

  index(kind: VisionKind): VectorIndex {
    return this.slots.get(kind)!.index;
  }

  get checkpoint(): number {
    let min = Number.MAX_SAFE_INTEGER;
    for (const s of this.slots.values()) min = Math.min(min, s.checkpoint);
    return min;
  }

  sizes(): Record<VisionKind, number> {
    return { face: this.index('face').size, scene: this.index('scene').size };
  }

  catchUp(): Promise<number> {
    this.pending ??= this.applyChanges().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  async saveSnapshots(): Promise<void> {
    if (this.snapshotPath === undefined) return;
    await this.catchUp();
    if (!this.dirty) return;
    this.dirty = false;
    await mkdir(this.snapshotPath, { recursive: true, mode: 0o700 });
    for (const [kind, slot] of this.slots) await slot.index.save(join(this.snapshotPath, `${kind}.vsnap`), slot.checkpoint);
  }

  private async load(): Promise<void> {
    const { store, snapshotDir, logger } = this.options;
    const maxSeq = await store.maxSeq();
    if (snapshotDir !== undefined) this.snapshotPath = join(snapshotDir, await store.databaseId());
    for (const kind of KINDS) {
      const started = Date.now();
      const loaded = await this.loadSnapshot(kind, maxSeq);
      const slot = loaded ?? (await this.build(kind));
      if (!loaded) this.dirty = true;
      this.slots.set(kind, slot);
      logger.info({ signal: kind, entries: slot.index.size, exact: slot.index.exact, checkpoint: slot.checkpoint, ms: Date.now() - started }, loaded ? 'vector index loaded from snapshot' : 'vector index built from the database');
    }
    await this.catchUp();
  }

  private async loadSnapshot(kind: VisionKind, maxSeq: number): Promise<Slot | undefined> {
    if (this.snapshotPath === undefined) return undefined;
    const path = join(this.snapshotPath, `${kind}.vsnap`);
    for (const loader of [FlatVectorIndex.load, IvfVectorIndex.load]) {
      try {
        const { index, checkpoint } = await loader(path);
        const cp = Number(checkpoint);
        if (index.dim !== DIMS[kind]) {
          this.options.logger.warn({ signal: kind, path }, 'vector snapshot has another dimension; rebuilding');
          return undefined;
        }
        if (cp > maxSeq) {
          this.options.logger.warn({ signal: kind, path, checkpoint: cp, databaseSeq: maxSeq }, 'vector snapshot is ahead of the database (restored backup?); rebuilding');
          return undefined;
        }
        return { index, checkpoint: cp };
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return undefined;
        // A snapshot of the other kind of index fails the kind check: try the next loader before giving up.
        if (error instanceof AriadneError && /kind/.test(error.message)) continue;
        this.options.logger.warn({ signal: kind, path, reason: (error as Error).message }, 'vector snapshot rejected; rebuilding');
        return undefined;
      }
    }
    return undefined;
  }

  private async build(kind: VisionKind): Promise<Slot> {
    const { store } = this.options;
    const batch = this.options.batchSize ?? 20_000;
    const dim = DIMS[kind];
    return store.database
      .transaction()
      .setIsolationLevel('repeatable read')
      .execute(async (tx) => {
        const checkpoint = await store.maxSeq(tx);
        let ids = new Uint32Array(1024);
        let vectors = new Float32Array(1024 * dim);
        let n = 0;
        let after = 0;
        for (;;) {
          const rows = await store.scanLive(kind, after, batch, tx);
          if (rows.length === 0) break;
          if (n + rows.length > ids.length) {
            const capacity = Math.max(ids.length * 2, n + rows.length);
            const grownIds = new Uint32Array(capacity);
            grownIds.set(ids.subarray(0, n));
            const grown = new Float32Array(capacity * dim);
            grown.set(vectors.subarray(0, n * dim));
            ids = grownIds;
            vectors = grown;
          }
          for (const row of rows) {
            if (row.descriptor.length !== dim) continue; // another model's dimension: not served by this index
            ids[n] = row.id;
            vectors.set(row.descriptor, n * dim);
            n++;
          }
          after = rows[rows.length - 1].id;
          if (rows.length < batch) break;
        }
        const index: VectorIndex = n > (this.options.approximateAbove ?? 3_000_000) ? new IvfVectorIndex(dim) : new FlatVectorIndex(dim, { capacity: n });
        index.build(ids.subarray(0, n), vectors.subarray(0, n * dim));
        return { index, checkpoint };
      });
  }

  private async applyChanges(): Promise<number> {
    const batch = this.options.batchSize ?? 20_000;
    let applied = 0;
    for (;;) {
      const changes = await this.options.store.changesSince(this.checkpoint, batch);
      if (changes.length === 0) return applied;
      for (const change of changes) {
        const slot = this.slots.get(change.kind);
        if (slot === undefined || change.seq <= slot.checkpoint) continue;
        if (change.op === 'add') {
          if (change.descriptor.length === slot.index.dim) slot.index.add(change.entryId, change.descriptor);
        } else slot.index.remove(change.entryId);
        applied++;
        this.dirty = true;
      }
      const last = changes[changes.length - 1].seq;
      for (const slot of this.slots.values()) if (slot.checkpoint < last) slot.checkpoint = last;
      if (changes.length < batch) return applied;
    }
  }
}
