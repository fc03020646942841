import type { Readable } from 'node:stream';
import { inTransaction, type RequestContext, type TxContext } from '../auth/actor.js';
import type { AccessPolicy } from '../auth/policy.js';
import type { AuditLog } from '../audit/audit-log.js';
import { ConflictError, InvalidError, NotFoundError } from '../core/errors.js';
import type { Db, HashSetsTable } from '../db/schema.js';
import { readPdqList, type PdqListProblem } from '../exchange/pdq-list.js';
import type { NewSignalEntry, SignalStore } from '../matching/signal-store.js';

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

export interface ImportReport {
  readonly set: HashSet;
  readonly created: boolean;
  /** Entries added. */
  readonly imported: number;
  /** Well-formed lines whose hash the set already held. */
  readonly duplicates: number;
  /** Lines that could not be read, with their numbers; everything else was imported. */
  readonly problems: readonly PdqListProblem[];
}

const BATCH = 5000;
const MAX_PROBLEMS_KEPT = 1000;
const NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._()/-]{0,119}$/u;

/**
 * Hash sets: lists of hashes other agencies and programmes share, with their provenance. Their entries match like
 * stored media and name their set. Imports stream in batches; each batch commits with its audit entry, and the
 * indexes follow through the change log.
 */
export class HashSetService {
  constructor(
    private readonly db: Db,
    private readonly store: SignalStore,
    private readonly audit: AuditLog,
    private readonly policy: AccessPolicy,
    /** Called after each committed batch so this process's indexes follow at once. */
    private readonly onCommitted: () => Promise<unknown> = async () => undefined,
  ) {}

  async list(ctx: RequestContext): Promise<HashSet[]> {
    this.authorise(ctx, 'media.match');
    const rows = await this.db.selectFrom('hash_sets').selectAll().orderBy('name').execute();
    return rows.map(toSet);
  }

  async importPdqList(ctx: RequestContext, input: ImportInput): Promise<ImportReport> {
    this.authorise(ctx, 'media.upload');
    const name = input.name.trim();
    if (!NAME.test(name)) throw new InvalidError('a set name is 1-120 letters, digits, spaces and . _ ( ) / -, starting with a letter or digit');
    const { set, created } = await inTransaction(this.db, ctx, (tx) => this.findOrCreate(tx, name, input.source ?? '', input.terms ?? '', 'pdq-list'));
    const problems: PdqListProblem[] = [];
    let problemCount = 0;
    let imported = 0;
    let seen = 0;
    let batch: NewSignalEntry[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const entries = batch;
      batch = [];
      imported += await inTransaction(this.db, ctx, async (tx) => {
        const ids = await this.store.addEntries(tx.tx, entries, tx.now);
        if (ids.length > 0) {
          await tx.tx
            .updateTable('hash_sets')
            .set((eb) => ({ entry_count: eb('entry_count', '+', ids.length), updated_at: tx.now }))
            .where('id', '=', set.id)
            .execute();
        }
        await this.audit.append(tx.tx, {
          action: 'hashset.entries.add',
          actor: tx.actor,
          object: { type: 'hash_set', id: set.id },
          address: tx.address,
          requestId: tx.requestId,
          details: { offered: entries.length, added: ids.length },
        });
        return ids.length;
      });
      await this.onCommitted();
    };
    for await (const record of readPdqList(input.input)) {
      if (!record.ok) {
        problemCount++;
        if (problems.length < MAX_PROBLEMS_KEPT) problems.push(record.problem);
        continue;
      }
      seen++;
      const e = record.entry;
      batch.push({ signal: 'pdq', hash: e.hash, quality: e.quality, setId: set.id, label: e.label });
      if (batch.length >= BATCH) await flush();
    }
    await flush();
    if (problemCount > problems.length) problems.push({ line: 0, message: `${problemCount - problems.length} more problems not listed` });
    const fresh = await this.get(set.id);
    return { set: fresh, created, imported, duplicates: seen - imported, problems };
  }

  /** Disabling keeps the entries but stops them matching; enabling restores them. */
  async setEnabled(ctx: RequestContext, id: number, enabled: boolean): Promise<HashSet> {
    this.authorise(ctx, 'media.upload');
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

  private async findOrCreate(ctx: TxContext, name: string, source: string, terms: string, format: string): Promise<{ set: HashSet; created: boolean }> {
    const existing = await ctx.tx.selectFrom('hash_sets').selectAll().where('name', '=', name).executeTakeFirst();
    if (existing) {
      if (existing.format !== format) throw new ConflictError(`hash set "${name}" holds ${existing.format} entries; import into a new set`);
      return { set: toSet(existing), created: false };
    }
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

  private authorise(ctx: RequestContext, permission: 'media.match' | 'media.upload'): void {
    // The operator's command line (system actor) works on the server's own database and may manage hash sets.
    if (ctx.actor.kind === 'user') this.policy.require(ctx.actor, permission, ctx.now);
  }
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
