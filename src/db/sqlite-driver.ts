import type BetterSqlite3 from 'better-sqlite3';
import { SelectQueryNode, type CompiledQuery, type DatabaseConnection, type Driver, type QueryResult } from 'kysely';
import type { WalSync } from './wal-sync.js';

/** What the driver needs of the database handle: prepared statements (cached by the caller) and plain commands. */
export interface SqliteHandle {
  prepare(source: string): BetterSqlite3.Statement;
  exec(source: string): void;
  close(): void;
}

/**
 * Kysely's driver for better-sqlite3, with commits that wait for durability without blocking the event loop.
 *
 * SQLite has a single connection here; a mutex hands it to one query or transaction at a time, as Kysely's own
 * SQLite driver does. The difference is at the end of a write: the transaction (or lone write statement) commits,
 * hands the connection on at once, and only then waits for `WalSync.durable()`, so the next transactions run and
 * commit while the fsync is under way, and share the next one. Every write still resolves only once it is durable;
 * a read may see a commit whose fsync is still running (it would be lost only with the machine, together with
 * everything after it).
 * Without a WalSync (no write-ahead log: an in-memory database) commits are as SQLite's synchronous setting makes them.
 */
export class DurableSqliteDriver implements Driver {
  private readonly mutex = new Mutex();

  constructor(
    private readonly handle: SqliteHandle,
    private readonly wal: WalSync | null,
  ) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.mutex.lock();
    return new Connection(this.handle, this.mutex, this.wal);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    (connection as Connection).begin();
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as Connection).commit();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    (connection as Connection).rollback();
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    (connection as Connection).command(`savepoint ${quoteName(name)}`);
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    (connection as Connection).command(`rollback to ${quoteName(name)}`);
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    (connection as Connection).command(`release ${quoteName(name)}`);
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as Connection).release();
  }

  async destroy(): Promise<void> {
    await this.mutex.lock();
    try {
      await this.wal?.close();
      this.handle.close();
    } finally {
      this.mutex.unlock();
    }
  }
}

/** One holder's use of the single connection, from acquire to release. */
class Connection implements DatabaseConnection {
  private inTransaction = false;
  private wrote = false;
  private released = false;

  constructor(
    private readonly handle: SqliteHandle,
    private readonly mutex: Mutex,
    private readonly wal: WalSync | null,
  ) {}

  begin(): void {
    this.handle.exec('begin');
    this.inTransaction = true;
    this.wrote = false;
  }

  async commit(): Promise<void> {
    this.handle.exec('commit');
    this.inTransaction = false;
    if (this.wrote) await this.afterWrite();
  }

  rollback(): void {
    this.inTransaction = false;
    this.handle.exec('rollback');
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.mutex.unlock();
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const statement = this.handle.prepare(compiled.sql);
    const parameters = compiled.parameters as unknown[];
    let result: QueryResult<R>;
    if (statement.reader) {
      // Also `insert … returning`: a reader that writes.
      result = { rows: statement.all(parameters) as R[] };
    } else {
      const { changes, lastInsertRowid } = statement.run(parameters);
      result = {
        numAffectedRows: changes !== undefined && changes !== null ? BigInt(changes) : undefined,
        insertId: lastInsertRowid !== undefined && lastInsertRowid !== null ? BigInt(lastInsertRowid) : undefined,
        rows: [],
      };
    }
    if (!statement.readonly) {
      if (this.inTransaction) this.wrote = true;
      // A lone insert, update or delete that changed no row wrote nothing: there is nothing to make durable.
      else if (!(DATA_CHANGE.test(compiled.sql) && (result.numAffectedRows ?? BigInt(result.rows.length)) === 0n)) await this.afterWrite();
    }
    return result;
  }

  /** A transaction-control command (savepoints). */
  command(source: string): void {
    this.handle.exec(source);
  }

  async *streamQuery<R>(compiled: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(compiled.query)) throw new Error('the SQLite driver streams select queries only');
    const statement = this.handle.prepare(compiled.sql);
    for (const row of statement.iterate(compiled.parameters as unknown[])) yield { rows: [row as R] };
  }

  /** A write has committed: hand the connection on, then wait until the log holding it is on disk. */
  private async afterWrite(): Promise<void> {
    if (!this.wal) return;
    this.release();
    await this.wal.durable();
  }
}

/** Statements whose effect is all in the rows they report changing (unlike DDL, which reports none). */
const DATA_CHANGE = /^\s*(insert|update|delete)\b/i;

class Mutex {
  private held: Promise<void> | undefined;
  private resolveHeld: (() => void) | undefined;

  async lock(): Promise<void> {
    while (this.held) await this.held;
    this.held = new Promise<void>((resolve) => {
      this.resolveHeld = resolve;
    });
  }

  unlock(): void {
    const resolve = this.resolveHeld;
    this.held = undefined;
    this.resolveHeld = undefined;
    resolve?.();
  }
}

function quoteName(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
