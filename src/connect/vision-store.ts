import { sql } from 'kysely';
import { databaseId, lockChangeLog } from '../db/change-log.js';
import { IntegrityError } from '../core/errors.js';
import type { Db, Dialect, Executor } from '../db/schema.js';
import { asBuffer } from '../core/bytes.js';

export type VisionKind = 'face' | 'scene';

export interface NewFace {
  readonly box: readonly [number, number, number, number];
  readonly score: number;
  readonly descriptor: Float32Array;
}

export interface VisionChange {
  readonly seq: number;
  readonly op: 'add' | 'remove';
  readonly entryId: number;
  readonly kind: VisionKind;
  readonly descriptor: Float32Array;
}

export interface StoredFace {
  readonly id: number;
  readonly mediaId: number;
  readonly box: readonly [number, number, number, number];
  readonly score: number;
  readonly model: string;
  readonly personId: number | null;
}

/** Arbitrary constant naming the vision change-log lock (PostgreSQL advisory lock key). */
const CHANGE_LOG_LOCK = 0x41525653; // "ARVS"
const BATCH = 500;

/** Float32 vectors as little-endian bytes (the index snapshots make the same little-endian assumption). */
export function vectorBytes(v: Float32Array): Buffer {
  return asBuffer(v);
}

export function bytesVector(bytes: Uint8Array): Float32Array {
  if (bytes.byteLength % 4 !== 0) throw new IntegrityError(`a stored vector has ${bytes.byteLength} bytes, not a multiple of 4`);
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}

/**
 * What the vision models found, and the change log the vector indexes follow (the same design as SignalStore:
 * every add or removal appends a change row in the caller's transaction; on PostgreSQL the writer takes an
 * advisory lock first so sequence numbers become visible in commit order). `vision_runs` records which items were
 * analysed with which model, so a job that runs again adds nothing twice.
 */
