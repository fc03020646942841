import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BulkInsert } from '../../src/db/bulk-insert.js';
import type { Database } from '../../src/db/database.js';
import { databaseAdapters, insertHashSet, openMigrated } from '../support/databases.js';

const COLUMNS = ['set_id', 'item_key', 'md5', 'label', 'created_at'] as const;

function key(i: number): string {
  return `key-${String(i).padStart(6, '0')}`;
}

/** Flat values for items of set `setId` keyed `from` to `to` - 1. */
function rows(setId: number, from: number, to: number): unknown[] {
  const values: unknown[] = [];
  for (let i = from; i < to; i++) values.push(setId, key(i), i.toString(16).padStart(32, '0'), `label ${i}`, 1000 + i);
  return values;
}

function count(database: Database): Promise<number> {
  return database.db
    .selectFrom('hash_set_items')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
    .then((r) => Number(r.n));
}

for (const adapter of databaseAdapters()) {
  describe.skipIf(adapter.skip)(`bulk inserts: ${adapter.name}`, () => {
    let database: Database;
    let drop: () => Promise<void>;
    let setId: number;

    beforeEach(async () => {
      ({ database, drop } = await openMigrated(adapter));
      setId = await insertHashSet(database, 'S', 'vics');
    });

    afterEach(async () => {
      await database.close();
      await drop();
    });

    it('writes rows across full statements and a tail, skips conflicts, returns the ids of the rows inserted', async () => {
      const insert = new BulkInsert(database.dialect, { table: 'hash_set_items', columns: COLUMNS, skipConflictsOn: ['set_id', 'item_key'], returning: 'id' });
      const total = insert.rowsPerStatement * 2 + 37; // two full statements, then 32 + 4 + 1
      const first = await database.db.transaction().execute((tx) => insert.run(tx, rows(setId, 0, total)));
      expect(first.inserted).toBe(total);
      expect(first.returned).toHaveLength(total);
      expect([...first.returned].sort((a, b) => a - b)).toEqual(first.returned);
      const stored = await database.db.selectFrom('hash_set_items').select(['id', 'item_key', 'label', 'created_at']).orderBy('id').execute();
      expect(stored.map((r) => Number(r.id))).toEqual(first.returned);
      expect(stored.map((r) => r.item_key)).toEqual(Array.from({ length: total }, (_, i) => key(i)));
      expect(stored.map((r) => r.label)).toEqual(Array.from({ length: total }, (_, i) => `label ${i}`));
      expect(stored.map((r) => Number(r.created_at))).toEqual(Array.from({ length: total }, (_, i) => 1000 + i));

      // Overlapping the rows already there: only the new ones are inserted, counted and returned.
      const second = await database.db.transaction().execute((tx) => insert.run(tx, rows(setId, total - 10, total + 5)));
      expect(second.inserted).toBe(5);
      expect(second.returned).toHaveLength(5);
      expect(Math.min(...second.returned)).toBeGreaterThan(Math.max(...first.returned));
      const added = await database.db.selectFrom('hash_set_items').select('id').where('item_key', 'in', [0, 1, 2, 3, 4].map((i) => key(total + i))).orderBy('id').execute();
      expect(second.returned).toEqual(added.map((r) => Number(r.id)));
      expect(await count(database)).toBe(total + 5);
    });

    it('returns text keys of the rows inserted, skipping those already there', async () => {
      const insert = new BulkInsert(database.dialect, { table: 'hash_set_items', columns: COLUMNS, skipConflictsOn: ['set_id', 'item_key'], returning: 'item_key', returnAs: 'text' });
      const first = await insert.run(database.db, rows(setId, 0, 600));
      expect(first.returned).toEqual([]);
      expect([...first.returnedText].sort()).toEqual(Array.from({ length: 600 }, (_, i) => key(i)));
      // Within one call, the first of two rows with the same key wins; keys already stored are skipped.
      const again = await insert.run(database.db, [...rows(setId, 598, 603), ...rows(setId, 601, 602)]);
      expect(again).toMatchObject({ inserted: 3, returned: [] });
      expect([...again.returnedText].sort()).toEqual([key(600), key(601), key(602)]);
      expect(await count(database)).toBe(603);
    });

    it('counts affected rows without returning, runs in the caller\'s transaction, refuses values that are not whole rows', async () => {
      const insert = new BulkInsert(database.dialect, { table: 'hash_set_items', columns: COLUMNS, skipConflictsOn: ['set_id', 'item_key'] });
      await expect(
        database.db.transaction().execute(async (tx) => {
          const result = await insert.run(tx, rows(setId, 0, 700));
          expect(result).toEqual({ inserted: 700, returned: [], returnedText: [] });
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect(await count(database)).toBe(0);
      await expect(insert.run(database.db, rows(setId, 0, 2).slice(1))).rejects.toThrow(/not whole rows of 5 columns/);
      expect(await insert.run(database.db, [])).toEqual({ inserted: 0, returned: [], returnedText: [] });
      const entries = new BulkInsert(database.dialect, { table: 'signal_entries', columns: ['signal', 'hash', 'set_id', 'created_at'], returning: 'id' });
      const ids = (await entries.run(database.db, [0, 1, 2].flatMap((i) => ['md5', Buffer.alloc(16, i), setId, 5]))).returned;
      const changes = new BulkInsert(database.dialect, { table: 'signal_changes', columns: ['entry_id', 'op', 'at'] });
      expect(await changes.run(database.db, ids.flatMap((id) => [id, 'add', 5]))).toEqual({ inserted: 3, returned: [], returnedText: [] });
    });
  });
}
