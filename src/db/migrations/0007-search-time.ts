import type { Kysely } from 'kysely';
import type { MigrationStep } from './types.js';

/**
 * Search with a time range pages by (time, id) (cases/search-service.ts); media use 0005's media_items_first_seen,
 * these give investigations, comments and series the same index on their time column.
 */
export const searchTime: MigrationStep = {
  name: '0007-search-time',
  async up(db: Kysely<unknown>) {
    await db.schema.createIndex('investigations_created').on('investigations').columns(['created_at', 'id']).execute();
    await db.schema.createIndex('comments_created').on('comments').columns(['created_at', 'id']).execute();
    await db.schema.createIndex('series_updated').on('series').columns(['updated_at', 'id']).execute();
  },
};
