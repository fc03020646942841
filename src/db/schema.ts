import type { Generated, Kysely, Transaction } from 'kysely';

/**
 * Table types for Kysely. Times are integers: milliseconds since the Unix epoch (UTC), the same on SQLite and
 * PostgreSQL (bigint there, parsed to number). Booleans are stored as 0/1 integers on both. JSON is text.
 */
export interface JobsTable {
  id: Generated<number>;
  kind: string;
  payload: string;
  status: 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  priority: number;
  attempts: number;
  max_attempts: number;
  run_at: number;
  locked_by: string | null;
  locked_until: number | null;
  last_error: string | null;
  result: string | null;
  dedupe_key: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

export interface Schema {
  jobs: JobsTable;
}

export type Db = Kysely<Schema>;
export type Tx = Transaction<Schema>;
/** A query runner: the database itself or an open transaction. */
export type Executor = Kysely<Schema>;
export type Dialect = 'sqlite' | 'postgres';
