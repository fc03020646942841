import { createHash } from 'node:crypto';
import { IntegrityError, InvalidError } from '../core/errors.js';
import { actorName, type Actor, type TxContext } from '../auth/actor.js';
import { AUDIT_GENESIS_HASH } from '../db/migrations/0002-auth-audit.js';
import { QueryTemplate } from '../db/query-template.js';
import type { AuditLogTable, Db, Executor } from '../db/schema.js';

/** What a caller records; the log adds the sequence number, time, previous hash and hash. */
export interface AuditEntryInput {
  /** Dotted lower-case name: `auth.login`, `media.view`, `user.certify`. */
  readonly action: string;
  /** Who acted; null for an anonymous caller (then `actorName` says what was claimed, e.g. a typed user name). */
  readonly actor: Actor | null;
  readonly actorName?: string;
  readonly object?: { readonly type: string; readonly id: string | number; readonly country?: string | null };
  readonly address?: string | null;
  readonly requestId?: string | null;
  readonly details?: Record<string, unknown>;
  /** Epoch ms; defaults to the log's clock. */
  readonly at?: number;
}

export interface AuditEntry {
  readonly seq: number;
  readonly at: number;
  readonly actorId: number | null;
  readonly actorName: string;
  readonly actorCountry: string | null;
  readonly action: string;
  readonly objectType: string | null;
  readonly objectId: string | null;
  readonly objectCountry: string | null;
  readonly address: string | null;
  readonly requestId: string | null;
  readonly details: Record<string, unknown> | null;
  readonly prevHash: string;
  readonly hash: string;
}

export interface AuditQuery {
  readonly actorId?: number;
  readonly actorName?: string;
  readonly action?: string;
  readonly objectType?: string;
  readonly objectId?: string;
  /** Entries whose actor or object belongs to this country. */
  readonly country?: string;
  /** Inclusive lower and exclusive upper bound, epoch ms. */
  readonly from?: number;
  readonly to?: number;
  /** Keyset paging: entries with seq below this (newest first). */
  readonly beforeSeq?: number;
  readonly limit?: number;
}

export type BrokenLinkReason = 'missing' | 'edited' | 'relinked' | 'head_mismatch';

export interface AuditVerification {
  readonly ok: boolean;
  /** Entries checked. */
  readonly entries: number;
  /** The sequence number and hash the chain ends at (publish the hash elsewhere to anchor the log). */
  readonly headSeq: number;
  readonly headHash: string;
  readonly firstBroken?: { readonly seq: number; readonly reason: BrokenLinkReason; readonly message: string };
}

const ACTION = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/;
const HASH_VERSION = 1;
const VERIFY_PAGE = 1000;

/**
 * Appending is on the path of every change (every ingested file): its statements are compiled once (QueryTemplate).
 * Entries go in with one statement for up to MAX_ROWS_COMPILED of them (values flat, row after row).
 */
const MOVE_HEAD = new QueryTemplate((db, v: { count: number }) =>
  db
    .updateTable('audit_head')
    .set((eb) => ({ seq: eb('seq', '+', v.count) }))
    .where('id', '=', 1)
    .returning(['seq', 'hash']),
);
const SET_HEAD_HASH = new QueryTemplate((db, v: { hash: string }) => db.updateTable('audit_head').set({ hash: v.hash }).where('id', '=', 1));
const COLUMNS = ['seq', 'at', 'actor_id', 'actor_name', 'actor_country', 'action', 'object_type', 'object_id', 'object_country', 'address', 'request_id', 'details', 'prev_hash', 'hash'] as const satisfies ReadonlyArray<keyof AuditLogTable>;
const MAX_ROWS_COMPILED = 4;
const INSERT_ROWS = Array.from({ length: MAX_ROWS_COMPILED }, (_, n) =>
  new QueryTemplate((db, v: unknown[]) =>
    db.insertInto('audit_log').values(Array.from({ length: n + 1 }, (_, r) => Object.fromEntries(COLUMNS.map((c, i) => [c, v[r * COLUMNS.length + i]])) as unknown as AuditLogTable)),
  ),
);

/**
 * The append-only, hash-chained audit trail. Each entry's hash covers its own fields and the previous entry's hash,
 * so an edited, removed or reordered entry breaks the chain at that point; the head row (last seq and hash) catches
 * removal of the newest entries. Appending always happens inside the caller's transaction, so an entry exists
 * exactly when the change it records does.
 */
export class AuditLog {
  private readonly db: Db;
  private readonly clock: () => number;

  constructor(options: { db: Db; now?: () => number }) {
    this.db = options.db;
    this.clock = options.now ?? Date.now;
  }

