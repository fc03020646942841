import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, inject } from 'vitest';
import type { Kysely } from 'kysely';
import type { DatabaseConfig } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { missing } from './requirements.js';

/**
 * The database adapters every contract suite runs against: a SQLite file and a real PostgreSQL server (started by
 * test/support/global-setup.ts). Each call to `create()` gives a fresh, empty database.
 */
export interface DatabaseAdapter {
  readonly name: 'sqlite' | 'postgres';
  /** A reason when this adapter cannot run here (tests skip loudly), else undefined. */
  readonly skip: string | undefined;
  create(): Promise<{ config: DatabaseConfig; url: string; drop(): Promise<void> }>;
}

export function databaseAdapters(): DatabaseAdapter[] {
  const pgUrl = inject('pgUrl');
  return [
    {
      name: 'sqlite',
      skip: undefined,
      async create() {
        const dir = mkdtempSync(join(tmpdir(), 'ariadne-sqlite-'));
        const path = join(dir, 'test.sqlite');
        return { config: { dialect: 'sqlite', path }, url: `sqlite:${path}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
      },
    },
    {
      name: 'postgres',
      skip: missing('PostgreSQL server binaries (apt-get install postgresql)', pgUrl !== ''),
      async create() {
        const name = `t_${randomBytes(6).toString('hex')}`;
        const admin = new pg.Client({ connectionString: pgUrl });
        await admin.connect();
        await admin.query(`create database ${name}`);
        await admin.end();
        const url = pgUrl.replace(/\/postgres$/, `/${name}`);
        return {
          config: { dialect: 'postgres', url, poolSize: 5 },
          url,
          async drop() {
            const c = new pg.Client({ connectionString: pgUrl });
            await c.connect();
            await c.query(`drop database if exists ${name} with (force)`);
            await c.end();
          },
        };
      },
    },
  ];
}

/**
 * A fresh database of this adapter, opened and migrated to the latest schema. `drop` removes it (close the
 * database first).
 */
export async function openMigrated(adapter: DatabaseAdapter): Promise<{ database: Database; drop: () => Promise<void> }> {
  const created = await adapter.create();
  const database = await openDatabase(created.config);
  await migrateToLatest(database.db as Kysely<unknown>, database.dialect);
  return { database, drop: created.drop };
}

/**
 * For a contract suite: a fresh database of this adapter, migrated, for each of its tests (opened before each test,
 * closed and dropped after it). Read `.database` inside a test.
 */
export function freshDatabasePerTest(adapter: DatabaseAdapter): { readonly database: Database } {
  const fresh = { database: undefined as unknown as Database };
  let drop = async (): Promise<void> => undefined;
  beforeEach(async () => {
    ({ database: fresh.database, drop } = await openMigrated(adapter));
  });
  afterEach(async () => {
    await fresh.database.close();
    await drop();
  });
  return fresh;
}

/** An empty, enabled hash set written straight to the database (no audit: for store-level contract suites). */
export async function insertHashSet(database: Database, name: string, format: string): Promise<number> {
  const now = Date.now();
  const set = await database.db
    .insertInto('hash_sets')
    .values({ name, source: '', terms: '', format, enabled: 1, entry_count: 0, created_by: null, created_at: now, updated_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(set.id);
}
