import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import { inTransaction, type RequestContext, type TxContext } from '../auth/actor.js';
import type { AuditLog } from '../audit/audit-log.js';
import { InvalidError } from '../core/errors.js';
import { BulkInsert } from '../db/bulk-insert.js';
import type { Db } from '../db/schema.js';
import { entryKey, type ExchangeEntry, type ExchangeFormat, type ExchangeProblem } from '../exchange/entry.js';
import { checkRecords, describeFormat, readRecords } from '../exchange/formats.js';
import type { VicsHeader } from '../exchange/vics.js';
import type { NewSignalEntry, SignalStore } from '../matching/signal-store.js';
import { toSet, type HashSet } from './hash-set.js';
import { ITEM_COLUMNS, itemValues } from './hash-set-items.js';

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
 * Records per committed batch. Large batches matter: the unique indexes are keyed by digests, so every batch
 * dirties index pages all over the tree and writes them to the log at its commit; once an index is much larger than
 * a batch, a batch touches most of its pages whatever its size, so larger batches carry more entries per page
 * written (10,000 -> 25,000: about a fifth less CPU per entry at a million entries). Memory bounds it: a batch is held
 * as entries until it commits (50,000 took a million-entry import past 300 MB resident).
 */
export const IMPORT_BATCH = 25_000;
const MAX_PROBLEMS_KEPT = 1000;
/** Rows handed to one bulk insert call (a few statements). */
const ROW_CHUNK = 1024;
/** Characters of an entry key (base64url of 16 bytes). */
const KEY_LENGTH = 22;
/** Digits of an entry's position in its batch, in sort keys. */
const POSITION_DIGITS = 9;