  /**
   * Appends one entry in the transaction `tx` (pass the transaction that makes the change being recorded).
   * The first statement updates the head row, which serialises concurrent appenders on both databases.
   */
  async append(tx: Executor, input: AuditEntryInput): Promise<AuditEntry> {
    return (await this.appendAll(tx, [input]))[0];
  }

  /**
   * Appends entries in this order in the transaction `tx`, as that many appends would, in three statements whatever
   * their number: the head's sequence moved past them all, the entries, the head's hash.
   */
  async appendAll(tx: Executor, inputs: readonly AuditEntryInput[]): Promise<AuditEntry[]> {
    if (!tx.isTransaction) throw new InvalidError('audit entries are appended inside the transaction of the change they record');
    if (inputs.length === 0) return [];
    for (const input of inputs) {
      if (!ACTION.test(input.action) || input.action.length > 64) throw new InvalidError(`invalid audit action "${input.action}"`);
    }
    const head = await MOVE_HEAD.executeTakeFirst(tx, { count: inputs.length });
    if (!head) throw new IntegrityError('the audit chain head is missing');
    const rows: AuditLogTable[] = [];
    let prevHash = head.hash;
    let seq = Number(head.seq) - inputs.length;
    for (const input of inputs) {
      const actor = input.actor;
      const row: AuditLogTable = {
        seq: ++seq,
        at: input.at ?? this.clock(),
        actor_id: actor?.kind === 'user' ? actor.userId : null,
        actor_name: clip(actor ? actorName(actor) : (input.actorName ?? 'anonymous'), 128),
        actor_country: actor?.kind === 'user' ? actor.countryCode : null,
        action: input.action,
        object_type: input.object ? clip(input.object.type, 64) : null,
        object_id: input.object ? clip(String(input.object.id), 256) : null,
        object_country: input.object?.country ?? null,
        address: input.address ? clip(input.address, 64) : null,
        request_id: input.requestId ? clip(input.requestId, 128) : null,
        details: input.details === undefined ? null : JSON.stringify(input.details),
        prev_hash: prevHash,
        hash: '',
      };
      row.hash = entryHash(row);
      prevHash = row.hash;
      rows.push(row);
    }
    await insertRows(tx, rows);
    await SET_HEAD_HASH.run(tx, { hash: prevHash });
    return rows.map(toEntry);
  }

  /**
   * Takes the chain's lock in `tx` without appending (a no-op update of the head row): for check-then-write
   * operations that must not run concurrently, such as creating the first global admin.
   */
  async serialize(tx: Executor): Promise<void> {
    if (!tx.isTransaction) throw new InvalidError('serialize() needs a transaction');
    await tx.updateTable('audit_head').set((eb) => ({ seq: eb.ref('seq') })).where('id', '=', 1).execute();
  }

  /** `append` with the actor, address and request id taken from a service context. */
  record(ctx: TxContext, entry: Omit<AuditEntryInput, 'actor' | 'address' | 'requestId' | 'at'>): Promise<AuditEntry> {
    return this.append(ctx.tx, { ...entry, actor: ctx.actor, address: ctx.address, requestId: ctx.requestId, at: ctx.now });
  }

  /** Newest first. Access is the caller's business (AuditService checks it). */
  async query(filter: AuditQuery, executor: Executor = this.db): Promise<AuditEntry[]> {
    let q = executor.selectFrom('audit_log').selectAll();
    if (filter.actorId !== undefined) q = q.where('actor_id', '=', filter.actorId);
    if (filter.actorName !== undefined) q = q.where('actor_name', '=', filter.actorName);
    if (filter.action !== undefined) {
      q = filter.action.endsWith('.*')
        ? q.where('action', 'like', `${filter.action.slice(0, -2).replace(/[%_\\]/g, '')}.%`)
        : q.where('action', '=', filter.action);
    }
    if (filter.objectType !== undefined) q = q.where('object_type', '=', filter.objectType);
    if (filter.objectId !== undefined) q = q.where('object_id', '=', filter.objectId);
    if (filter.country !== undefined) {
      const country = filter.country;
      q = q.where((eb) => eb.or([eb('actor_country', '=', country), eb('object_country', '=', country)]));
    }
    if (filter.from !== undefined) q = q.where('at', '>=', filter.from);
    if (filter.to !== undefined) q = q.where('at', '<', filter.to);
    if (filter.beforeSeq !== undefined) q = q.where('seq', '<', filter.beforeSeq);
    const rows = await q.orderBy('seq', 'desc').limit(Math.min(Math.max(filter.limit ?? 100, 1), 1000)).execute();
    return rows.map((r) => toEntry(r as AuditLogTable));
  }

