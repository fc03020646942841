import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { inTransaction, type RequestContext, type TxContext } from '../auth/actor.js';
import type { AccessPolicy } from '../auth/policy.js';
import type { Permission } from '../auth/roles.js';
import type { AuditLog } from '../audit/audit-log.js';
import { CaseAccess } from '../cases/case-access.js';
import { ForbiddenError, InvalidError, NotFoundError } from '../core/errors.js';
import type { Db, HashSetsTable } from '../db/schema.js';
import type { ExchangeEntry, ExchangeFormat, ExchangeProblem } from '../exchange/entry.js';
import { describeFormat, readRecords, writeEntries } from '../exchange/formats.js';
import type { VicsHeader } from '../exchange/vics.js';
import type { NewSignalEntry, SignalStore } from '../matching/signal-store.js';
import { fromItemRow, toItemRow } from './hash-set-items.js';

export interface HashSet {
  readonly id: number;
  readonly name: string;
  readonly source: string;
  readonly terms: string;
  readonly format: string;
  readonly enabled: boolean;
  readonly entryCount: number;
  readonly createdBy: number | null;
  readonly createdAt: number;
}

export interface ImportInput {
  /** The set to add to; created when it does not exist. */
  readonly name: string;
  readonly source?: string;
  readonly terms?: string;
  readonly input: Readable;
}

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

export interface ExportInput {
  readonly format: ExchangeFormat;
  /** The set, by name or id. */
  readonly set: string | number;
}

export interface ExportReport {
  readonly set: HashSet;
  readonly format: ExchangeFormat;
  readonly entries: number;
}

export const IMPORT_BATCH = 5000;
const EXPORT_PAGE = 10_000;
const ITEM_INSERT = 400;
const MAX_PROBLEMS_KEPT = 1000;
const NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._()/-]{0,119}$/u;
const SET_FORMAT: Record<ExchangeFormat, string> = { pdq: 'pdq-list', vics: 'vics', icse: 'icse-csv' };

/** A hook for tests and tools: called after each committed batch with the records committed so far. */
export type BatchObserver = (recordsDone: number) => void | Promise<void>;

/**
 * Hash sets: lists of hashes other agencies and programmes share, with their provenance. Their entries match like
 * stored media and name their set. Imports read the whole file once first (its SHA-256, its structure: a file that
 * is not what it claims is refused before anything is written), then stream it in batches; each batch commits its
 * entries, the file's checkpoint and its audit entry together, so an interrupted import resumes after the last
 * committed batch and importing a file again adds nothing. Exports stream page by page.
 */
export class HashSetService {
  /** Test hook: runs after every committed import batch. */
  afterBatch: BatchObserver | null = null;
  private readonly cases: CaseAccess;

  constructor(
    private readonly db: Db,
    private readonly store: SignalStore,
    private readonly audit: AuditLog,
    private readonly policy: AccessPolicy,
    /** Called after each committed batch so this process's indexes follow at once. */
    private readonly onCommitted: () => Promise<unknown> = async () => undefined,
  ) {
    this.cases = new CaseAccess(policy);
  }

  async list(ctx: RequestContext): Promise<HashSet[]> {
    this.authorise(ctx, 'media.match');
    const rows = await this.db.selectFrom('hash_sets').selectAll().orderBy('name').execute();
    return rows.map(toSet);
  }

  /** Imports a PDQ list from a stream (spooled to a temporary file first). */
  async importPdqList(ctx: RequestContext, input: ImportInput): Promise<ImportReport> {
    return this.importStream(ctx, { format: 'pdq', name: input.name, source: input.source, terms: input.terms, input: input.input });
  }

