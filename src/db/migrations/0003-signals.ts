import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { MigrationStep } from './types.js';

/**
 * Media items, hash sets and the signal entries the in-memory indexes are built from, plus the change log that
 * index snapshots record as their checkpoint (every add or removal of an entry appends one row).
 */
export const signals: MigrationStep = {
  name: '0003-signals',
  async up(db: Kysely<unknown>, t) {
    // Identifies this database, so that an index snapshot made from another database is never loaded.
    await db.schema
      .createTable('instance_settings')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
    await sql`insert into instance_settings (key, value) values ('database_id', ${randomUUID()})`.execute(db);

    await db.schema
      .createTable('media_items')
      .addColumn('id', t.id, (c) => c.primaryKey().$call(t.autoIncrement))
      .addColumn('sha256', 'text', (c) => c.notNull().unique())
      .addColumn('sha1', 'text', (c) => c.notNull())
      .addColumn('md5', 'text', (c) => c.notNull())
      .addColumn('size', t.bigint, (c) => c.notNull())
      .addColumn('mime', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('width', 'integer')
      .addColumn('height', 'integer')
      .addColumn('created_at', t.time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('media_items_md5').on('media_items').column('md5').execute();
    await db.schema.createIndex('media_items_sha1').on('media_items').column('sha1').execute();

    await db.schema
      .createTable('hash_sets')
      .addColumn('id', t.id, (c) => c.primaryKey().$call(t.autoIncrement))
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('source', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('terms', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('format', 'text', (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('entry_count', t.bigint, (c) => c.notNull().defaultTo(0))
      .addColumn('created_by', t.id)
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('updated_at', t.time, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('signal_entries')
      .addColumn('id', t.id, (c) => c.primaryKey().$call(t.autoIncrement))
      .addColumn('signal', 'text', (c) => c.notNull())
      .addColumn('hash', t.bytes, (c) => c.notNull())
      .addColumn('quality', 'integer')
      .addColumn('variant', 'text', (c) => c.notNull().defaultTo('plain'))
      .addColumn('media_id', t.id, (c) => c.references('media_items.id').onDelete('restrict'))
      .addColumn('set_id', t.id, (c) => c.references('hash_sets.id').onDelete('restrict'))
      .addColumn('label', 'text')
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('removed_at', t.time)
      .addCheckConstraint('signal_entries_one_source', sql`(media_id is null) <> (set_id is null)`)
      .execute();
    await db.schema.createIndex('signal_entries_lookup').on('signal_entries').columns(['signal', 'hash']).execute();
    await db.schema.createIndex('signal_entries_media').on('signal_entries').column('media_id').execute();
    // A hash appears once per set (re-importing a list adds nothing twice); media entries have no set.
    await db.schema.createIndex('signal_entries_set').on('signal_entries').columns(['set_id', 'signal', 'hash', 'variant']).unique().execute();

    await db.schema
      .createTable('signal_changes')
      .addColumn('seq', t.id, (c) => c.primaryKey().$call(t.autoIncrement))
      .addColumn('entry_id', t.id, (c) => c.notNull().references('signal_entries.id'))
      .addColumn('op', 'text', (c) => c.notNull())
      .addColumn('at', t.time, (c) => c.notNull())
      .execute();
  },
};
