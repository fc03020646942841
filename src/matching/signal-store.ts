import { sql, type RawBuilder } from 'kysely';
import { BulkInsert } from '../db/bulk-insert.js';
import { databaseId, lockChangeLog } from '../db/change-log.js';
import { QueryTemplate } from '../db/query-template.js';
import type { Db, Dialect, Executor, SignalEntriesTable } from '../db/schema.js';
import { asBuffer } from '../core/bytes.js';

export type SignalName = SignalEntriesTable['signal'];

export interface NewSignalEntry {
  readonly signal: SignalName;
  readonly hash: Uint8Array;
  readonly quality?: number | null;
  readonly variant?: string;
  readonly mediaId?: number;
  readonly setId?: number;
  readonly label?: string | null;
  /** A vpdq frame's time in its video, in ms. */
  readonly frameMs?: number | null;
}

export interface SignalChange {
  readonly seq: number;
  readonly op: 'add' | 'remove';
  readonly entryId: number;
  readonly signal: SignalName;
  readonly hash: Uint8Array;
  readonly mediaId: number | null;
  readonly frameMs: number | null;
}

/** A live entry as index builds read it. */
export interface LiveEntry {
  readonly id: number;
  readonly hash: Uint8Array;
  readonly mediaId: number | null;
  readonly frameMs: number | null;
}

export interface EntryDescription {
  readonly id: number;
  readonly signal: SignalName;
  readonly hash: Uint8Array;
  readonly quality: number | null;
  readonly variant: string;
  readonly label: string | null;
  readonly mediaId: number | null;
  /** For a vpdq frame: its time in the video (ms). */
  readonly frameMs: number | null;
  readonly setId: number | null;
  readonly setName: string | null;
  readonly setEnabled: boolean;
  readonly sha256: string | null;
  readonly mime: string | null;
  readonly kind: string | null;
  /** The series the entry's media item belongs to (empty for set entries and items in no series). */
  readonly series: readonly ItemSeries[];
  /** The item's settled category (VICS 0-5) and baseline flag; null until investigators agree. */
  readonly category: number | null;
  readonly baseline: boolean | null;
}

export interface ItemSeries {
  readonly id: number;
  readonly name: string;
  readonly identificationStatus: 'unidentified' | 'identified' | 'safeguarded';
}

/** The columns of a hash-set entry's row, in the order addSelected's query yields them (the rest keep their defaults). */
export const SET_ENTRY_COLUMNS = ['signal', 'hash', 'quality', 'set_id', 'label', 'created_at'] as const satisfies ReadonlyArray<keyof SignalEntriesTable>;

/** Arbitrary constant naming the change-log lock (PostgreSQL advisory lock key). */
const CHANGE_LOG_LOCK = 0x41524453; // "ARDS"
const INSERT_BATCH = 500;
/** Changes after a sequence number, with their entries (the index's catch-up, after every commit that adds items). */
const CHANGES_SINCE = new QueryTemplate((db, v: { seq: number; limit: number }) =>
  db
    .selectFrom('signal_changes as c')
    .innerJoin('signal_entries as e', 'e.id', 'c.entry_id')
    .select(['c.seq', 'c.op', 'c.entry_id', 'e.signal', 'e.hash', 'e.media_id', 'e.frame_ms'])
    .where('c.seq', '>', v.seq)
    .orderBy('c.seq')
    .limit(v.limit),
);

/**
 * The signal entries the in-memory indexes are built from, and their change log. Every add or removal appends a
 * change row in the caller's transaction. On PostgreSQL the writer takes a transaction-scoped advisory lock first,
 * so sequence numbers become visible in commit order and a reader that has seen change N has seen every change
 * before it (SQLite serialises writers anyway).
 */
export class SignalStore {
  private readonly entryInsert: BulkInsert<'signal_entries'>;
  private readonly changeInsert: BulkInsert<'signal_changes'>;

  constructor(
    private readonly db: Db,
    readonly dialect: Dialect,
  ) {
    this.entryInsert = new BulkInsert(dialect, {
      table: 'signal_entries',
      columns: ['signal', 'hash', 'quality', 'variant', 'media_id', 'set_id', 'label', 'frame_ms', 'created_at'],
      returning: 'id',
    });
    this.changeInsert = new BulkInsert(dialect, { table: 'signal_changes', columns: ['entry_id', 'op', 'at'] });
  }

  get database(): Db {
    return this.db;
  }

  databaseId(): Promise<string> {
    return databaseId(this.db);
  }

  async maxSeq(executor: Executor = this.db): Promise<number> {
    const row = await executor.selectFrom('signal_changes').select(sql<number | null>`max(seq)`.as('seq')).executeTakeFirst();
    return Number(row?.seq ?? 0);
  }

