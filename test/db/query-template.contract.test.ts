import { describe, expect, it } from 'vitest';
import { QueryTemplate } from '../../src/db/query-template.js';
import { databaseAdapters, freshDatabasePerTest } from '../support/databases.js';

const INSERT_SET = new QueryTemplate((db, v: { name: string; enabled: 0 | 1; at: number }) =>
  db
    .insertInto('hash_sets')
    .values({ name: v.name, source: 'template', terms: '', format: 'pdq-list', enabled: v.enabled, entry_count: 0, created_by: null, created_at: v.at, updated_at: v.at })
    .returning(['id', 'source']),
);
const SETS_NAMED = new QueryTemplate((db, v: { name: string }) => db.selectFrom('hash_sets').select(['id', 'name', 'enabled']).where('name', '=', v.name).where('source', '=', 'template'));
const RENAME = new QueryTemplate((db, v: { from: string; to: string }) => db.updateTable('hash_sets').set({ name: v.to }).where('name', '=', v.from));
/** Two rows in one statement, values flat in an array. The templates are shared by both adapters' runs below. */
const INSERT_TWO = new QueryTemplate((db, v: unknown[]) =>
  db.insertInto('hash_sets').values(
    [0, 1].map((r) => ({ name: v[r * 2] as string, source: 'template', terms: '', format: 'pdq-list' as const, enabled: v[r * 2 + 1] as 0 | 1, entry_count: 0, created_by: null, created_at: 1, updated_at: 1 })),
  ),
);

for (const adapter of databaseAdapters()) {
  describe.skipIf(adapter.skip)(`query templates: ${adapter.name}`, () => {
    const fresh = freshDatabasePerTest(adapter);

    it('binds each run its own values in one statement text, constants kept', async () => {
      const first = INSERT_SET.bind(fresh.database.db, { name: 'a', enabled: 1, at: 5 });
      const second = INSERT_SET.bind(fresh.database.db, { name: 'b', enabled: 0, at: 6 });
      expect(second.sql).toBe(first.sql);
      expect(first.parameters).toContain('template');
      expect(second.parameters).toEqual(expect.arrayContaining(['b', 0, 6, 'template']));
      expect(second.queryId).not.toBe(first.queryId);

      const a = await INSERT_SET.executeTakeFirst(fresh.database.db, { name: 'a', enabled: 1, at: 5 });
      await INSERT_SET.run(fresh.database.db, { name: 'b', enabled: 0, at: 6 });
      expect(a?.source).toBe('template');
      expect(await SETS_NAMED.execute(fresh.database.db, { name: 'a' })).toEqual([{ id: a?.id, name: 'a', enabled: 1 }]);
      expect((await SETS_NAMED.executeTakeFirst(fresh.database.db, { name: 'b' }))?.enabled).toBe(0);
      expect(await SETS_NAMED.executeTakeFirst(fresh.database.db, { name: 'c' })).toBeUndefined();
    });

    it('reports the rows a change touched, and runs in the transaction it is given', async () => {
      await INSERT_SET.run(fresh.database.db, { name: 'a', enabled: 1, at: 5 });
      const renamed = await RENAME.run(fresh.database.db, { from: 'a', to: 'b' });
      expect(Number(renamed.numAffectedRows)).toBe(1);
      expect(Number((await RENAME.run(fresh.database.db, { from: 'nothing', to: 'x' })).numAffectedRows)).toBe(0);

      await expect(
        fresh.database.db.transaction().execute(async (tx) => {
          await RENAME.run(tx, { from: 'b', to: 'c' });
          expect(await SETS_NAMED.executeTakeFirst(tx, { name: 'c' })).toBeDefined();
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect(await SETS_NAMED.executeTakeFirst(fresh.database.db, { name: 'b' })).toBeDefined();
    });

    it('takes the values of a statement of several rows from an array', async () => {
      await INSERT_TWO.run(fresh.database.db, ['x', 1, 'y', 0]);
      expect((await SETS_NAMED.executeTakeFirst(fresh.database.db, { name: 'x' }))?.enabled).toBe(1);
      expect((await SETS_NAMED.executeTakeFirst(fresh.database.db, { name: 'y' }))?.enabled).toBe(0);
    });

    it('refuses a builder that uses a value in code instead of binding it, or spreads the values', () => {
      const inCode = new QueryTemplate((db, v: { name: string; strict: boolean }) => db.selectFrom('hash_sets').select('id').where('name', '=', v.strict ? v.name : 'any'));
      expect(() => inCode.bind(fresh.database.db, { name: 'a', strict: true })).toThrow(/value "strict" is not bound/);
      const spread = new QueryTemplate((db, v: { name: string }) => db.selectFrom('hash_sets').select('id').where({ ...v }.name as 'name', '=', 'a'));
      expect(() => spread.bind(fresh.database.db, { name: 'a' })).toThrow(/cannot be spread or listed/);
    });
  });
}