function position(i: number): string {
  return String(i).padStart(POSITION_DIGITS, '0');
}
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
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize >= 10 ** POSITION_DIGITS) throw new Error(`an import batch is 1 to ${10 ** POSITION_DIGITS - 1} records`);
    this.itemInsert = new BulkInsert(store.dialect, { table: 'hash_set_items', columns: ITEM_COLUMNS, skipConflictsOn: ['set_id', 'item_key'] });
  }

  async importFile(ctx: RequestContext, input: FileImportInput & { readonly name: string }, fileSize: number): Promise<ImportReport> {
    // Pass 1: identity and structure, before anything is written.
    const hash = createHash('sha256');
    let header: VicsHeader | undefined;
    const check = await checkRecords(input.format, createReadStream(input.path).pipe(hashing(hash)), (h) => (header = h));
    const fileSha256 = hash.digest('hex');
    if (!check.anyGood && check.firstProblem !== null) {
      throw new InvalidError(`not a ${describeFormat(input.format)}: no record could be read (line ${check.firstProblem.line}: ${check.firstProblem.message})`);
    }

    const start = await this.start(ctx, input, fileSha256, fileSize);
    const base = { created: start.created, records: check.records, fileSha256, ...(header ? { vics: header } : {}) };
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
    let batch: ExchangeEntry[] = [];
    let batchRecords = 0;
    let batchProblems = 0;
    const flush = async (final: boolean) => {
      if (batchRecords === 0 && !final) return;
      const entries = batch;
      const counted = batchRecords;
      const bad = batchProblems;
      batch = [];
      batchRecords = 0;
      batchProblems = 0;
      const added = await inTransaction(this.db, ctx, async (tx) => {
        const added = counted > 0 ? await this.addItems(tx, setId, entries) : 0;
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
            records_done: eb('records_done', '+', counted),
            added: eb('added', '+', added),
            problems: eb('problems', '+', bad),
            updated_at: tx.now,
            ...(final ? { status: 'done' as const, finished_at: tx.now } : {}),
          }))
          .where('id', '=', start.importId)
          .execute();
        if (counted > 0) {
          await this.audit.append(tx.tx, {
            action: 'hashset.entries.add',
            actor: tx.actor,
            object: { type: 'hash_set', id: setId },
            address: tx.address,
            requestId: tx.requestId,
            details: { format: input.format, file: fileSha256, offered: entries.length, added, problems: bad, recordsDone: recordsDone + counted },
          });
        }
        return added;
      });
      imported += added;
      recordsDone += counted;
      if (counted > 0) {
        await this.onCommitted();
        await this.afterBatch?.(recordsDone);
      }
    };
    for await (const record of readRecords(input.format, createReadStream(input.path), () => undefined, start.recordsDone)) {
      batchRecords++;
      if (!record.ok) {
        problemCount++;
        batchProblems++;
        if (problems.length < MAX_PROBLEMS_KEPT) problems.push(record.problem);
      } else {
        seen++;
        batch.push(record.entry);
      }
      if (batchRecords >= this.batchSize) await flush(false);
    }
    await flush(true);
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
   * Adds items and their signal entries; returns how many items were new to the set. Rows go in key order (keys
   * are digests: sorted, a batch walks each index once instead of jumping about), as flat multi-row inserts of
   * ROW_CHUNK rows at a time, so no flat value array the size of the batch is built (they stay young garbage).
   */
  private async addItems(tx: TxContext, setId: number, entries: readonly ExchangeEntry[]): Promise<number> {
    // Sorting plain strings (no comparator) is much cheaper than sorting with one. Each sort key ends with the entry's
    // position, zero-padded, so equal keys keep file order (the first of two records with the same hashes is kept).
    const n = entries.length;
    const items = new Array<string>(n);
    for (let i = 0; i < n; i++) items[i] = entryKey(entries[i]) + position(i);
    items.sort();
    let added = 0;
    for (let from = 0; from < n; from += ROW_CHUNK) {
      const to = Math.min(n, from + ROW_CHUNK);
      const values = new Array<unknown>((to - from) * ITEM_COLUMNS.length);
      for (let i = from, v = 0; i < to; i++) {
        const sortKey = items[i];
        v = itemValues(values, v, setId, sortKey.slice(0, KEY_LENGTH), entries[Number(sortKey.slice(KEY_LENGTH))], tx.now);
      }
      added += (await this.itemInsert.run(tx.tx, values)).inserted;
    }
    if (added === 0) return 0;
    // In index order (signal, then hash): hashes are lower-case hex of one length per signal, so the text sorts as
    // the bytes do ("signal:hex:position"; ':' sorts below every hex digit and 'md5' < 'pdq' < 'sha1' < 'sha256').
    const hashes: string[] = [];
    for (let i = 0; i < n; i++) {
      const e = entries[i];
      const at = position(i);
      if (e.pdq !== null) hashes.push(`pdq:${e.pdq}:${at}`);
      if (e.md5 !== null) hashes.push(`md5:${e.md5}:${at}`);
      if (e.sha1 !== null) hashes.push(`sha1:${e.sha1}:${at}`);
      if (e.sha256 !== null) hashes.push(`sha256:${e.sha256}:${at}`);
    }
    hashes.sort();
    for (let from = 0; from < hashes.length; from += ROW_CHUNK) {
      const to = Math.min(hashes.length, from + ROW_CHUNK);
      const signals = new Array<NewSignalEntry>(to - from);
      for (let i = from; i < to; i++) {
        const h = hashes[i];
        const colon = h.indexOf(':');
        const signal = h.slice(0, colon) as NewSignalEntry['signal'];
        const e = entries[Number(h.slice(h.length - POSITION_DIGITS))];
        const hash = Buffer.from(h.slice(colon + 1, h.length - POSITION_DIGITS - 1), 'hex');
        signals[i - from] = { signal, hash, quality: signal === 'pdq' ? e.pdqQuality : null, setId, label: e.label ?? e.series ?? null };
      }
      await this.store.addEntries(tx.tx, signals, tx.now);
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

function hashing(hash: ReturnType<typeof createHash>): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
}
