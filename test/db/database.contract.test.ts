import { sql, type Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrateToLatest, schemaVersion } from '../../src/db/migrate.js';
import { MIGRATIONS } from '../../src/db/migrations/index.js';
import type { MigrationStep } from '../../src/db/migrations/types.js';
import { databaseAdapters } from '../support/databases.js';

for (const adapter of databaseAdapters()) {
  describe.skipIf(adapter.skip)(`database contract: ${adapter.name}`, () => {
    let database: Database;
    let drop: () => Promise<void>;

    beforeEach(async () => {
      const created = await adapter.create();
      drop = created.drop;
      database = await openDatabase(created.config);
    });

    afterEach(async () => {
      await database.close();
      await drop();
    });

    it('applies every migration once and records the schema version', async () => {
      const first = await migrateToLatest(database.db as Kysely<unknown>, database.dialect);
      expect(first.pending).toEqual([]);
      expect(first.latest).toBe(MIGRATIONS[MIGRATIONS.length - 1].name);
      expect(first.version).toBe(Number.parseInt(first.latest!.slice(0, 4), 10));
      const again = await migrateToLatest(database.db as Kysely<unknown>, database.dialect);
      expect(again).toEqual(first);
      await database.ping();
    });

    it('refuses a database migrated by a newer build', async () => {
      await migrateToLatest(database.db as Kysely<unknown>, database.dialect);
      const future: MigrationStep = { name: '9999-future', up: async (db) => void (await sql`select 1`.execute(db)) };
      await migrateToLatest(database.db as Kysely<unknown>, database.dialect, [...MIGRATIONS, future]);
      await expect(migrateToLatest(database.db as Kysely<unknown>, database.dialect)).rejects.toThrow(/newer Ariadne.*9999-future/);
    });

    it('rolls back a failing migration and reports which one failed', async () => {
      const broken: MigrationStep = {
        name: '9998-broken',
        async up(db) {
          await db.schema.createTable('half_done').addColumn('x', 'integer').execute();
          await sql`select * from no_such_table`.execute(db);
        },
      };
      await migrateToLatest(database.db as Kysely<unknown>, database.dialect);
      await expect(migrateToLatest(database.db as Kysely<unknown>, database.dialect, [...MIGRATIONS, broken])).rejects.toThrow(/9998-broken failed/);
      const version = await schemaVersion(database.db as Kysely<unknown>, database.dialect, [...MIGRATIONS, broken]);
      expect(version.pending).toEqual(['9998-broken']);
      // The failed migration left nothing behind.
      await expect(sql`select * from half_done`.execute(database.db)).rejects.toThrow();
    });

    it('keeps epoch-millisecond integers and text exactly, and rolls back a failed transaction', async () => {
      await migrateToLatest(database.db as Kysely<unknown>, database.dialect);
      const t = 1_764_000_000_123;
      const row = { kind: 'x', payload: '{"é":"ü"}', status: 'queued' as const, priority: 0, attempts: 0, max_attempts: 3, run_at: t, created_at: t, updated_at: t };
      const { id } = await database.db.insertInto('jobs').values(row).returning('id').executeTakeFirstOrThrow();
      const back = await database.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      expect(back.run_at).toBe(t);
      expect(typeof back.id).toBe('number');
      expect(back.payload).toBe(row.payload);
      await expect(
        database.db.transaction().execute(async (tx) => {
          await tx.insertInto('jobs').values({ ...row, kind: 'rolled-back' }).execute();
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      const kinds = await database.db.selectFrom('jobs').select('kind').execute();
      expect(kinds.map((k) => k.kind)).toEqual(['x']);
    });
  });
}
