import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.js';
import { WalSync } from '../../src/db/wal-sync.js';

interface Scratch {
  notes: { id: number; body: string };
}

/**
 * SQLite commits wait for a shared fsync of the write-ahead log that runs off the event loop (sqlite-driver.ts,
 * wal-sync.ts). What can be checked without pulling the power: every write waits for a log sync that started after
 * it, reads never wait, writes arriving together share syncs, failures roll back alone, and everything acknowledged
 * is there after reopening.
 */
describe('durable commits on SQLite', () => {
  let dir: string;
  let path: string;
  let database: Database;
  let db: Kysely<Scratch>;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ariadne-durable-'));
    path = join(dir, 'ariadne.db');
    database = await openDatabase({ dialect: 'sqlite', path });
    db = database.db as unknown as Kysely<Scratch>;
    await sql`create table notes (id integer primary key, body text not null unique)`.execute(db);
  });

  afterEach(async () => {
    await database.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs in WAL mode with SQLite syncing only at checkpoints, the driver syncing every commit', async () => {
    expect(String((await sql<{ journal_mode: string }>`pragma journal_mode`.execute(db)).rows[0].journal_mode)).toBe('wal');
    expect(Number((await sql<{ synchronous: number }>`pragma synchronous`.execute(db)).rows[0].synchronous)).toBe(1);
  });

  it('makes a write transaction wait for a log sync, and a read-only one not', async () => {
    const before = database.syncStats()!;
    await db.transaction().execute(async (tx) => {
      await tx.insertInto('notes').values({ id: 1, body: 'a' }).execute();
    });
    const afterWrite = database.syncStats()!;
    expect(afterWrite.waits).toBe(before.waits + 1);
    expect(afterWrite.syncs).toBeGreaterThan(before.syncs);
    await db.transaction().execute((tx) => tx.selectFrom('notes').selectAll().execute());
    await db.selectFrom('notes').selectAll().execute();
    expect(database.syncStats()).toEqual(afterWrite);
  });

  it('makes a lone write statement (insert … returning included) wait too', async () => {
    const before = database.syncStats()!.waits;
    await db.insertInto('notes').values({ id: 2, body: 'b' }).returning('id').executeTakeFirstOrThrow();
    await db.updateTable('notes').set({ body: 'c' }).where('id', '=', 2).execute();
    expect(database.syncStats()!.waits).toBe(before + 2);
  });

  it('does not make a lone write that changed no row wait (it wrote nothing), but DDL always', async () => {
    const before = database.syncStats()!.waits;
    await db.updateTable('notes').set({ body: 'x' }).where('id', '=', 999).execute();
    await db.deleteFrom('notes').where('id', '=', 999).execute();
    expect((await db.updateTable('notes').set({ body: 'x' }).where('id', '=', 999).returning('id').execute()).length).toBe(0);
    expect(database.syncStats()!.waits).toBe(before);
    await db.insertInto('notes').values({ id: 7, body: 'seven' }).execute();
    await sql`create table other (id integer primary key)`.execute(db);
    expect(database.syncStats()!.waits).toBe(before + 2);
  });

  it('lets transactions arriving together share log syncs, each still atomic', async () => {
    const before = database.syncStats()!;
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, (_, i) =>
        db.transaction().execute(async (tx) => {
          await tx.insertInto('notes').values({ id: 100 + i, body: `note ${i}` }).execute();
          // Every tenth fails after its first write: that write must not survive.
          if (i % 10 === 9) await tx.insertInto('notes').values({ id: 100 + i + 1000, body: 'note 0' }).execute();
          return i;
        }),
      ),
    );
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(6);
    const ids = (await db.selectFrom('notes').select('id').where('id', '>=', 100).orderBy('id').execute()).map((r) => r.id);
    expect(ids).toEqual(Array.from({ length: 60 }, (_, i) => i).filter((i) => i % 10 !== 9).map((i) => 100 + i));
    const after = database.syncStats()!;
    expect(after.waits - before.waits).toBe(54);
    expect(after.syncs - before.syncs).toBeLessThan(54);
  });

  it('keeps savepoints working inside a transaction', async () => {
    const trx = await db.startTransaction().execute();
    await trx.insertInto('notes').values({ id: 3, body: 'kept' }).execute();
    const inner = await trx.savepoint('inner').execute();
    await inner.insertInto('notes').values({ id: 4, body: 'undone' }).execute();
    await inner.rollbackToSavepoint('inner').execute();
    await trx.commit().execute();
    expect((await db.selectFrom('notes').select('id').where('id', 'in', [3, 4]).execute()).map((r) => r.id)).toEqual([3]);
  });

  it('has everything acknowledged on disk after closing and reopening', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => db.insertInto('notes').values({ id: 500 + i, body: `n${i}` }).execute()));
    await database.close();
    database = await openDatabase({ dialect: 'sqlite', path });
    db = database.db as unknown as Kysely<Scratch>;
    expect(Number((await db.selectFrom('notes').select((eb) => eb.fn.countAll<number>().as('n')).where('id', '>=', 500).executeTakeFirstOrThrow()).n)).toBe(20);
  });
});

describe('WalSync', () => {
  it('shares one fsync between the waits that arrive while another is under way, and fails clearly without a log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ariadne-walsync-'));
    try {
      const database = await openDatabase({ dialect: 'sqlite', path: join(dir, 'a.db') });
      await sql`create table t (x integer)`.execute(database.db);
      const sync = new WalSync(join(dir, 'a.db'));
      await Promise.all(Array.from({ length: 50 }, () => sync.durable()));
      // The first starts at once; the other 49 wait for the one after it.
      expect(sync.stats).toEqual({ syncs: 2, waits: 50 });
      await sync.close();
      await database.close();

      const missing = new WalSync(join(dir, 'nothing.db'));
      await expect(missing.durable()).rejects.toThrow(/ENOENT/);
      await missing.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
