import { sql, type RawBuilder } from 'kysely';
import type { Dialect } from '../db/schema.js';
import type { SignalName } from '../matching/signal-store.js';

/** The hashes a set's item has, each a signal entry: the signal and the `hash_set_items` column holding its hex. */
const ITEM_HASHES: ReadonlyArray<readonly [SignalName, 'pdq' | 'md5' | 'sha1' | 'sha256']> = [
  ['pdq', 'pdq'],
  ['md5', 'md5'],
  ['sha1', 'sha1'],
  ['sha256', 'sha256'],
];

/**
 * A query yielding the signal entries of stored hash-set items (SET_ENTRY_COLUMNS: signal, hash, quality, set_id,
 * label, created_at), one per hash an item has, for `SignalStore.addSelected`: the database decodes the hex it
 * already holds, so an import binds nothing per entry. The label is the item's, else its series.
 */
export function itemSignals(dialect: Dialect, itemIds: readonly number[], now: number): RawBuilder<unknown> {
  const chosen = dialect === 'sqlite' ? sql`id in (select value from json_each(${JSON.stringify(itemIds)}))` : sql`id = any(${[...itemIds]}::bigint[])`;
  const at = dialect === 'sqlite' ? sql`${now}` : sql`${now}::bigint`;
  const branches = ITEM_HASHES.map(([signal, column]) => {
    const hash = dialect === 'sqlite' ? sql`unhex(${sql.ref(column)})` : sql`decode(${sql.ref(column)}, 'hex')`;
    const quality = signal === 'pdq' ? sql.ref('pdq_quality') : sql`cast(null as integer)`;
    return sql`select ${sql.lit(signal)}, ${hash}, ${quality}, set_id, coalesce(label, series), ${at} from hash_set_items where ${chosen} and ${sql.ref(column)} is not null`;
  });
  return sql.join(branches, sql` union all `);
}