  /** Imports from a stream: spooled to a temporary file, then imported like a file. */
  async importStream(ctx: RequestContext, input: Omit<FileImportInput, 'path'> & { readonly input: Readable }): Promise<ImportReport> {
    this.authorise(ctx, 'hashsets.admin');
    const dir = await mkdtemp(join(tmpdir(), 'ariadne-import-'));
    try {
      const path = join(dir, 'upload');
      await pipeline(input.input, createWriteStream(path, { mode: 0o600 }));
      return await this.importFile(ctx, { format: input.format, name: input.name, source: input.source, terms: input.terms, path });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async importFile(ctx: RequestContext, input: FileImportInput): Promise<ImportReport> {
    this.authorise(ctx, 'hashsets.admin');
    const name = input.name.trim();
    if (!NAME.test(name)) throw new InvalidError('a set name is 1-120 letters, digits, spaces and . _ ( ) / -, starting with a letter or digit');
    const info = await stat(input.path).catch(() => null);
    if (!info?.isFile()) throw new NotFoundError(`no such file: ${input.path}`);

    // Pass 1: identity and structure, before anything is written.
    const hash = createHash('sha256');
    let records = 0;
    let good = 0;
    let firstProblem: ExchangeProblem | null = null;
    let header: VicsHeader | undefined;
    for await (const r of readRecords(input.format, createReadStream(input.path).pipe(hashing(hash)), (h) => (header = h))) {
      records++;
      if (r.ok) good++;
      else firstProblem ??= r.problem;
    }
    const fileSha256 = hash.digest('hex');
    if (good === 0 && firstProblem !== null) {
      throw new InvalidError(`not a ${describeFormat(input.format)}: no record could be read (line ${firstProblem.line}: ${firstProblem.message})`);
    }

    const start = await inTransaction(this.db, ctx, async (tx) => {
      const found = await this.findOrCreate(tx, name, input.source ?? '', input.terms ?? '', SET_FORMAT[input.format]);
      const checkpoint = await tx.tx
        .selectFrom('hash_set_imports')
        .selectAll()
        .where('set_id', '=', found.set.id)
        .where('format', '=', input.format)
        .where('file_sha256', '=', fileSha256)
        .executeTakeFirst();
      if (checkpoint) return { ...found, importId: Number(checkpoint.id), done: checkpoint.status === 'done', recordsDone: Number(checkpoint.records_done), added: Number(checkpoint.added), problems: Number(checkpoint.problems) };
      const row = await tx.tx
        .insertInto('hash_set_imports')
        .values({
          set_id: found.set.id,
          format: input.format,
          file_sha256: fileSha256,
          file_size: info.size,
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
      return { ...found, importId: Number(row.id), done: false, recordsDone: 0, added: 0, problems: 0 };
    });
    const base = { created: start.created, records, fileSha256, ...(header ? { vics: header } : {}) };
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
    let index = 0;
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
        let added = 0;
        if (counted > 0) {
          added = await this.addItems(tx, setId, entries);
          if (added > 0) {
            await tx.tx
              .updateTable('hash_sets')
              .set((eb) => ({ entry_count: eb('entry_count', '+', added), updated_at: tx.now }))
              .where('id', '=', setId)
              .execute();
          }
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
    for await (const record of readRecords(input.format, createReadStream(input.path), () => undefined)) {
      if (index++ < start.recordsDone) continue;
      batchRecords++;
      if (!record.ok) {
        problemCount++;
        batchProblems++;
        if (problems.length < MAX_PROBLEMS_KEPT) problems.push(record.problem);
      } else {
        seen++;
        batch.push(record.entry);
      }
      if (batchRecords >= IMPORT_BATCH) await flush(false);
    }
    await flush(true);
    if (problemCount > problems.length) problems.push({ line: 0, message: `${problemCount - problems.length} more problems not listed` });
    return { ...base, set: await this.get(setId), imported, duplicates: seen - imported, problems, resumedFrom: start.recordsDone, alreadyImported: false };
  }

  /** Adds items and their signal entries; returns how many items were new to the set. */
  private async addItems(tx: TxContext, setId: number, entries: readonly ExchangeEntry[]): Promise<number> {
    let added = 0;
    const signals: NewSignalEntry[] = [];
    // Inserting in key order touches each index page once per batch instead of at random (keys are digests).
    const items = entries.map((e) => toItemRow(setId, e, tx.now)).sort((a, b) => (a.item_key < b.item_key ? -1 : a.item_key > b.item_key ? 1 : 0));
    for (let i = 0; i < items.length; i += ITEM_INSERT) {
      const rows = items.slice(i, i + ITEM_INSERT);
      const inserted = await tx.tx
        .insertInto('hash_set_items')
        .values(rows)
        .onConflict((oc) => oc.columns(['set_id', 'item_key']).doNothing())
        .executeTakeFirst();
      // Rows skipped by the conflict clause are not counted (SQLite changes(), PostgreSQL rowCount).
      added += Number(inserted.numInsertedOrUpdatedRows ?? 0);
    }
    if (added === 0) return 0;
    for (const e of entries) {
      const label = e.label ?? e.series ?? null;
      if (e.pdq !== null) signals.push({ signal: 'pdq', hash: Buffer.from(e.pdq, 'hex'), quality: e.pdqQuality, setId, label });
      if (e.md5 !== null) signals.push({ signal: 'md5', hash: Buffer.from(e.md5, 'hex'), setId, label });
      if (e.sha1 !== null) signals.push({ signal: 'sha1', hash: Buffer.from(e.sha1, 'hex'), setId, label });
      if (e.sha256 !== null) signals.push({ signal: 'sha256', hash: Buffer.from(e.sha256, 'hex'), setId, label });
    }
    signals.sort((a, b) => (a.signal < b.signal ? -1 : a.signal > b.signal ? 1 : Buffer.compare(a.hash, b.hash)));
    await this.store.addEntries(tx.tx, signals, tx.now);
    return added;
  }

  /** Streams a set to `out` in the format asked for; the export is audited. */
  async exportSet(ctx: RequestContext, input: ExportInput, out: Writable): Promise<ExportReport> {
    this.authorise(ctx, 'hashsets.admin');
    const set = await this.find(input.set);
    await inTransaction(this.db, ctx, (tx) =>
      this.audit.append(tx.tx, { action: 'hashset.export', actor: tx.actor, object: { type: 'hash_set', id: set.id }, address: tx.address, requestId: tx.requestId, details: { format: input.format } }),
    );
    const entries = await writeEntries(input.format, this.pages(set.id), out);
    return { set, format: input.format, entries };
  }

  /**
   * Streams the media of an investigation (items linked to it and items of its linked series) with their hashes,
   * settled category, baseline and series. Needs a user who administers hash sets and can see the investigation;
   * the operator's command line never reads investigations.
   */
  async exportInvestigation(ctx: RequestContext, input: { readonly format: ExchangeFormat; readonly investigationId: number }, out: Writable): Promise<{ investigationId: number; format: ExchangeFormat; entries: number }> {
    if (ctx.actor.kind !== 'user') throw new ForbiddenError('the operator\'s command line never reads investigations; export one through the API as an admin who can see it');
    this.authorise(ctx, 'hashsets.admin');
    this.authorise(ctx, 'cases.read');
    const mediaIds = await inTransaction(this.db, ctx, async (tx) => {
      await this.cases.require(tx, input.investigationId, 'read');
      const direct = await tx.tx.selectFrom('investigation_links').select('target_id').where('investigation_id', '=', input.investigationId).where('kind', '=', 'media').execute();
      const viaSeries = await tx.tx
        .selectFrom('investigation_links as l')
        .innerJoin('series_media as sm', 'sm.series_id', 'l.target_id')
        .select('sm.media_id')
        .where('l.investigation_id', '=', input.investigationId)
        .where('l.kind', '=', 'series')
        .execute();
      await this.audit.append(tx.tx, { action: 'investigation.export', actor: tx.actor, object: { type: 'investigation', id: input.investigationId }, address: tx.address, requestId: tx.requestId, details: { format: input.format } });
      const ids = new Set<number>();
      for (const r of direct) if (r.target_id !== null) ids.add(Number(r.target_id));
      for (const r of viaSeries) ids.add(Number(r.media_id));
      return [...ids].sort((a, b) => a - b);
    });
    const entries = await writeEntries(input.format, this.mediaPages(mediaIds), out);
    return { investigationId: input.investigationId, format: input.format, entries };
  }

  private async *mediaPages(mediaIds: readonly number[]): AsyncGenerator<ExchangeEntry[]> {
    for (let i = 0; i < mediaIds.length; i += 500) {
      const ids = mediaIds.slice(i, i + 500);
      const items = await this.db.selectFrom('media_items').select(['id', 'md5', 'sha1', 'sha256', 'kind']).where('id', 'in', ids).orderBy('id').execute();
      const pdq = await this.db.selectFrom('signal_entries').select(['media_id', 'hash', 'quality']).where('media_id', 'in', ids).where('signal', '=', 'pdq').where('variant', '=', 'plain').where('removed_at', 'is', null).execute();
      const categories = await this.db.selectFrom('media_categories').select(['media_id', 'category', 'baseline']).where('media_id', 'in', ids).execute();
      const series = await this.db.selectFrom('series_media as sm').innerJoin('series as s', 's.id', 'sm.series_id').select(['sm.media_id', 's.name']).where('sm.media_id', 'in', ids).orderBy('s.id').execute();
      const pdqOf = new Map(pdq.map((r) => [Number(r.media_id), r]));
      const catOf = new Map(categories.map((r) => [Number(r.media_id), r]));
      const seriesOf = new Map<number, string>();
      for (const r of series) if (!seriesOf.has(Number(r.media_id))) seriesOf.set(Number(r.media_id), r.name);
      yield items.map((m) => {
        const id = Number(m.id);
        const p = pdqOf.get(id);
        const c = catOf.get(id);
        return {
          mediaRef: String(id),
          md5: m.md5.toLowerCase(),
          sha1: m.sha1.toLowerCase(),
          sha256: m.sha256.toLowerCase(),
          pdq: p ? Buffer.from(p.hash).toString('hex') : null,
          pdqQuality: p?.quality ?? null,
          photoDna: null,
          altHashes: [],
          category: c?.category ?? null,
          baseline: c?.baseline === null || c === undefined ? null : Number(c.baseline) === 1,
          series: seriesOf.get(id) ?? null,
          victimIdentified: null,
          offenderIdentified: null,
          distributed: null,
          tags: [],
          mediaType: m.kind,
          fileName: null,
          label: null,
        };
      });
    }
  }

  private async *pages(setId: number): AsyncGenerator<ExchangeEntry[]> {
    let after = 0;
    for (;;) {
      const rows = await this.db.selectFrom('hash_set_items').selectAll().where('set_id', '=', setId).where('id', '>', after).orderBy('id').limit(EXPORT_PAGE).execute();
      if (rows.length === 0) return;
      after = Number(rows[rows.length - 1].id);
      yield rows.map(fromItemRow);
    }
  }

  /** Disabling keeps the entries but stops them matching; enabling restores them. */
  async setEnabled(ctx: RequestContext, id: number, enabled: boolean): Promise<HashSet> {
    this.authorise(ctx, 'hashsets.admin');
    await inTransaction(this.db, ctx, async (tx) => {
      const updated = await tx.tx.updateTable('hash_sets').set({ enabled: enabled ? 1 : 0, updated_at: tx.now }).where('id', '=', id).executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) throw new NotFoundError('no such hash set');
      await this.audit.append(tx.tx, { action: enabled ? 'hashset.enable' : 'hashset.disable', actor: tx.actor, object: { type: 'hash_set', id }, address: tx.address, requestId: tx.requestId });
    });
    return this.get(id);
  }

  async get(id: number): Promise<HashSet> {
    const row = await this.db.selectFrom('hash_sets').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError('no such hash set');
    return toSet(row);
  }

  async find(set: string | number): Promise<HashSet> {
    const row = await (typeof set === 'number' ? this.db.selectFrom('hash_sets').selectAll().where('id', '=', set) : this.db.selectFrom('hash_sets').selectAll().where('name', '=', set.trim())).executeTakeFirst();
    if (!row) throw new NotFoundError(`no such hash set: ${String(set)}`);
    return toSet(row);
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

  private authorise(ctx: RequestContext, permission: Permission): void {
    // The operator's command line (system actor) works on the server's own database and may manage hash sets.
    if (ctx.actor.kind === 'user') this.policy.require(ctx.actor, permission, ctx.now);
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

function toSet(row: { [K in keyof HashSetsTable]: unknown }): HashSet {
  return {
    id: Number(row.id),
    name: String(row.name),
    source: String(row.source),
    terms: String(row.terms),
    format: String(row.format),
    enabled: Number(row.enabled) === 1,
    entryCount: Number(row.entry_count),
    createdBy: row.created_by === null ? null : Number(row.created_by),
    createdAt: Number(row.created_at),
  };
}

