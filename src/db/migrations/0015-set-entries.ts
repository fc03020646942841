import { sql, type Kysely } from 'kysely';
import type { MigrationStep } from './types.js';

/**
 * Set entries without digest-keyed indexes of their own. A hash set's entry is deduplicated once, as an item
 * (`hash_set_items (set_id, item_key)`), and only a new item's hashes become signal entries, so the unique
 * (set_id, signal, hash, variant) index on signal_entries has nothing left to do; yet it was the largest index a
 * hash-set import wrote, at random places (keys are digests), and most of a million-entry import's time went to it.
 * `signal_entries_media` becomes partial: set entries have no media item and every query on it names one
 * (`media_id = ?`, `media_id in (…)`), so entries of sets need not be indexed there.
 */
export const setEntries: MigrationStep = {
  name: '0015-set-entries',
  async up(db: Kysely<unknown>) {
    await db.schema.dropIndex('signal_entries_set').execute();
    await db.schema.dropIndex('signal_entries_media').execute();
    await db.schema.createIndex('signal_entries_media').on('signal_entries').column('media_id').where(sql.ref('media_id'), 'is not', null).execute();
  },
};
