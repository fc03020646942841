import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import type { Dialect } from '../schema.js';

/** Column types that differ between the dialects, so one migration runs on both. */
export interface DialectTypes {
  readonly dialect: Dialect;
  /** Integer primary key type: `integer` on SQLite (rowid alias), `bigint` on PostgreSQL. */
  readonly id: 'integer' | 'bigint';
  /** Marks the id column as generated: AUTOINCREMENT on SQLite, an identity column on PostgreSQL. */
  readonly autoIncrement: (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder;
  /** Epoch milliseconds. */
  readonly time: 'integer' | 'bigint';
  /** A 64-bit integer column (sizes, sequences). */
  readonly bigint: 'integer' | 'bigint';
  /** Raw bytes: blob or bytea. */
  readonly bytes: 'blob' | 'bytea';
}

export interface MigrationStep {
  /** Sorts in application order: `NNNN-name`. */
  readonly name: string;
  up(db: Kysely<unknown>, types: DialectTypes): Promise<void>;
}

export function dialectTypes(dialect: Dialect): DialectTypes {
  return dialect === 'sqlite'
    ? { dialect, id: 'integer', autoIncrement: (c) => c.autoIncrement(), time: 'integer', bigint: 'integer', bytes: 'blob' }
    : { dialect, id: 'bigint', autoIncrement: (c) => c.generatedByDefaultAsIdentity(), time: 'bigint', bigint: 'bigint', bytes: 'bytea' };
}
