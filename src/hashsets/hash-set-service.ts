import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { inTransaction, type RequestContext } from '../auth/actor.js';
import type { AccessPolicy } from '../auth/policy.js';
import type { Permission } from '../auth/roles.js';
import type { AuditLog } from '../audit/audit-log.js';
import { CaseAccess } from '../cases/case-access.js';
import { ForbiddenError, InvalidError, NotFoundError } from '../core/errors.js';
import type { Db } from '../db/schema.js';
import type { ExchangeFormat } from '../exchange/entry.js';
import { writeEntries } from '../exchange/formats.js';
import type { SignalStore } from '../matching/signal-store.js';
import { toSet, type HashSet } from './hash-set.js';
import { mediaPages, setPages } from './hash-set-export.js';
import { HashSetImporter, type BatchObserver, type FileImportInput, type ImportReport } from './hash-set-import.js';

export type { HashSet } from './hash-set.js';
export { IMPORT_BATCH, type BatchObserver, type FileImportInput, type ImportReport } from './hash-set-import.js';

export interface ImportInput {
  /** The set to add to; created when it does not exist. */
  readonly name: string;
  readonly source?: string;
  readonly terms?: string;
  readonly input: Readable;
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

const NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._()/-]{0,119}$/u;

/**
 * Hash sets: lists of hashes other agencies and programmes share, with their provenance. Their entries match like
 * stored media and name their set. Imports read the whole file once first (its SHA-256, its structure: a file that
 * is not what it claims is refused before anything is written), then stream it in batches; each batch commits its
 * entries, the file's checkpoint and its audit entry together, so an interrupted import resumes after the last
 * committed batch and importing a file again adds nothing (hash-set-import.ts). Exports stream page by page
 * (hash-set-export.ts).
 */
export class HashSetService {
  private readonly cases: CaseAccess;
  private readonly importer: HashSetImporter;

  constructor(
    private readonly db: Db,
    private readonly store: SignalStore,
    private readonly audit: AuditLog,
    private readonly policy: AccessPolicy,
    /** Called after each committed batch so this process's indexes follow at once. */
    onCommitted: () => Promise<unknown> = async () => undefined,
  ) {
    this.cases = new CaseAccess(policy);
    this.importer = new HashSetImporter(db, store, audit, onCommitted);
  }

  /** Test hook: runs after every committed import batch. */
  get afterBatch(): BatchObserver | null {
    return this.importer.afterBatch;
  }

  set afterBatch(observer: BatchObserver | null) {
    this.importer.afterBatch = observer;
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

    return this.importer.importFile(ctx, { ...input, name }, info.size);
  }

  /** Streams a set to `out` in the format asked for; the export is audited. */
  async exportSet(ctx: RequestContext, input: ExportInput, out: Writable): Promise<ExportReport> {
    this.authorise(ctx, 'hashsets.admin');
    const set = await this.find(input.set);
    await inTransaction(this.db, ctx, (tx) =>
      this.audit.append(tx.tx, { action: 'hashset.export', actor: tx.actor, object: { type: 'hash_set', id: set.id }, address: tx.address, requestId: tx.requestId, details: { format: input.format } }),
    );
    const entries = await writeEntries(input.format, setPages(this.db, set.id), out);
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
    const entries = await writeEntries(input.format, mediaPages(this.db, mediaIds), out);
    return { investigationId: input.investigationId, format: input.format, entries };
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

  private authorise(ctx: RequestContext, permission: Permission): void {
    // The operator's command line (system actor) works on the server's own database and may manage hash sets.
    if (ctx.actor.kind === 'user') this.policy.require(ctx.actor, permission, ctx.now);
  }
}
