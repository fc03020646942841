import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contextFor, systemActor } from '../../src/auth/actor.js';
import { AccessPolicy } from '../../src/auth/policy.js';
import { AuditLog } from '../../src/audit/audit-log.js';
import type { Database } from '../../src/db/database.js';
import { HashSetImporter } from '../../src/hashsets/hash-set-import.js';
import { HashSetService } from '../../src/hashsets/hash-set-service.js';
import { SignalStore } from '../../src/matching/signal-store.js';
import { databaseAdapters, openMigrated } from '../support/databases.js';
import { mediaRecord, vicsDocument } from '../exchange/fixtures.js';

const operator = contextFor(systemActor('test'));

async function count(database: Database, table: 'signal_entries' | 'signal_changes' | 'hash_set_items'): Promise<number> {
  return Number((await database.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
}

async function audited(database: Database, action: string): Promise<number> {
  return Number((await database.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).where('action', '=', action).executeTakeFirstOrThrow()).n);
}

/** The import through multi-row statements, on every database: batches, duplicates, resume and round trip. */
for (const adapter of databaseAdapters()) {
  describe.skipIf(adapter.skip)(`hash-set import: ${adapter.name}`, () => {
    let database: Database;
    let drop: () => Promise<void>;
    let dir: string;
    let store: SignalStore;

    beforeEach(async () => {
      ({ database, drop } = await openMigrated(adapter));
      store = new SignalStore(database.db, database.dialect);
      dir = mkdtempSync(join(tmpdir(), 'ariadne-import-contract-'));
    });

    afterEach(async () => {
      await database.close();
      await drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('imports in batches that resume after a crash, adds nothing twice, logs one change per entry and exports what it read', async () => {
      // 1,300 distinct entries (more than one multi-row statement), each of the first 100 written twice.
      const records = [...Array.from({ length: 1300 }, (_, i) => mediaRecord(i, { Series: `S${i % 7}`, MediaFiles: [{ FileName: `f${i}.jpg` }] })), ...Array.from({ length: 100 }, (_, i) => mediaRecord(i))];
      const path = join(dir, 'set.json');
      writeFileSync(path, vicsDocument('Media', records));
      const audit = new AuditLog({ db: database.db });
      const importer = new HashSetImporter(database.db, store, audit, async () => undefined, 600);
      importer.afterBatch = (done) => {
        if (done === 600) throw new Error('simulated crash');
      };
      const input = { format: 'vics' as const, name: 'Contract', path };
      await expect(importer.importFile(operator, input, statSync(path).size)).rejects.toThrow('simulated crash');
      expect(await count(database, 'hash_set_items')).toBe(600);
      expect(await count(database, 'signal_entries')).toBe(1200);

      importer.afterBatch = null;
      const resumed = await importer.importFile(operator, input, statSync(path).size);
      expect(resumed).toMatchObject({ resumedFrom: 600, imported: 700, duplicates: 100, records: 1400, problems: [], alreadyImported: false });
      expect(resumed.set.entryCount).toBe(1300);
      expect(await count(database, 'hash_set_items')).toBe(1300);
      expect(await count(database, 'signal_entries')).toBe(2600);
      expect(await count(database, 'signal_changes')).toBe(2600);
      // Each item's hashes are its entries, byte for byte, labelled with its series.
      const items = await database.db.selectFrom('hash_set_items').select(['md5', 'sha1', 'series']).execute();
      const entries = await database.db.selectFrom('signal_entries').select(['signal', 'hash', 'label', 'set_id', 'media_id', 'variant']).execute();
      const key = (signal: string, hex: string | null, label: string | null) => `${signal} ${hex} ${label}`;
      expect(entries.map((e) => key(e.signal, Buffer.from(e.hash).toString('hex'), e.label)).sort()).toEqual(
        items.flatMap((i) => [key('md5', i.md5, i.series), key('sha1', i.sha1, i.series)]).sort(),
      );
      expect(new Set(entries.map((e) => `${e.set_id} ${e.media_id} ${e.variant}`))).toEqual(new Set([`${resumed.set.id} null plain`]));
      // One audited entry per committed batch: 600, then 600 and 200 after resuming.
      expect(await audited(database, 'hashset.entries.add')).toBe(3);
      const checkpoint = await database.db.selectFrom('hash_set_imports').selectAll().executeTakeFirstOrThrow();
      expect(checkpoint).toMatchObject({ status: 'done', records_done: 1400, added: 1300 });

      const sets = new HashSetService(database.db, store, audit, new AccessPolicy());
      expect(await sets.importFile(operator, input)).toMatchObject({ imported: 0, alreadyImported: true });
      const out = new PassThrough();
      const chunks: Buffer[] = [];
      out.on('data', (c: Buffer) => chunks.push(c));
      const exported = await sets.exportSet(operator, { format: 'vics', set: 'Contract' }, out);
      out.end();
      expect(exported.entries).toBe(1300);
      const copy = join(dir, 'copy.json');
      writeFileSync(copy, Buffer.concat(chunks));
      const again = await sets.importFile(operator, { format: 'vics', name: 'Contract', path: copy });
      expect(again).toMatchObject({ imported: 0, duplicates: 1300, records: 1300, problems: [] });
      const back = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { value: Array<{ MediaID: number; Series: string; MediaFiles: unknown }> };
      expect(back.value.map((r) => r.MediaID).sort((a, b) => a - b)).toEqual(Array.from({ length: 1300 }, (_, i) => i));
      expect(back.value.find((r) => r.MediaID === 8)).toMatchObject({ Series: 'S1', MediaFiles: [{ FileName: 'f8.jpg' }] });
    });

    it('makes PDQ entries with their quality and label from a PDQ list', async () => {
      const hashes = ['ab'.repeat(32), 'cd'.repeat(32)];
      const path = join(dir, 'list.csv');
      writeFileSync(path, `hash,quality,label\n${hashes[0]},90,first\n${hashes[1]},,\n`);
      const sets = new HashSetService(database.db, store, new AuditLog({ db: database.db }), new AccessPolicy());
      expect(await sets.importFile(operator, { format: 'pdq', name: 'PDQ', path })).toMatchObject({ imported: 2, problems: [] });
      const rows = await database.db.selectFrom('signal_entries').select(['signal', 'hash', 'quality', 'label']).orderBy('hash').execute();
      expect(rows.map((r) => [r.signal, Buffer.from(r.hash).toString('hex'), r.quality === null ? null : Number(r.quality), r.label])).toEqual([
        ['pdq', hashes[0], 90, 'first'],
        ['pdq', hashes[1], null, null],
      ]);
      expect((await store.changesSince(0, 10)).map((c) => c.entryId)).toHaveLength(2);
    });

    it('keeps the first of two records with the same hashes in one batch, and sorts nothing else away', async () => {
      // 12 records (positions 0-11, so sort keys with positions 2 and 10 would misorder unless padded).
      const records = [
        ...Array.from({ length: 10 }, (_, i) => mediaRecord(i, { Series: i === 2 ? 'first' : 'other' })),
        mediaRecord(2, { Series: 'second' }),
        mediaRecord(2, { Series: 'third' }),
      ];
      const path = join(dir, 'dups.json');
      writeFileSync(path, vicsDocument('Media', records));
      const sets = new HashSetService(database.db, store, new AuditLog({ db: database.db }), new AccessPolicy());
      expect(await sets.importFile(operator, { format: 'vics', name: 'Dups', path })).toMatchObject({ imported: 10, duplicates: 2, records: 12 });
      const rows = await database.db.selectFrom('hash_set_items').select(['media_ref', 'series']).orderBy('media_ref').execute();
      expect(rows.find((r) => r.media_ref === '2')).toEqual({ media_ref: '2', series: 'first' });
      expect(await count(database, 'signal_entries')).toBe(20);
      const labels = await database.db.selectFrom('signal_entries').select(['signal', 'label']).where('label', '!=', 'other').execute();
      expect(labels.map((r) => r.label).sort()).toEqual(['first', 'first']);
    });
  });
}
