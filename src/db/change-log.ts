import { sql } from 'kysely';
import type { Db, Dialect, Executor } from './schema.js';

/**
 * Helpers shared by the change logs that in-memory indexes follow (matching/signal-store.ts for hashes,
 * connect/vision-store.ts for vectors).
 */

/** This database's identity (made by migration 0003): snapshots are kept per database so none is read by another. */
export async function databaseId(db: Db): Promise<string> {
  const row = await db.selectFrom('instance_settings').select('value').where('key', '=', 'database_id').executeTakeFirstOrThrow();
  return row.value;
}

/**
 * Serialises writers of one change log within the caller's transaction. On PostgreSQL a transaction-scoped advisory
 * lock makes sequence numbers become visible in commit order, so a reader that has seen change N has seen every
 * change before it; SQLite serialises writers anyway.
 */
export async function lockChangeLog(tx: Executor, dialect: Dialect, lockId: number): Promise<void> {
  if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(${lockId})`.execute(tx);
}
