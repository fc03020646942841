import { inTransaction, type RequestContext, type TxContext } from '../auth/actor.js';
import type { AuditLog } from '../audit/audit-log.js';
import { InvalidError } from '../core/errors.js';
import { BulkInsert } from '../db/bulk-insert.js';
import type { Db } from '../db/schema.js';
import type { ExchangeFormat, ExchangeProblem } from '../exchange/entry.js';
import { describeFormat } from '../exchange/formats.js';
import type { VicsHeader } from '../exchange/vics.js';
import type { SignalStore } from '../matching/signal-store.js';
import { toSet, type HashSet } from './hash-set.js';
import { ITEM_COLUMNS } from './hash-set-items.js';
import { ImportReader, type ReadBatch } from './import-reader.js';
import { itemSignals } from './item-signals.js';
import { PackedEntriesReader } from './packed-entries.js';

export interface FileImportInput {
  readonly format: ExchangeFormat;
  readonly name: string;
  readonly source?: string;
  readonly terms?: string;
  /** A regular file: it is read twice (checked whole first, then imported). */
  readonly path: string;
}

export interface ImportReport {
  readonly set: HashSet;
  readonly created: boolean;
  /** Entries added. */
  readonly imported: number;
  /** Well-formed records whose entry the set already held. */
  readonly duplicates: number;
  /** Records that could not be read, with their line numbers; everything else was imported. */
  readonly problems: readonly ExchangeProblem[];
  /** Records in the file (well-formed or not). */
  readonly records: number;
  /** Records skipped because an earlier, interrupted import of the same file had committed them. */
  readonly resumedFrom: number;
  /** The same file had already been imported completely into this set: nothing was read again. */
  readonly alreadyImported: boolean;
  /** SHA-256 of the file: its identity for checkpoints. */
  readonly fileSha256: string;
  /** VICS only: the document's kind and data model version. */
  readonly vics?: VicsHeader;
}

/**
 * Records per committed batch. Large batches matter: the set's unique (set_id, item_key) index is keyed by digests,
 * so a batch's keys land all over it and its commit writes most of the index's pages to the log whatever the batch's
 * size; larger batches carry more entries per page written (25,000 -> 50,000: about a tenth less time at a million
 * entries). Memory bounds it: the reading thread packs a batch (about 200 bytes an entry) while this one writes the
 * last, and the transaction's pages sit in SQLite's cache until it commits.
 */
export const IMPORT_BATCH = 50_000;
const MAX_PROBLEMS_KEPT = 1000;
/** Rows handed to one bulk insert call (a few statements). */
const ROW_CHUNK = 1024;
const SET_FORMAT: Record<ExchangeFormat, string> = { pdq: 'pdq-list', vics: 'vics', icse: 'icse-csv' };

/** A hook for tests and tools: called after each committed batch with the records committed so far. */
export type BatchObserver = (recordsDone: number) => void | Promise<void>;

interface Start {
  readonly set: HashSet;
  readonly created: boolean;
  readonly importId: number;
  readonly done: boolean;
  readonly recordsDone: number;
}

/**
 * Imports one exchange file into a set (HashSetService checks access and the name first). Pass 1 reads the whole
 * file (its SHA-256, its structure: a file that is not what it claims is refused before anything is written); pass
 * 2 streams it in batches, each committing its entries, the file's checkpoint and its audit entry together, so an
 * interrupted import resumes after the last committed batch and importing a file again adds nothing.
 */
export class HashSetImporter {
  /** Test hook: runs after every committed import batch. */
  afterBatch: BatchObserver | null = null;
  private readonly itemInsert: BulkInsert<'hash_set_items'>;

  constructor(
    private readonly db: Db,
    private readonly store: SignalStore,
    private readonly audit: AuditLog,
    private readonly onCommitted: () => Promise<unknown>,
    private readonly batchSize = IMPORT_BATCH,
  ) {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error('an import batch is a positive number of records');
    this.itemInsert = new BulkInsert(store.dialect, { table: 'hash_set_items', columns: ITEM_COLUMNS, skipConflictsOn: ['set_id', 'item_key'], returning: 'id' });
  }

  async importFile(ctx: RequestContext, input: FileImportInput & { readonly name: string }, fileSize: number): Promise<ImportReport> {
    const reader = new ImportReader({ format: input.format, path: input.path, maxProblems: MAX_PROBLEMS_KEPT, batchSize: this.batchSize });
    try {
      return await this.run(ctx, input, fileSize, reader);
    } finally {
      await reader.close();
    }
  }

