import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { itemSignals } from '../../src/hashsets/item-signals.js';
import { Matches } from '../../src/index/matches.js';
import { MultiIndexHashIndex } from '../../src/index/multi-index-hash-index.js';
import { IndexCatalog } from '../../src/matching/index-catalog.js';
import { SignalStore } from '../../src/matching/signal-store.js';
import { databaseAdapters, insertHashSet, openMigrated } from '../support/databases.js';

function recordingLogger() {
  const warnings: string[] = [];
  const infos: string[] = [];
  return { warnings, infos, info: (_o: object, m: string) => void infos.push(m), warn: (_o: object, m: string) => void warnings.push(m) };
}

function flip(hash: Uint8Array, bits: number): Uint8Array {
  const out = Uint8Array.from(hash);
  for (let i = 0; i < bits; i++) out[i] ^= 1;
  return out;
}

for (const adapter of databaseAdapters()) {
  describe.skipIf(adapter.skip)(`index catalog: ${adapter.name}`, () => {
    let database: Database;
    let drop: () => Promise<void>;
    let store: SignalStore;
    let snapshots: string;
    let setId: number;

    beforeEach(async () => {
      ({ database, drop } = await openMigrated(adapter));
      store = new SignalStore(database.db, database.dialect);
      snapshots = mkdtempSync(join(tmpdir(), 'ariadne-snap-'));
      setId = await insertHashSet(database, 'test list', 'pdq-list');
    });

    afterEach(async () => {
      await database.close();
      await drop();
      rmSync(snapshots, { recursive: true, force: true });
    });

    async function add(hashes: Uint8Array[], signal: 'pdq' | 'md5' = 'pdq'): Promise<number[]> {
      return database.db.transaction().execute((tx) => store.addEntries(tx, hashes.map((hash) => ({ signal, hash, setId }))));
    }

    function ids(catalog: IndexCatalog, query: Uint8Array, radius: number): number[] {
      const m = catalog.pdq.radius(query, radius, new Matches());
      return Array.from(m.ids.subarray(0, m.count)).sort((a, b) => a - b);
    }

    it('builds from the database, then follows adds and removals through the change log', async () => {
      const base = Array.from({ length: 50 }, () => new Uint8Array(randomBytes(32)));
      const baseIds = await add(base);
      const md5 = new Uint8Array(randomBytes(16));
      const [md5Id] = await add([md5], 'md5');
      const catalog = await IndexCatalog.open({ store, snapshotDir: undefined, logger: recordingLogger() });
      expect(catalog.sizes()).toMatchObject({ pdq: 50, md5: 1, sha1: 0, sha256: 0 });
      expect(ids(catalog, flip(base[7], 5), 31)).toEqual([baseIds[7]]);
      expect(catalog.exact('md5').lookup(md5)).toEqual([md5Id]);

      const [late] = await add([flip(base[3], 2)]);
      expect(await catalog.catchUp()).toBe(1);
      expect(ids(catalog, base[3], 31)).toEqual([baseIds[3], late].sort((a, b) => a - b));

      await database.db.transaction().execute((tx) => store.removeEntries(tx, [baseIds[3]]));
      expect(await catalog.catchUp()).toBe(1);
      expect(ids(catalog, base[3], 31)).toEqual([late]);
      expect(catalog.checkpoint).toBe(await store.maxSeq());
    });

    it('reloads a snapshot and catches up from its checkpoint, matching a fresh build', async () => {
      const base = Array.from({ length: 40 }, () => new Uint8Array(randomBytes(32)));
      const baseIds = await add(base);
      const first = await IndexCatalog.open({ store, snapshotDir: snapshots, logger: recordingLogger() });
      await first.saveSnapshots();
      const savedAt = first.checkpoint;
      const extra = await add([flip(base[0], 3), flip(base[1], 9)]);
      await database.db.transaction().execute((tx) => store.removeEntries(tx, [baseIds[2]]));

      const log = recordingLogger();
      const reloaded = await IndexCatalog.open({ store, snapshotDir: snapshots, logger: log });
      expect(log.infos).toContain('index loaded from snapshot');
      expect(reloaded.checkpoint).toBeGreaterThan(savedAt);
      const fresh = await IndexCatalog.open({ store, snapshotDir: undefined, logger: recordingLogger() });
      for (const q of [base[0], base[1], base[2], base[20]]) expect(ids(reloaded, q, 31)).toEqual(ids(fresh, q, 31));
      expect(ids(reloaded, base[0], 31)).toEqual([baseIds[0], extra[0]]);
      expect(ids(reloaded, base[2], 31)).toEqual([]);
    });

    it('rebuilds instead of trusting a corrupt snapshot or one ahead of the database', async () => {
      const base = Array.from({ length: 10 }, () => new Uint8Array(randomBytes(32)));
      const baseIds = await add(base);
      const catalog = await IndexCatalog.open({ store, snapshotDir: snapshots, logger: recordingLogger() });
      await catalog.saveSnapshots();
      const dir = join(snapshots, readdirSync(snapshots)[0]);
      const file = join(dir, 'pdq.snap');
      const bytes = readFileSync(file);
      bytes[bytes.length - 5] ^= 0xff;
      writeFileSync(file, bytes);
      const log = recordingLogger();
      const rebuilt = await IndexCatalog.open({ store, snapshotDir: snapshots, logger: log });
      expect(log.warnings).toContain('index snapshot rejected; rebuilding');
      expect(ids(rebuilt, base[4], 0)).toEqual([baseIds[4]]);

      // A snapshot claiming a checkpoint the database never reached (a restored backup): rebuilt too.
      const future = new MultiIndexHashIndex();
      future.add(999, base[0]);
      await future.save(file, (await store.maxSeq()) + 100);
      const log2 = recordingLogger();
      const again = await IndexCatalog.open({ store, snapshotDir: snapshots, logger: log2 });
      expect(log2.warnings).toContain('index snapshot is ahead of the database (restored backup?); rebuilding');
      expect(ids(again, base[0], 0)).toEqual([baseIds[0]]);
    });

    it('adds the set entries a query selects, each with its change (a set deduplicates its items before this)', async () => {
      const [pdq, md5] = [randomBytes(32).toString('hex'), randomBytes(16).toString('hex')];
      const item = (key: string, fields: Record<string, unknown>) =>
        database.db
          .insertInto('hash_set_items')
          .values({ set_id: setId, item_key: key, created_at: 5, ...fields })
          .returning('id')
          .executeTakeFirstOrThrow()
          .then((r) => Number(r.id));
      const ids = [await item('a', { pdq, pdq_quality: 90, label: 'first' }), await item('b', { md5, series: 'S' })];
      expect(await database.db.transaction().execute((tx) => store.addSelected(tx, itemSignals(database.dialect, ids, 5), 5))).toBe(2);
      const changes = await store.changesSince(0, 10);
      expect(changes.map((c) => [c.op, c.signal, Buffer.from(c.hash).toString('hex'), c.mediaId])).toEqual([
        ['add', 'pdq', pdq, null],
        ['add', 'md5', md5, null],
      ]);
      const described = await store.describe(changes.map((c) => c.entryId));
      expect(changes.map((c) => described.get(c.entryId)).map((e) => [e?.setId, e?.quality, e?.label, e?.variant])).toEqual([
        [setId, 90, 'first', 'plain'],
        [setId, null, 'S', 'plain'],
      ]);
      expect(await database.db.transaction().execute((tx) => store.addSelected(tx, itemSignals(database.dialect, [], 5), 5))).toBe(0);
      expect(await store.maxSeq()).toBe(2);
    });
  });
}
