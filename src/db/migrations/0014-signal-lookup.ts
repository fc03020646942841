import type { Kysely } from 'kysely';
import type { MigrationStep } from './types.js';

/**
 * Drops `signal_entries_lookup` (signal, hash). No query looks entries up by hash (matching runs on the in-memory
 * indexes), yet every entry paid for it: a second index keyed by digests, written at random, which a hash-set
 * import of a million entries spent about a third of its inserting time on. Worse, SQLite chose it for index builds
 * (`scanLive`: signal in (…) and id > ? order by id), reading every entry of the signal and sorting them for each
 * page; without it the same query walks the primary key. The unique (set_id, signal, hash, variant) index stays.
 */
export const signalLookup: MigrationStep = {
  name: '0014-signal-lookup',
  async up(db: Kysely<unknown>) {
    await db.schema.dropIndex('signal_entries_lookup').execute();
  },
};