  /** Counts of entries per action in a time range (for statistics). */
  async countByAction(range: { from?: number; to?: number; country?: string }, executor: Executor = this.db): Promise<Record<string, number>> {
    let q = executor.selectFrom('audit_log').select(['action', (eb) => eb.fn.countAll<number>().as('n')]);
    if (range.from !== undefined) q = q.where('at', '>=', range.from);
    if (range.to !== undefined) q = q.where('at', '<', range.to);
    if (range.country !== undefined) {
      const country = range.country;
      q = q.where((eb) => eb.or([eb('actor_country', '=', country), eb('object_country', '=', country)]));
    }
    const rows = await q.groupBy('action').execute();
    return Object.fromEntries(rows.map((r) => [r.action, Number(r.n)]));
  }

  /**
   * Walks the whole chain from entry 1 and reports the first broken link: a missing sequence number, an entry
   * whose content no longer matches its hash, an entry that does not point at its predecessor's hash, or a head
   * that does not match the last entry (the newest entries were removed). Inside a transaction, pass it: on SQLite
   * the one connection is held by the transaction.
   */
  async verify(executor: Executor = this.db): Promise<AuditVerification> {
    const head = await executor.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirst();
    if (!head) throw new IntegrityError('the audit chain head is missing');
    const headSeq = Number(head.seq);
    let expectedSeq = 1;
    let prevHash = AUDIT_GENESIS_HASH;
    let entries = 0;
    const broken = (seq: number, reason: BrokenLinkReason, message: string): AuditVerification => ({
      ok: false,
      entries,
      headSeq,
      headHash: head.hash,
      firstBroken: { seq, reason, message },
    });
    for (;;) {
      const rows = await executor
        .selectFrom('audit_log')
        .selectAll()
        .where('seq', '>=', expectedSeq)
        .orderBy('seq', 'asc')
        .limit(VERIFY_PAGE)
        .execute();
      for (const raw of rows) {
        const row = { ...(raw as AuditLogTable), seq: Number(raw.seq) };
        if (row.seq !== expectedSeq) return broken(expectedSeq, 'missing', `entry ${expectedSeq} is missing (the next entry is ${row.seq})`);
        if (row.prev_hash !== prevHash) return broken(row.seq, 'relinked', `entry ${row.seq} does not point at the hash of entry ${row.seq - 1}`);
        if (entryHash(row) !== row.hash) return broken(row.seq, 'edited', `entry ${row.seq} was changed after it was written`);
        prevHash = row.hash;
        expectedSeq++;
        entries++;
      }
      if (rows.length < VERIFY_PAGE) break;
    }
    if (headSeq !== expectedSeq - 1 || head.hash !== prevHash) {
      const seq = headSeq > expectedSeq - 1 ? expectedSeq : headSeq + 1;
      return broken(seq, 'head_mismatch', `the chain ends at entry ${expectedSeq - 1} but its head says ${headSeq}: entries after ${expectedSeq - 1} were removed or the head was altered`);
    }
    return { ok: true, entries, headSeq, headHash: head.hash };
  }
}

/** SHA-256 over a fixed-order JSON array of every field but the hash itself. */
export function entryHash(row: Omit<AuditLogTable, 'hash'> & { hash?: string }): string {
  const canonical = JSON.stringify([
    HASH_VERSION,
    Number(row.seq),
    Number(row.at),
    row.actor_id === null ? null : Number(row.actor_id),
    row.actor_name,
    row.actor_country,
    row.action,
    row.object_type,
    row.object_id,
    row.object_country,
    row.address,
    row.request_id,
    row.details,
    row.prev_hash,
  ]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

function toEntry(row: AuditLogTable): AuditEntry {
  return {
    seq: Number(row.seq),
    at: Number(row.at),
    actorId: row.actor_id === null ? null : Number(row.actor_id),
    actorName: row.actor_name,
    actorCountry: row.actor_country,
    action: row.action,
    objectType: row.object_type,
    objectId: row.object_id,
    objectCountry: row.object_country,
    address: row.address,
    requestId: row.request_id,
    details: row.details === null ? null : (JSON.parse(row.details) as Record<string, unknown>),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** Entries into the log: a compiled statement for up to MAX_ROWS_COMPILED of them, built for more. */
async function insertRows(tx: Executor, rows: readonly AuditLogTable[]): Promise<void> {
  if (rows.length > MAX_ROWS_COMPILED) {
    await tx.insertInto('audit_log').values(rows).execute();
    return;
  }
  const flat = new Array<unknown>(rows.length * COLUMNS.length);
  let at = 0;
  for (const row of rows) for (const c of COLUMNS) flat[at++] = row[c];
  await INSERT_ROWS[rows.length - 1].run(tx, flat);
}

function clip(value: string, max: number): string {
  return value.length > max ? value.slice(0, max) : value;
}