  private async run(ctx: RequestContext, input: FileImportInput & { readonly name: string }, fileSize: number, reader: ImportReader): Promise<ImportReport> {
    // Pass 1: identity and structure, before anything is written.
    const check = await reader.check();
    const fileSha256 = check.fileSha256;
    if (!check.anyGood && check.firstProblem !== null) {
      throw new InvalidError(`not a ${describeFormat(input.format)}: no record could be read (line ${check.firstProblem.line}: ${check.firstProblem.message})`);
    }

    const start = await this.start(ctx, input, fileSha256, fileSize);
    const base = { created: start.created, records: check.records, fileSha256, ...(check.header ? { vics: check.header } : {}) };
    if (start.done) {
      return { ...base, set: await this.get(start.set.id), imported: 0, duplicates: 0, problems: [], resumedFrom: start.recordsDone, alreadyImported: true };
    }

    // Pass 2: import, resuming after the checkpoint.
    const setId = start.set.id;
    const problems: ExchangeProblem[] = [];
    let problemCount = 0;
    let imported = 0;
    let seen = 0;
    let recordsDone = start.recordsDone;
    const commit = async (batch: ReadBatch) => {
      const entries = batch.packed.offsets.length;
      const added = await inTransaction(this.db, ctx, async (tx) => {
        const added = entries > 0 ? await this.addItems(tx, setId, new PackedEntriesReader(batch.packed)) : 0;
        if (added > 0) {
          await tx.tx
            .updateTable('hash_sets')
            .set((eb) => ({ entry_count: eb('entry_count', '+', added), updated_at: tx.now }))
            .where('id', '=', setId)
            .execute();
        }
        await tx.tx
          .updateTable('hash_set_imports')
          .set((eb) => ({
            records_done: eb('records_done', '+', batch.records),
            added: eb('added', '+', added),
            problems: eb('problems', '+', batch.problemCount),
            updated_at: tx.now,
            ...(batch.final ? { status: 'done' as const, finished_at: tx.now } : {}),
          }))
          .where('id', '=', start.importId)
          .execute();
        if (batch.records > 0) {
          await this.audit.append(tx.tx, {
            action: 'hashset.entries.add',
            actor: tx.actor,
            object: { type: 'hash_set', id: setId },
            address: tx.address,
            requestId: tx.requestId,
            details: { format: input.format, file: fileSha256, offered: entries, added, problems: batch.problemCount, recordsDone: recordsDone + batch.records },
          });
        }
        return added;
      });
      imported += added;
      seen += entries;
      problemCount += batch.problemCount;
      problems.push(...batch.problems);
      recordsDone += batch.records;
      if (batch.records > 0) {
        await this.onCommitted();
        await this.afterBatch?.(recordsDone);
      }
    };
    for await (const batch of reader.read(start.recordsDone)) await commit(batch);
    if (problemCount > problems.length) problems.push({ line: 0, message: `${problemCount - problems.length} more problems not listed` });
    return { ...base, set: await this.get(setId), imported, duplicates: seen - imported, problems, resumedFrom: start.recordsDone, alreadyImported: false };
  }

  /** Finds or creates the set and the file's checkpoint. */
  private start(ctx: RequestContext, input: FileImportInput, fileSha256: string, fileSize: number): Promise<Start> {
    return inTransaction(this.db, ctx, async (tx) => {
      const found = await this.findOrCreate(tx, input.name, input.source ?? '', input.terms ?? '', SET_FORMAT[input.format]);
      const checkpoint = await tx.tx
        .selectFrom('hash_set_imports')
        .selectAll()
        .where('set_id', '=', found.set.id)
        .where('format', '=', input.format)
        .where('file_sha256', '=', fileSha256)
        .executeTakeFirst();
      if (checkpoint) return { ...found, importId: Number(checkpoint.id), done: checkpoint.status === 'done', recordsDone: Number(checkpoint.records_done) };
      const row = await tx.tx
        .insertInto('hash_set_imports')
        .values({
          set_id: found.set.id,
          format: input.format,
          file_sha256: fileSha256,
          file_size: fileSize,
          records_done: 0,
          added: 0,
          problems: 0,
          status: 'running',
          started_by: tx.actor.kind === 'user' ? tx.actor.userId : null,
          started_at: tx.now,
          updated_at: tx.now,
          finished_at: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return { ...found, importId: Number(row.id), done: false, recordsDone: 0 };
    });
  }

  /**
   * Adds a batch's items and the signal entries of those new to the set; returns how many items were new. An item is
   * its hashes (its key), deduplicated by the set's unique (set_id, item_key) index. The batch comes in key order (the
   * index is keyed by digests: sorted, a batch walks it once instead of landing all over it), ROW_CHUNK rows at a
   * time as flat multi-row inserts that skip keys already present and return the ids they inserted; only those items'
   * hashes become signal entries, derived by the database from the rows just written (item-signals.ts). Of two
   * records with the same hashes the first in the file is kept.
   */
  private async addItems(tx: TxContext, setId: number, batch: PackedEntriesReader): Promise<number> {
    const n = batch.count;
    const width = ITEM_COLUMNS.length;
    let added = 0;
    for (let from = 0; from < n; from += ROW_CHUNK) {
      const to = Math.min(n, from + ROW_CHUNK);
      const values = new Array<unknown>((to - from) * width);
      for (let i = from, v = 0; i < to; i++) {
        values[v] = setId;
        v = batch.read(i, values, v + 1);
        values[v++] = tx.now;
      }
      const ids = (await this.itemInsert.run(tx.tx, values)).returned;
      if (ids.length === 0) continue;
      added += ids.length;
      await this.store.addSelected(tx.tx, itemSignals(this.store.dialect, ids, tx.now), tx.now);
    }
    return added;
  }

  private async get(id: number): Promise<HashSet> {
    return toSet(await this.db.selectFrom('hash_sets').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
  }

  private async findOrCreate(ctx: TxContext, name: string, source: string, terms: string, format: string): Promise<{ set: HashSet; created: boolean }> {
    const existing = await ctx.tx.selectFrom('hash_sets').selectAll().where('name', '=', name).executeTakeFirst();
    if (existing) return { set: toSet(existing), created: false };
    const createdBy = ctx.actor.kind === 'user' ? ctx.actor.userId : null;
    const row = await ctx.tx
      .insertInto('hash_sets')
      .values({ name, source, terms, format, enabled: 1, entry_count: 0, created_by: createdBy, created_at: ctx.now, updated_at: ctx.now })
      .returningAll()
      .executeTakeFirstOrThrow();
    await this.audit.append(ctx.tx, {
      action: 'hashset.create',
      actor: ctx.actor,
      object: { type: 'hash_set', id: Number(row.id) },
      address: ctx.address,
      requestId: ctx.requestId,
      details: { name, source, terms, format },
    });
    return { set: toSet(row), created: true };
  }
}
