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

    it('0008 keeps series, their items and sightings, makes the creator optional and keeps foreign keys', async () => {
      const db = database.db as Kysely<unknown>;
      await migrateToLatest(db, database.dialect, MIGRATIONS.filter((m) => m.name < '0008'));
      await sql`insert into countries (code, name, created_at) values ('FR', 'France', 0)`.execute(db);
      await sql`insert into agencies (id, country_code, name, created_at) values (1, 'FR', 'OCRVP', 0)`.execute(db);
      await sql`insert into users (id, username, agency_id, country_code, role, status, password_hash, must_change_password, totp_confirmed, created_at, updated_at) values (1, 'lea', 1, 'FR', 'investigator', 'active', 'x', 0, 1, 0, 0)`.execute(db);
      await sql`insert into media_items (id, sha256, sha1, md5, size, mime, kind, created_at) values (5, ${'a'.repeat(64)}, ${'a'.repeat(40)}, ${'a'.repeat(32)}, 1, 'image/jpeg', 'image', 0)`.execute(db);
      await sql`insert into submissions (id, user_id, agency_id, country_code, actor_name, reference, device, notes, status, created_at) values (3, 1, 1, 'FR', 'lea', '', '', '', 'complete', 0)`.execute(db);
      await sql`insert into series (id, name, description, agency_id, country_code, identification_status, created_by, created_at, updated_at) values (7, 'Blue room', 'd', 1, 'FR', 'identified', 1, 10, 20)`.execute(db);
      await sql`insert into series_media (series_id, media_id, added_by, added_at) values (7, 5, 1, 30)`.execute(db);
      await sql`insert into series_sightings (series_id, submission_id, country_code, media_id, at) values (7, 3, 'DE', 5, 40)`.execute(db);
      await migrateToLatest(db, database.dialect);
      const num = (rows: Array<Record<string, unknown>>) => rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'string' && /^[0-9]+$/.test(v) ? Number(v) : v])));
      expect(num((await sql<Record<string, unknown>>`select id, name, description, created_by, updated_at from series`.execute(db)).rows)).toEqual([{ id: 7, name: 'Blue room', description: 'd', created_by: 1, updated_at: 20 }]);
      expect(num((await sql<Record<string, unknown>>`select series_id, media_id, added_by, added_at from series_media`.execute(db)).rows)).toEqual([{ series_id: 7, media_id: 5, added_by: 1, added_at: 30 }]);
      expect(num((await sql<Record<string, unknown>>`select series_id, submission_id, country_code, media_id from series_sightings`.execute(db)).rows)).toEqual([{ series_id: 7, submission_id: 3, country_code: 'DE', media_id: 5 }]);
      await sql`insert into series (name, description, agency_id, country_code, identification_status, created_by, created_at, updated_at) values ('On import', '', 1, 'FR', 'unidentified', null, 0, 0)`.execute(db);
      const created = num((await sql<Record<string, unknown>>`select id from series where name = 'On import'`.execute(db)).rows)[0].id as number;
      // SQLite: the new table's AUTOINCREMENT continues after the copied ids (PostgreSQL's identity ignores explicit ids here).
      if (database.dialect === 'sqlite') expect(created).toBeGreaterThan(7);
      await sql`insert into series_media (series_id, media_id, added_by, added_at) values (${created}, 5, null, 0)`.execute(db);
      await expect(sql`insert into series_media (series_id, media_id, added_by, added_at) values (999, 5, null, 0)`.execute(db)).rejects.toThrow();
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