export class VisionStore {
  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
  ) {}

  get database(): Db {
    return this.db;
  }

  databaseId(): Promise<string> {
    return databaseId(this.db);
  }

  async maxSeq(executor: Executor = this.db): Promise<number> {
    const row = await executor.selectFrom('vision_changes').select(sql<number | null>`max(seq)`.as('seq')).executeTakeFirst();
    return Number(row?.seq ?? 0);
  }

  async hasRun(executor: Executor, mediaId: number, kind: VisionKind, model: string): Promise<boolean> {
    const row = await executor.selectFrom('vision_runs').select('media_id').where('media_id', '=', mediaId).where('kind', '=', kind).where('model', '=', model).executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Stores one analysis of an item (its faces, or its scene descriptor) with the run record, in `tx`. Returns the new
   * entry ids, or null when the item was already analysed with this model (nothing written).
   */
  async recordRun(
    tx: Executor,
    run: { mediaId: number; kind: VisionKind; model: string; width: number; height: number; faces?: readonly NewFace[]; scene?: Float32Array },
    now = Date.now(),
  ): Promise<number[] | null> {
    const inserted = await tx
      .insertInto('vision_runs')
      .values({ media_id: run.mediaId, kind: run.kind, model: run.model, entries: run.kind === 'face' ? (run.faces?.length ?? 0) : 1, width: run.width, height: run.height, at: now })
      .onConflict((oc) => oc.columns(['media_id', 'kind', 'model']).doNothing())
      .returning('media_id')
      .execute();
    if (inserted.length === 0) return null;
    const rows =
      run.kind === 'face'
        ? (run.faces ?? []).map((f) => ({ kind: 'face' as const, media_id: run.mediaId, model: run.model, descriptor: vectorBytes(f.descriptor), box_x: f.box[0], box_y: f.box[1], box_w: f.box[2], box_h: f.box[3], score: f.score, created_at: now }))
        : [{ kind: 'scene' as const, media_id: run.mediaId, model: run.model, descriptor: vectorBytes(run.scene!), created_at: now }];
    if (rows.length === 0) return [];
    await this.lockChangeLog(tx);
    const ids: number[] = [];
    for (let i = 0; i < rows.length; i += BATCH) {
      const batch = await tx.insertInto('vision_entries').values(rows.slice(i, i + BATCH)).returning('id').execute();
      const batchIds = batch.map((r) => Number(r.id));
      await tx.insertInto('vision_changes').values(batchIds.map((id) => ({ entry_id: id, op: 'add' as const, at: now }))).execute();
      ids.push(...batchIds);
    }
    return ids;
  }

  /** Marks live entries removed (e.g. an item's entries from an older model) and logs the removals. */
  async removeEntries(tx: Executor, entryIds: readonly number[], now = Date.now()): Promise<number[]> {
    if (entryIds.length === 0) return [];
    await this.lockChangeLog(tx);
    const removed: number[] = [];
    for (let i = 0; i < entryIds.length; i += BATCH) {
      const rows = await tx.updateTable('vision_entries').set({ removed_at: now }).where('id', 'in', entryIds.slice(i, i + BATCH)).where('removed_at', 'is', null).returning('id').execute();
      if (rows.length === 0) continue;
      const ids = rows.map((r) => Number(r.id));
      await tx.insertInto('vision_changes').values(ids.map((id) => ({ entry_id: id, op: 'remove' as const, at: now }))).execute();
      removed.push(...ids);
    }
    return removed;
  }

  async scanLive(kind: VisionKind, afterId: number, limit: number, executor: Executor = this.db): Promise<Array<{ id: number; descriptor: Float32Array }>> {
    const rows = await executor.selectFrom('vision_entries').select(['id', 'descriptor']).where('kind', '=', kind).where('removed_at', 'is', null).where('id', '>', afterId).orderBy('id').limit(limit).execute();
    return rows.map((r) => ({ id: Number(r.id), descriptor: bytesVector(r.descriptor) }));
  }

  async changesSince(seq: number, limit: number): Promise<VisionChange[]> {
    const rows = await this.db
      .selectFrom('vision_changes as c')
      .innerJoin('vision_entries as e', 'e.id', 'c.entry_id')
      .select(['c.seq', 'c.op', 'c.entry_id', 'e.kind', 'e.descriptor'])
      .where('c.seq', '>', seq)
      .orderBy('c.seq')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ seq: Number(r.seq), op: r.op, entryId: Number(r.entry_id), kind: r.kind, descriptor: bytesVector(r.descriptor) }));
  }

  async faces(executor: Executor, where: { ids?: readonly number[]; mediaId?: number }): Promise<StoredFace[]> {
    if (where.ids !== undefined && where.ids.length === 0) return [];
    const out: StoredFace[] = [];
    const chunks = where.ids === undefined ? [undefined] : Array.from({ length: Math.ceil(where.ids.length / BATCH) }, (_, i) => where.ids!.slice(i * BATCH, (i + 1) * BATCH));
    for (const chunk of chunks) {
      let q = executor.selectFrom('vision_entries').select(['id', 'media_id', 'box_x', 'box_y', 'box_w', 'box_h', 'score', 'model', 'person_id']).where('kind', '=', 'face').where('removed_at', 'is', null);
      if (chunk) q = q.where('id', 'in', chunk);
      if (where.mediaId !== undefined) q = q.where('media_id', '=', where.mediaId);
      for (const r of await q.orderBy('id').execute()) {
        out.push({ id: Number(r.id), mediaId: Number(r.media_id), box: [r.box_x ?? 0, r.box_y ?? 0, r.box_w ?? 0, r.box_h ?? 0], score: r.score ?? 0, model: r.model, personId: r.person_id === null ? null : Number(r.person_id) });
      }
    }
    return out;
  }

  /** The descriptor of a live entry, or undefined. */
  async descriptor(executor: Executor, entryId: number, kind: VisionKind): Promise<{ mediaId: number; descriptor: Float32Array } | undefined> {
    const r = await executor.selectFrom('vision_entries').select(['media_id', 'descriptor']).where('id', '=', entryId).where('kind', '=', kind).where('removed_at', 'is', null).executeTakeFirst();
    return r ? { mediaId: Number(r.media_id), descriptor: bytesVector(r.descriptor) } : undefined;
  }

  /** Scene entry ids -> media ids. */
  async sceneMedia(executor: Executor, entryIds: readonly number[]): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    for (let i = 0; i < entryIds.length; i += BATCH) {
      const rows = await executor.selectFrom('vision_entries').select(['id', 'media_id']).where('id', 'in', entryIds.slice(i, i + BATCH)).where('removed_at', 'is', null).execute();
      for (const r of rows) out.set(Number(r.id), Number(r.media_id));
    }
    return out;
  }

  private lockChangeLog(tx: Executor): Promise<void> {
    return lockChangeLog(tx, this.dialect, CHANGE_LOG_LOCK);
  }
}
