import { describe, expect, it } from 'vitest';
import { CommitGroup } from '../../src/db/commit-group.js';
import type { Database } from '../../src/db/database.js';
import type { Tx } from '../../src/db/schema.js';
import { databaseAdapters, freshDatabasePerTest } from '../support/databases.js';

/** A unit of work: inserts a hash set named `name`, and notes the transaction it ran in. */
function addSet(name: string, seen: Tx[] = []): (tx: Tx) => Promise<number> {
  return async (tx) => {
    seen.push(tx);
    const now = Date.now();
    const row = await tx.insertInto('hash_sets').values({ name, source: '', terms: '', format: 'pdq-list', enabled: 1, entry_count: 0, created_by: null, created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow();
    return Number(row.id);
  };
}

async function names(database: Database): Promise<string[]> {
  return (await database.db.selectFrom('hash_sets').select('name').orderBy('id').execute()).map((r) => r.name);
}

for (const adapter of databaseAdapters()) {
  describe.skipIf(adapter.skip)(`commit groups: ${adapter.name}`, () => {
    const fresh = freshDatabasePerTest(adapter);

    it('runs the units that wait together in one transaction, in order, and answers each once it is committed', async () => {
      const group = new CommitGroup(fresh.database.db, { windowMs: 20, maxUnits: 10, underWay: () => 5 });
      const seen: Tx[] = [];
      const ids = await Promise.all(['a', 'b', 'c'].map((name) => group.run(addSet(name, seen))));
      expect(seen).toHaveLength(3);
      expect(new Set(seen).size).toBe(1);
      expect(ids).toEqual([...ids].sort((x, y) => x - y));
      expect(await names(fresh.database)).toEqual(['a', 'b', 'c']);
    });

    it('commits at once when no other unit can come, or when the group is full, without waiting for the window', async () => {
      let underWay = 1; // the lone unit itself
      const group = new CommitGroup(fresh.database.db, { windowMs: 60_000, maxUnits: 2, underWay: () => underWay });
      // A lone unit: nothing else under way but itself.
      expect(await group.run(addSet('alone'))).toBeGreaterThan(0);
      // Others under way, but the group fills up.
      underWay = 10;
      const seen: Tx[] = [];
      await Promise.all([group.run(addSet('first', seen)), group.run(addSet('second', seen))]);
      expect(new Set(seen).size).toBe(1);
      expect(await names(fresh.database)).toEqual(['alone', 'first', 'second']);
    });

    it("keeps a failing unit's failure its own: the others are committed, its writes are not", async () => {
      const group = new CommitGroup(fresh.database.db, { windowMs: 20, maxUnits: 10, underWay: () => 5 });
      const failing = async (tx: Tx) => {
        await addSet('half-done')(tx);
        throw new Error('this unit fails');
      };
      const [a, bad, c] = await Promise.allSettled([group.run(addSet('a')), group.run(failing), group.run(addSet('c'))]);
      expect(a.status).toBe('fulfilled');
      expect(c.status).toBe('fulfilled');
      expect(bad).toMatchObject({ status: 'rejected', reason: { message: 'this unit fails' } });
      expect(await names(fresh.database)).toEqual(['a', 'c']);
    });

    it('fails alone a unit whose write the database refuses, also when it conflicts with a unit of its own group', async () => {
      const group = new CommitGroup(fresh.database.db, { windowMs: 20, maxUnits: 10, underWay: () => 5 });
      // Hash set names are unique: the second unit's insert fails, after the first's in the same transaction.
      const results = await Promise.allSettled([group.run(addSet('twice')), group.run(addSet('twice'))]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
      expect(await names(fresh.database)).toEqual(['twice']);
    });

    it('commits what is waiting when flushed', async () => {
      const group = new CommitGroup(fresh.database.db, { windowMs: 60_000, maxUnits: 10, underWay: () => 5 });
      const pending = group.run(addSet('flushed'));
      await group.flush();
      expect(await pending).toBeGreaterThan(0);
      expect(await names(fresh.database)).toEqual(['flushed']);
    });

    it('refuses a window or size that cannot work', () => {
      expect(() => new CommitGroup(fresh.database.db, { windowMs: -1, maxUnits: 1, underWay: () => 0 })).toThrow(RangeError);
      expect(() => new CommitGroup(fresh.database.db, { windowMs: 10, maxUnits: 0, underWay: () => 0 })).toThrow(RangeError);
    });
  });
}
