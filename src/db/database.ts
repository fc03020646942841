import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteAdapter, SqliteDialect, sql, type DialectAdapter, type SqliteDatabase } from 'kysely';
import pg from 'pg';
import type { DatabaseConfig } from '../config.js';
import { UnavailableError } from '../core/errors.js';
import type { Db, Dialect } from './schema.js';

export interface Database {
  readonly db: Db;
  readonly dialect: Dialect;
  /** Round trip to the server (or file); throws UnavailableError when it fails. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Opens the configured database. SQLite runs in WAL mode with full fsync; PostgreSQL through a pg pool. */
export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  const db = config.dialect === 'sqlite' ? openSqlite(config.path) : openPostgres(config.url, config.poolSize);
  const database: Database = {
    db,
    dialect: config.dialect,
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

function openSqlite(path: string): Db {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let handle: BetterSqlite3.Database;
  try {
    handle = new BetterSqlite3(path);
  } catch (error) {
    throw new UnavailableError(`cannot open SQLite database ${path}: ${(error as Error).message}`, undefined, { cause: error });
  }
  handle.pragma('journal_mode = WAL');
  handle.pragma('synchronous = FULL');
  handle.pragma('foreign_keys = ON');
  handle.pragma('busy_timeout = 10000');
  return new Kysely({ dialect: new TransactionalDdlSqliteDialect({ database: withStatementCache(handle) }) });
}

const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely prepares every query anew; the same few hundred statements run again and again (ingest runs a dozen per
 * file), so prepared statements are kept by their SQL text. All queries go through one connection one at a time, so
 * a cached statement is never used by two queries at once.
 */
function withStatementCache(handle: BetterSqlite3.Database): SqliteDatabase {
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

class TransactionalDdlSqliteDialect extends SqliteDialect {
  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

const INT8_OID = 20;

function openPostgres(url: string, poolSize: number): Db {
  const pool = new pg.Pool({
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
