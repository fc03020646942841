import type { Kysely } from 'kysely';
import type { MigrationStep } from './types.js';

/**
 * `inline_blobs`: small sealed blobs (redacted thumbnails) kept in the database and written with the row that names
 * them, instead of one file each in the blob store (storage/inline-blobs.ts). Items stored before keep their
 * thumbnails in the blob store; readers look here first, then there.
 */
export const inlineBlobs: MigrationStep = {
  name: '0018-inline-blobs',
  async up(db: Kysely<unknown>, t) {
    await db.schema
      .createTable('inline_blobs')
      .addColumn('sha256', 'text', (c) => c.primaryKey())
      .addColumn('envelope', t.bytes, (c) => c.notNull())
      .addColumn('size', 'integer', (c) => c.notNull())
      .addColumn('created_at', t.time, (c) => c.notNull())
      .execute();
  },
};
