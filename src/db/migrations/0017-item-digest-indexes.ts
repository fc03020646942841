import type { Kysely } from 'kysely';
import type { MigrationStep } from './types.js';

/**
 * Drops `media_items_md5` and `media_items_sha1`. Nothing looks items up by those columns: exact matching by MD5 or
 * SHA-1 goes through the items' signal entries (the index catalog), and deduplication is by SHA-256 (its unique
 * index stays). Each was a B-tree on random keys, so every new item dirtied one more page of each for nothing.
 */
export const itemDigestIndexes: MigrationStep = {
  name: '0017-item-digest-indexes',
  async up(db: Kysely<unknown>) {
    await db.schema.dropIndex('media_items_md5').ifExists().execute();
    await db.schema.dropIndex('media_items_sha1').ifExists().execute();
  },
};
