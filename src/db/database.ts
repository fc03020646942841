import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteAdapter, SqliteDialect, sql, type DialectAdapter, type Driver, type SqliteDatabase } from 'kysely';
import pg from 'pg';
import type { DatabaseConfig } from '../config.js';
import { UnavailableError } from '../core/errors.js';
import type { Db, Dialect } from './schema.js';
import { DurableSqliteDriver, type SqliteHandle } from './sqlite-driver.js';
import { WalSync } from './wal-sync.js';

export interface Database {
  readonly db: Db;
  readonly dialect: Dialect;
  /** SQLite: fsyncs of the write-ahead log, and the commits that waited for them (shared); null on PostgreSQL. */
  syncStats(): { readonly syncs: number; readonly waits: number } | null;
  /** Round trip to the server (or file); throws UnavailableError when it fails. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Opens the configured database. SQLite runs in WAL mode, every commit durable (sqlite-driver.ts); PostgreSQL through a pg pool. */
export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  const { db, wal } = config.dialect === 'sqlite' ? openSqlite(config.path) : { db: openPostgres(config.url, config.poolSize), wal: null };
  const database: Database = {
    db,
    dialect: config.dialect,
    syncStats: () => wal?.stats ?? null,
    async ping() {
      try {
        await sql`select 1`.execute(db);
      } catch (error) {
        throw new UnavailableError(`database unreachable: ${(error as Error).message}`, undefined, { cause: error });
      }
    },
    close: () => db.destroy(),
  };
  await database.ping();
  return database;
}

function openSqlite(path: string): { db: Db; wal: WalSync | null } {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let handle: BetterSqlite3.Database;
  try {
    handle = new BetterSqlite3(path);
  } catch (error) {
    throw new UnavailableError(`cannot open SQLite database ${path}: ${(error as Error).message}`, undefined, { cause: error });
  }
  const mode = String(handle.pragma('journal_mode = WAL', { simple: true })).toLowerCase();
  // In WAL mode, commits skip SQLite's own fsync and wait for WalSync's instead, which runs off the event loop and
  // is shared by the commits of that moment: as durable as synchronous=FULL (see wal-sync.ts). Anything else (an
  // in-memory database) keeps SQLite's own full sync.
  const wal = mode === 'wal' ? new WalSync(path) : null;
  handle.pragma(wal ? 'synchronous = NORMAL' : 'synchronous = FULL');
  handle.pragma('foreign_keys = ON');
  handle.pragma('busy_timeout = 10000');
  // The unique indexes of signal entries and hash-set items are keyed by digests, so bulk writes (hash-set imports)
  // land all over them: a 64 MiB page cache (SQLite's default is 2 MiB; it fills only as pages are read) keeps far
  // more of them in memory. A checkpoint every 10,000 pages of log (~40 MiB) instead of 1,000 copies a page that
  // several commits rewrote once, and after it the log file is cut back to 64 MiB.
  handle.pragma(`cache_size = -${SQLITE_CACHE_KIB}`);
  handle.pragma('wal_autocheckpoint = 10000');
  handle.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
  return { db: new Kysely({ dialect: new DurableSqliteDialect(withStatementCache(handle), wal) }), wal };
}

const STATEMENT_CACHE_SIZE = 500;
/** SQLite's page cache for the connection, in KiB. */
const SQLITE_CACHE_KIB = 64 * 1024;

/**
 * Kysely prepares every query anew; the same few hundred statements run again and again (ingest runs a dozen per
 * file), so prepared statements are kept by their SQL text. All queries go through one connection one at a time, so
 * a cached statement is never used by two queries at once.
 */
function withStatementCache(handle: BetterSqlite3.Database): SqliteHandle {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    prepare(source: string) {
      let statement = statements.get(source);
      if (statement === undefined) {
        statement = handle.prepare(source);
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value!);
        statements.set(source, statement);
      }
      return statement;
    },
    exec(source: string) {
      handle.exec(source);
    },
    close() {
      statements.clear();
      handle.close();
    },
  };
}

/** SQLite runs DDL inside transactions; telling Kysely so makes a batch of migrations all-or-nothing, as on PostgreSQL. */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

/** Kysely's SQLite dialect with the durable-commit driver. */
class DurableSqliteDialect extends SqliteDialect {
  constructor(
    private readonly handle: SqliteHandle,
    private readonly wal: WalSync | null,
  ) {
    super({ database: {} as SqliteDatabase });
  }

  override createDriver(): Driver {
    return new DurableSqliteDriver(this.handle, this.wal);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

const INT8_OID = 20;

/**
 * A pg client that runs Kysely's queries as named prepared statements: PostgreSQL parses and plans each distinct
 * statement once per connection instead of on every call (ingest runs a few dozen per file). Names come from the
 * SQL text's digest; only single data statements are prepared (a prepared statement holds exactly one command).
 */
class PreparingClient extends pg.Client {
  override query(...args: unknown[]): never {
    const [text, values] = args;
    const run = super.query as unknown as (...a: unknown[]) => never;
    if (args.length === 2 && typeof text === 'string' && Array.isArray(values) && PREPARABLE.test(text) && !text.includes(';')) {
      return run.call(this, { name: statementName(text), text, values });
    }
    return run.apply(this, args);
  }
}

const PREPARABLE = /^\s*(select|insert|update|delete|with)\b/i;
const statementNames = new Map<string, string>();

function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `a${createHash('sha256').update(text).digest('base64url').slice(0, 24)}`;
    if (statementNames.size >= 10_000) statementNames.clear();
    statementNames.set(text, name);
  }
  return name;
}

function openPostgres(url: string, poolSize: number): Db {
  const pool = new pg.Pool({
    Client: PreparingClient,
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: 10_000,
    // bigint columns hold epoch milliseconds and ids, all below 2^53: read them as numbers.
    types: { getTypeParser: (oid: number, format?: 'text' | 'binary') => (oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) } as pg.CustomTypesConfig,
  });
  pool.on('error', () => {
    // An idle client lost its connection; the pool replaces it. Queries report their own errors.
  });
  return new Kysely({ dialect: new PostgresDialect({ pool }) });
}