  /**
   * Inserts entries and their change rows in `tx` (multi-row statements prepared once: bulk-insert.ts). Returns the
   * ids of the entries inserted, ascending (ids grow with input order within one call). Nothing is deduplicated
   * here: a hash set deduplicates its items before their hashes become entries (hash-set-import.ts).
   */
  async addEntries(tx: Executor, entries: readonly NewSignalEntry[], now = Date.now()): Promise<number[]> {
    if (entries.length === 0) return [];
    await this.lockChangeLog(tx);
    const values: unknown[] = new Array(entries.length * this.entryInsert.columnCount);
    let v = 0;
    for (const e of entries) {
      values[v++] = e.signal;
      values[v++] = Buffer.isBuffer(e.hash) ? e.hash : asBuffer(e.hash);
      values[v++] = e.quality ?? null;
      values[v++] = e.variant ?? 'plain';
      values[v++] = e.mediaId ?? null;
      values[v++] = e.setId ?? null;
      values[v++] = e.label ?? null;
      values[v++] = e.frameMs ?? null;
      values[v++] = now;
    }
    const { returned: ids } = await this.entryInsert.run(tx, values);
    await this.logAdds(tx, ids, now);
    return ids;
  }

  /**
   * Inserts the entries a query selects (its columns in SET_ENTRY_COLUMNS order) and logs each, as addEntries does;
   * returns how many. The rows never pass through JavaScript: a bulk import derives entries from rows it has just
   * written. On SQLite the statement's rows take consecutive ids ending at its last insert rowid (it holds the write
   * lock; nothing is skipped), so their change rows are written by one statement too.
   */
  async addSelected(tx: Executor, select: RawBuilder<unknown>, now = Date.now()): Promise<number> {
    await this.lockChangeLog(tx);
    const insert = sql`insert into signal_entries (${sql.join(SET_ENTRY_COLUMNS.map((c) => sql.ref(c)))}) ${select}`;
    if (this.dialect === 'postgres') {
      const { rows } = await sql<{ id: number }>`${insert} returning id`.execute(tx);
      const ids = rows.map((r) => Number(r.id)).sort((a, b) => a - b);
      await this.logAdds(tx, ids, now);
      return ids.length;
    }
    const result = await insert.execute(tx);
    const added = Number(result.numAffectedRows ?? 0n);
    if (added === 0) return 0;
    const last = Number(result.insertId);
    await sql`insert into signal_changes (entry_id, op, at) select id, 'add', ${now} from signal_entries where id between ${last - added + 1} and ${last} order by id`.execute(tx);
    return added;
  }

  private async logAdds(tx: Executor, ids: readonly number[], now: number): Promise<void> {
    if (ids.length === 0) return;
    const changes: unknown[] = new Array(ids.length * 3);
    for (let i = 0, c = 0; i < ids.length; i++) {
      changes[c++] = ids[i];
      changes[c++] = 'add';
      changes[c++] = now;
    }
    await this.changeInsert.run(tx, changes);
  }

  /** Marks live entries removed and logs their removal. Returns the ids actually removed. */
  async removeEntries(tx: Executor, entryIds: readonly number[], now = Date.now()): Promise<number[]> {
    if (entryIds.length === 0) return [];
    await this.lockChangeLog(tx);
    const removed: number[] = [];
    for (let i = 0; i < entryIds.length; i += INSERT_BATCH) {
      const batch = entryIds.slice(i, i + INSERT_BATCH);
      const rows = await tx
        .updateTable('signal_entries')
        .set({ removed_at: now })
        .where('id', 'in', batch)
        .where('removed_at', 'is', null)
        .returning('id')
        .execute();
      if (rows.length === 0) continue;
      const ids = rows.map((r) => Number(r.id));
      await tx
        .insertInto('signal_changes')
        .values(ids.map((id) => ({ entry_id: id, op: 'remove' as const, at: now })))
        .execute();
      removed.push(...ids);
    }
    return removed;
  }

