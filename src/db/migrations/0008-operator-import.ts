import { sql, type Kysely } from 'kysely';
import type { MigrationStep } from './types.js';

/**
 * `ariadne ingest --series/--category`: the operator (a system actor, no user row) creates series, adds items and
 * assigns categories for a national unit, so `series.created_by` and `series_media.added_by` may be null (the audit
 * trail names the operator), and category assignments on import get their own table (not votes).
 *
 * SQLite cannot drop a NOT NULL constraint and foreign keys stay enforced inside the migration's transaction, so the
 * three series tables are copied aside, dropped children first, recreated as in 0005 (with the nullable columns)
 * and refilled parent first; PostgreSQL drops the constraints in place.
 */
export const operatorImport: MigrationStep = {
  name: '0008-operator-import',
  async up(db: Kysely<unknown>, t) {
    if (t.dialect === 'postgres') {
      await sql`alter table series alter column created_by drop not null`.execute(db);
      await sql`alter table series_media alter column added_by drop not null`.execute(db);
    } else {
      for (const table of ['series', 'series_media', 'series_sightings']) await sql`create table ${sql.table(`${table}_0008`)} as select * from ${sql.table(table)}`.execute(db);
      for (const table of ['series_sightings', 'series_media', 'series']) await db.schema.dropTable(table).execute();
      await db.schema
        .createTable('series')
        .addColumn('id', t.id, (c) => c.primaryKey().$call(t.autoIncrement))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('agency_id', t.id, (c) => c.notNull().references('agencies.id'))
        .addColumn('country_code', 'text', (c) => c.notNull())
        .addColumn('identification_status', 'text', (c) => c.notNull())
        .addColumn('created_by', t.id, (c) => c.references('users.id'))
        .addColumn('created_at', t.time, (c) => c.notNull())
        .addColumn('updated_at', t.time, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('series_media')
        .addColumn('series_id', t.id, (c) => c.notNull().references('series.id'))
        .addColumn('media_id', t.id, (c) => c.notNull().references('media_items.id'))
        .addColumn('added_by', t.id, (c) => c.references('users.id'))
        .addColumn('added_at', t.time, (c) => c.notNull())
        .addPrimaryKeyConstraint('series_media_pk', ['series_id', 'media_id'])
        .execute();
      await db.schema
        .createTable('series_sightings')
        .addColumn('series_id', t.id, (c) => c.notNull().references('series.id'))
        .addColumn('submission_id', t.id, (c) => c.notNull().references('submissions.id'))
        .addColumn('country_code', 'text')
        .addColumn('media_id', t.id, (c) => c.notNull().references('media_items.id'))
        .addColumn('at', t.time, (c) => c.notNull())
        .addPrimaryKeyConstraint('series_sightings_pk', ['series_id', 'submission_id'])
        .execute();
      await sql`insert into series (id, name, description, agency_id, country_code, identification_status, created_by, created_at, updated_at)
        select id, name, description, agency_id, country_code, identification_status, created_by, created_at, updated_at from series_0008`.execute(db);
      await sql`insert into series_media (series_id, media_id, added_by, added_at) select series_id, media_id, added_by, added_at from series_media_0008`.execute(db);
      await sql`insert into series_sightings (series_id, submission_id, country_code, media_id, at) select series_id, submission_id, country_code, media_id, at from series_sightings_0008`.execute(db);
      for (const table of ['series_sightings', 'series_media', 'series']) await db.schema.dropTable(`${table}_0008`).execute();
      await db.schema.createIndex('series_status').on('series').columns(['identification_status', 'id']).execute();
      await db.schema.createIndex('series_updated').on('series').columns(['updated_at', 'id']).execute();
      await db.schema.createIndex('series_media_media').on('series_media').columns(['media_id', 'series_id']).execute();
    }

    await db.schema
      .createTable('category_assignments')
      .addColumn('id', t.id, (c) => c.primaryKey().$call(t.autoIncrement))
      .addColumn('media_id', t.id, (c) => c.notNull().references('media_items.id'))
      .addColumn('category', 'integer', (c) => c.notNull())
      .addColumn('baseline', 'integer', (c) => c.notNull())
      .addColumn('agency_id', t.id, (c) => c.notNull().references('agencies.id'))
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('submission_id', t.id, (c) => c.references('submissions.id'))
      .addColumn('created_at', t.time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('category_assignments_media').on('category_assignments').columns(['media_id', 'id']).execute();
  },
};
