import { Migrator, sql, type Migration, type MigrationProvider, type Kysely } from 'kysely';
import { IntegrityError } from '../core/errors.js';
import { MIGRATIONS } from './migrations/index.js';
import { dialectTypes, type MigrationStep } from './migrations/types.js';
import type { Dialect } from './schema.js';

export interface SchemaVersion {
  /** Number of applied migrations; equals the name prefix of the latest one. */
  readonly version: number;
  readonly latest: string | null;
  /** Migrations this build knows that the database has not applied. */
  readonly pending: readonly string[];
}

const MIGRATION_TABLE = 'schema_migrations';

function provider(dialect: Dialect, steps: readonly MigrationStep[]): MigrationProvider {
  const types = dialectTypes(dialect);
  return {
    async getMigrations() {
      const out: Record<string, Migration> = {};
      for (const step of steps) out[step.name] = { up: (db) => step.up(db, types) };
      return out;
    },
  };
}

function migrator(db: Kysely<unknown>, dialect: Dialect, steps: readonly MigrationStep[]): Migrator {
  return new Migrator({
    db,
    provider: provider(dialect, steps),
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: 'schema_migrations_lock',
  });
}

/**
 * Applies every pending migration in one transaction, all or nothing (Kysely takes a lock so that several processes
 * starting together apply them once). A database migrated by a newer build is refused rather than used.
 */
export async function migrateToLatest(db: Kysely<unknown>, dialect: Dialect, steps: readonly MigrationStep[] = MIGRATIONS): Promise<SchemaVersion> {
  const m = migrator(db, dialect, steps);
  const known = new Set(steps.map((s) => s.name));
  const unknown = (await appliedNames(db)).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new IntegrityError(`the database was migrated by a newer Ariadne (unknown migrations: ${unknown.join(', ')}); upgrade this installation`);
  }
  const { error, results } = await m.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new IntegrityError(`database migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message}`, undefined, { cause: error });
  }
  return schemaVersion(db, dialect, steps);
}

async function appliedNames(db: Kysely<unknown>): Promise<string[]> {
  const tables = await db.introspection.getTables();
  if (!tables.some((t) => t.name === MIGRATION_TABLE)) return [];
  const rows = await sql<{ name: string }>`select name from ${sql.table(MIGRATION_TABLE)} order by name`.execute(db);
  return rows.rows.map((r) => r.name);
}

export async function schemaVersion(db: Kysely<unknown>, dialect: Dialect, steps: readonly MigrationStep[] = MIGRATIONS): Promise<SchemaVersion> {
  const list = await migrator(db, dialect, steps).getMigrations();
  const done = list.filter((x) => x.executedAt !== undefined).map((x) => x.name);
  const latest = done.length > 0 ? done[done.length - 1] : null;
  return {
    version: latest === null ? 0 : Number.parseInt(latest.slice(0, 4), 10),
    latest,
    pending: list.filter((x) => x.executedAt === undefined).map((x) => x.name),
  };
}
