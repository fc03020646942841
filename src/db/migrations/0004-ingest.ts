import type { Kysely } from 'kysely';
import type { MigrationStep } from './types.js';

/**
 * Submissions (one upload or seizure by one investigator) and their files. A file row that points at a media item
 * is a sighting of it: who submitted it, under which path, with which file times, from which country. Media items
 * gain what ingest extracts once per item: thumbnails, EXIF, first sighting.
 */
export const ingest: MigrationStep = {
  name: '0004-ingest',
  async up(db: Kysely<unknown>, t) {
    await db.schema
      .createTable('submissions')
      .addColumn('id', t.id, (c) => c.primaryKey().$call(t.autoIncrement))
      .addColumn('user_id', t.id, (c) => c.references('users.id'))
      .addColumn('agency_id', t.id, (c) => c.references('agencies.id'))
      .addColumn('country_code', 'text')
      .addColumn('actor_name', 'text', (c) => c.notNull())
      .addColumn('reference', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('device', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('notes', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('sealed_at', t.time)
      .addColumn('completed_at', t.time)
      .execute();
    await db.schema.createIndex('submissions_user').on('submissions').column('user_id').execute();

    await db.schema
      .createTable('submission_files')
      .addColumn('id', t.id, (c) => c.primaryKey().$call(t.autoIncrement))
      .addColumn('submission_id', t.id, (c) => c.notNull().references('submissions.id'))
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('parent_file_id', t.id, (c) => c.references('submission_files.id'))
      .addColumn('depth', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('size', t.bigint)
      .addColumn('mtime', t.time)
      .addColumn('blob_sha256', 'text')
      .addColumn('md5', 'text')
      .addColumn('sha1', 'text')
      .addColumn('mime', 'text')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('error', 'text')
      .addColumn('media_id', t.id, (c) => c.references('media_items.id'))
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('processed_at', t.time)
      .execute();
    await db.schema.createIndex('submission_files_path').on('submission_files').columns(['submission_id', 'path']).unique().execute();
    await db.schema.createIndex('submission_files_media').on('submission_files').column('media_id').execute();
    await db.schema.createIndex('submission_files_status').on('submission_files').columns(['submission_id', 'status']).execute();

    for (const [name, type] of [
      ['first_seen_at', t.time],
      ['first_country', 'text'],
      ['thumbnail_sha256', 'text'],
      ['preview_sha256', 'text'],
      ['exif', 'text'],
      ['camera_make', 'text'],
      ['camera_model', 'text'],
      ['camera_serial', 'text'],
      ['gps_lat', 'real'],
      ['gps_lon', 'real'],
      ['taken_at', 'text'],
    ] as const) {
      await db.schema.alterTable('media_items').addColumn(name, type).execute();
    }
    await db.schema.createIndex('media_items_camera_serial').on('media_items').column('camera_serial').execute();
  },
};