  /** Live entries of one signal (or several) with id > afterId, in id order (keyset pagination for index builds). */
  async scanLive(signal: SignalName | readonly SignalName[], afterId: number, limit: number, executor: Executor = this.db): Promise<LiveEntry[]> {
    const signals = typeof signal === 'string' ? [signal] : [...signal];
    const rows = await executor
      .selectFrom('signal_entries')
      .select(['id', 'hash', 'media_id', 'frame_ms'])
      .where('signal', 'in', signals)
      .where('removed_at', 'is', null)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ id: Number(r.id), hash: r.hash, mediaId: r.media_id === null ? null : Number(r.media_id), frameMs: r.frame_ms === null ? null : Number(r.frame_ms) }));
  }

  /** A stored video's frame hashes (signal vpdq), in time order. */
  async videoFrames(mediaId: number, executor: Executor = this.db): Promise<Array<{ hash: Uint8Array; quality: number; frameMs: number }>> {
    const rows = await executor
      .selectFrom('signal_entries')
      .select(['hash', 'quality', 'frame_ms'])
      .where('media_id', '=', mediaId)
      .where('signal', '=', 'vpdq')
      .where('removed_at', 'is', null)
      .orderBy('frame_ms')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({ hash: r.hash, quality: r.quality ?? 0, frameMs: Number(r.frame_ms ?? 0) }));
  }

  async changesSince(seq: number, limit: number): Promise<SignalChange[]> {
    const rows = await CHANGES_SINCE.execute(this.db, { seq, limit });
    return rows.map((r) => ({ seq: Number(r.seq), op: r.op, entryId: Number(r.entry_id), signal: r.signal, hash: r.hash, mediaId: r.media_id === null ? null : Number(r.media_id), frameMs: r.frame_ms === null ? null : Number(r.frame_ms) }));
  }

  /** Entries with their set or media item (its series and settled category included), for explaining matches. */
  async describe(entryIds: readonly number[]): Promise<Map<number, EntryDescription>> {
    const out = new Map<number, EntryDescription>();
    const rows: Array<Omit<EntryDescription, 'series' | 'category' | 'baseline'>> = [];
    for (let i = 0; i < entryIds.length; i += INSERT_BATCH) {
      const batch = await this.db
        .selectFrom('signal_entries as e')
        .leftJoin('hash_sets as s', 's.id', 'e.set_id')
        .leftJoin('media_items as m', 'm.id', 'e.media_id')
        .select(['e.id', 'e.signal', 'e.hash', 'e.quality', 'e.variant', 'e.label', 'e.media_id', 'e.frame_ms', 'e.set_id', 's.name as set_name', 's.enabled as set_enabled', 'm.sha256', 'm.mime', 'm.kind'])
        .where('e.id', 'in', entryIds.slice(i, i + INSERT_BATCH))
        .where('e.removed_at', 'is', null)
        .execute();
      for (const r of batch) {
        rows.push({
          id: Number(r.id),
          signal: r.signal,
          hash: r.hash,
          quality: r.quality,
          variant: r.variant,
          label: r.label,
          mediaId: r.media_id === null ? null : Number(r.media_id),
          frameMs: r.frame_ms === null ? null : Number(r.frame_ms),
          setId: r.set_id === null ? null : Number(r.set_id),
          setName: r.set_name,
          setEnabled: r.set_id === null ? true : Number(r.set_enabled) === 1,
          sha256: r.sha256,
          mime: r.mime,
          kind: r.kind,
        });
      }
    }
    const facts = await this.itemFacts([...new Set(rows.flatMap((r) => (r.mediaId === null ? [] : [r.mediaId])))]);
    for (const r of rows) {
      const f = r.mediaId === null ? undefined : facts.get(r.mediaId);
      out.set(r.id, { ...r, series: f?.series ?? [], category: f?.category ?? null, baseline: f?.baseline ?? null });
    }
    return out;
  }

  /** Series membership and settled category of media items (what makes a hit on them *known*). */
  async itemFacts(mediaIds: readonly number[], executor: Executor = this.db): Promise<Map<number, { series: ItemSeries[]; category: number | null; baseline: boolean | null }>> {
    const out = new Map<number, { series: ItemSeries[]; category: number | null; baseline: boolean | null }>();
    const get = (id: number) => {
      let f = out.get(id);
      if (!f) out.set(id, (f = { series: [], category: null, baseline: null }));
      return f;
    };
    for (let i = 0; i < mediaIds.length; i += INSERT_BATCH) {
      const ids = mediaIds.slice(i, i + INSERT_BATCH);
      const series = await executor
        .selectFrom('series_media as sm')
        .innerJoin('series as s', 's.id', 'sm.series_id')
        .select(['sm.media_id', 's.id', 's.name', 's.identification_status'])
        .where('sm.media_id', 'in', ids)
        .orderBy('s.id')
        .execute();
      for (const r of series) get(Number(r.media_id)).series.push({ id: Number(r.id), name: r.name, identificationStatus: r.identification_status });
      const categories = await executor.selectFrom('media_categories').select(['media_id', 'category', 'baseline']).where('media_id', 'in', ids).where('category', 'is not', null).execute();
      for (const r of categories) {
        const f = get(Number(r.media_id));
        f.category = r.category === null ? null : Number(r.category);
        f.baseline = r.baseline === null ? null : Number(r.baseline) === 1;
      }
    }
    return out;
  }

  private lockChangeLog(tx: Executor): Promise<void> {
    return lockChangeLog(tx, this.dialect, CHANGE_LOG_LOCK);
  }
}
