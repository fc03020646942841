import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BulkInsert } from '../../src/db/bulk-insert.js';
import type { Database } from '../../src/db/database.js';
import { databaseAdapters, openMigrated } from '../support/databases.js';

const COLUMNS = ['signal', 'hash', 'quality', 'variant', 'media_id', 'set_id', 'label', 'frame_ms', 'created_at'] as const;

/** Flat values for signal entries of set `setId` with hashes numbered `from` to `to` - 1. */
function rows(setId: number, from: number, to: number): unknown[] {
  const values: unknown[] = [];
  for (let i = from; i < to; i++) {
    const hash = Buffer.alloc(16);
    hash.writeUInt32BE(i, 12);
    values.push('md5', hash, null, 'plain', null, setId, `label ${i}`, null, 1000 + i);
  }
  return values;
}

for (const adapter of databaseAdapters()) {
  describe.skipIf(adapter.skip)(`bulk inserts: ${adapter.name}`, () => {
    let database: Database;
    let drop: () => Promise<void>;
    let setId: number;

    beforeEach(async () => {
      ({ database, drop } = await openMigrated(adapter));
      const set = await database.db
        .insertInto('hash_sets')
        .values({ name: 'S', source: '', terms: '', format: 'vics', enabled: 1, entry_count: 0, created_by: null, created_at: 0, updated_at: 0 })
        .returning('id')
        .executeTakeFirstOrThrow();
      setId = Number(set.id);
    });

    afterEach(async () => {
      await database.close();
      await drop();
    });

    it('writes rows across full statements and a tail, skips conflicts, returns the ids of the rows inserted', async () => {
      const insert = new BulkInsert(database.dialect, { table: 'signal_entries', columns: COLUMNS, skipConflictsOn: ['set_id', 'signal', 'hash', 'variant'], returning: 'id' });
      const total = insert.rowsPerStatement * 2 + 37; // two full statements, then 32 + 4 + 1
      const first = await database.db.transaction().execute((tx) => insert.run(tx, rows(setId, 0, total)));
      expect(first.inserted).toBe(total);
      expect(first.returned).toHaveLength(total);
      expect([...first.returned].sort((a, b) => a - b)).toEqual(first.returned);
      const stored = await database.db.selectFrom('signal_entries').select(['id', 'hash', 'label', 'created_at']).orderBy('id').execute();
      expect(stored.map((r) => Number(r.id))).toEqual(first.returned);
      expect(stored.map((r) => Buffer.from(r.hash).readUInt32BE(12))).toEqual(Array.from({ length: total }, (_, i) => i));
      expect(stored.map((r) => r.label)).toEqual(Array.from({ length: total }, (_, i) => `label ${i}`));
      expect(stored.map((r) => Number(r.created_at))).toEqual(Array.from({ length: total }, (_, i) => 1000 + i));

      // Overlapping the rows already there: only the new ones are inserted, counted and returned.
      const second = await database.db.transaction().execute((tx) => insert.run(tx, rows(setId, total - 10, total + 5)));
      expect(second.inserted).toBe(5);
      expect(second.returned).toHaveLength(5);
      expect(Math.min(...second.returned)).toBeGreaterThan(Math.max(...first.returned));
      expect(Number((await database.db.selectFrom('signal_entries').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)).toBe(total + 5);
    });

    it('counts affected rows without returning, runs in the caller\'s transaction, refuses values that are not whole rows', async () => {
      const insert = new BulkInsert(database.dialect, { table: 'signal_entries', columns: COLUMNS, skipConflictsOn: ['set_id', 'signal', 'hash', 'variant'] });
      await expect(
        database.db.transaction().execute(async (tx) => {
          const result = await insert.run(tx, rows(setId, 0, 700));
          expect(result).toEqual({ inserted: 700, returned: [] });
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect(Number((await database.db.selectFrom('signal_entries').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)).toBe(0);
      await expect(insert.run(database.db, rows(setId, 0, 2).slice(1))).rejects.toThrow(/not whole rows of 9 columns/);
      expect(await insert.run(database.db, [])).toEqual({ inserted: 0, returned: [] });
      const changes = new BulkInsert(database.dialect, { table: 'signal_changes', columns: ['entry_id', 'op', 'at'] });
      const ids = (await new BulkInsert(database.dialect, { table: 'signal_entries', columns: COLUMNS, returning: 'id' }).run(database.db, rows(setId, 0, 3))).returned;
      expect(await changes.run(database.db, ids.flatMap((id) => [id, 'add', 5]))).toEqual({ inserted: 3, returned: [] });
    });
  });
}
