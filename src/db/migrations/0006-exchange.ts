import type { Kysely } from 'kysely';
import type { MigrationStep } from './types.js';

/**
 * Hash-set exchange: what an exchanged entry says beyond its hashes (category, baseline, series, identified flags,
 * tags, PhotoDNA and other alternative hashes, its id in the source file), and one checkpoint per imported file so
 * an interrupted import resumes where its last committed batch ended.
 */
export const exchange: MigrationStep = {
  name: '0006-exchange',
  async up(db: Kysely<unknown>, t) {
    await db.schema
      .createTable('hash_set_items')
      .addColumn('id', t.id, (c) => c.primaryKey().$call(t.autoIncrement))
      .addColumn('set_id', t.id, (c) => c.notNull().references('hash_sets.id'))
      // An entry is its hashes: base64url of the first 16 bytes of SHA-256("md5:sha1:sha256:pdq") (compact, so the
      // unique index stays small at millions of entries); importing it again adds nothing.
      .addColumn('item_key', 'text', (c) => c.notNull())
      .addColumn('media_ref', 'text')
      .addColumn('md5', 'text')
      .addColumn('sha1', 'text')
      .addColumn('sha256', 'text')
      .addColumn('pdq', 'text')
      .addColumn('pdq_quality', 'integer')
      .addColumn('photodna', 'text')
      .addColumn('alt_hashes', 'text')
      .addColumn('category', 'integer')
      .addColumn('baseline', 'integer')
      .addColumn('series', 'text')
      .addColumn('victim_identified', 'integer')
      .addColumn('offender_identified', 'integer')
      .addColumn('distributed', 'integer')
      .addColumn('tags', 'text')
      .addColumn('media_type', 'text')
      .addColumn('file_name', 'text')
      .addColumn('label', 'text')
      .addColumn('created_at', t.time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('hash_set_items_key').on('hash_set_items').columns(['set_id', 'item_key']).unique().execute();
    // Exports page through a set by id; without this the planner may scan the whole set for every page.
    await db.schema.createIndex('hash_set_items_page').on('hash_set_items').columns(['set_id', 'id']).execute();

    await db.schema
      .createTable('hash_set_imports')
      .addColumn('id', t.id, (c) => c.primaryKey().$call(t.autoIncrement))
      .addColumn('set_id', t.id, (c) => c.notNull().references('hash_sets.id'))
      .addColumn('format', 'text', (c) => c.notNull())
      .addColumn('file_sha256', 'text', (c) => c.notNull())
      .addColumn('file_size', t.bigint, (c) => c.notNull())
      // Records (well-formed or not) read and committed so far: a resumed import skips these.
      .addColumn('records_done', t.bigint, (c) => c.notNull())
      .addColumn('added', t.bigint, (c) => c.notNull())
      .addColumn('problems', t.bigint, (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('started_by', t.id)
      .addColumn('started_at', t.time, (c) => c.notNull())
      .addColumn('updated_at', t.time, (c) => c.notNull())
      .addColumn('finished_at', t.time)
      .execute();
    await db.schema.createIndex('hash_set_imports_file').on('hash_set_imports').columns(['set_id', 'format', 'file_sha256']).unique().execute();
  },
};
