import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemActor, type UserActor } from '../../src/auth/actor.js';
import { AuditLog, entryHash } from '../../src/audit/audit-log.js';
import type { Database } from '../../src/db/database.js';
import { databaseAdapters, openMigrated } from '../support/databases.js';

const alice: UserActor = {
  kind: 'user',
  userId: 7,
  username: 'alice',
  role: 'investigator',
  countryCode: 'FR',
  agencyId: 1,
  certifiedUntil: null,
  credential: { kind: 'session', sessionId: 's', restricted: false },
};

for (const adapter of databaseAdapters()) {
  describe.skipIf(adapter.skip)(`audit log contract: ${adapter.name}`, () => {
    let database: Database;
    let drop: () => Promise<void>;
    let log: AuditLog;

    beforeEach(async () => {
      ({ database, drop } = await openMigrated(adapter));
      log = new AuditLog({ db: database.db });
    });

    afterEach(async () => {
      await database.close();
      await drop();
    });

    async function appendMany(n: number) {
      for (let i = 0; i < n; i++) {
        await database.db.transaction().execute((tx) =>
          log.append(tx, {
            action: i % 2 ? 'media.view' : 'auth.login',
            actor: i % 3 ? alice : systemActor('test'),
            object: { type: 'user', id: i, country: i % 2 ? 'DE' : 'FR' },
            address: '10.1.2.3',
            requestId: `r${i}`,
            details: { i },
            at: 1_000_000 + i * 1000,
          }),
        );
      }
    }

    it('chains entries: each carries the previous hash and verifies end to end', async () => {
      await appendMany(5);
      const entries = (await log.query({ limit: 10 })).reverse();
      expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(entries[0].prevHash).toBe('0'.repeat(64));
      for (let i = 1; i < entries.length; i++) expect(entries[i].prevHash).toBe(entries[i - 1].hash);
      expect(entries[1]).toMatchObject({ actorId: 7, actorName: 'alice', actorCountry: 'FR', action: 'media.view', objectType: 'user', objectId: '1', objectCountry: 'DE', address: '10.1.2.3', requestId: 'r1', details: { i: 1 } });
      expect(entries[0]).toMatchObject({ actorId: null, actorName: 'system:test' });
      const report = await log.verify();
      expect(report).toEqual({ ok: true, entries: 5, headSeq: 5, headHash: entries[4].hash });
    });

    it('appends several entries at once exactly as one by one', async () => {
      await appendMany(2);
      const batch = await database.db.transaction().execute((tx) =>
        log.appendAll(tx, [
          { action: 'submission.file.add', actor: alice, object: { type: 'submission', id: 9 }, at: 2_000_000 },
          { action: 'media.ingest', actor: systemActor('ingest'), object: { type: 'media', id: 4, country: 'DE' }, details: { fileId: 1 }, at: 2_000_001 },
        ]),
      );
      expect(batch.map((e) => e.seq)).toEqual([3, 4]);
      expect(await database.db.transaction().execute((tx) => log.appendAll(tx, []))).toEqual([]);
      const entries = (await log.query({ limit: 10 })).reverse();
      expect(entries.map((e) => [e.seq, e.action])).toEqual([[1, 'auth.login'], [2, 'media.view'], [3, 'submission.file.add'], [4, 'media.ingest']]);
      expect(entries[2].prevHash).toBe(entries[1].hash);
      expect(entries[3].prevHash).toBe(entries[2].hash);
      expect(entries[3]).toMatchObject({ actorName: 'system:ingest', objectCountry: 'DE', details: { fileId: 1 } });
      expect(await log.verify()).toEqual({ ok: true, entries: 4, headSeq: 4, headHash: entries[3].hash });
      await expect(database.db.transaction().execute((tx) => log.appendAll(tx, [{ action: 'ok.action', actor: alice }, { action: 'Not OK', actor: alice }]))).rejects.toThrow(/invalid audit action/);
      expect((await log.verify()).entries).toBe(4);
    });

    it('refuses to append outside a transaction and rejects malformed actions', async () => {
      await expect(log.append(database.db, { action: 'auth.login', actor: alice })).rejects.toThrow(/inside the transaction/);
      await expect(database.db.transaction().execute((tx) => log.append(tx, { action: 'Bad Action', actor: alice }))).rejects.toThrow(/invalid audit action/);
      expect((await log.verify()).entries).toBe(0);
    });

    it('rolls back with the change it records', async () => {
      await expect(
        database.db.transaction().execute(async (tx) => {
          await log.append(tx, { action: 'user.create', actor: alice });
          throw new Error('the change failed');
        }),
      ).rejects.toThrow('the change failed');
      expect(await log.query({})).toEqual([]);
      expect(await log.verify()).toMatchObject({ ok: true, entries: 0, headSeq: 0 });
    });

    it('reports an edited entry as the first broken link', async () => {
      await appendMany(6);
      await sql`update audit_log set actor_name = 'mallory' where seq = 4`.execute(database.db);
      expect((await log.verify()).firstBroken).toMatchObject({ seq: 4, reason: 'edited' });
    });

    it('reports an edit that recomputed the entry\'s own hash at the next link', async () => {
      await appendMany(6);
      const row = await database.db.selectFrom('audit_log').selectAll().where('seq', '=', 3).executeTakeFirstOrThrow();
      const forged = { ...row, seq: Number(row.seq), at: Number(row.at), actor_id: row.actor_id === null ? null : Number(row.actor_id), details: '{"i":999}' };
      await database.db.updateTable('audit_log').set({ details: forged.details, hash: entryHash(forged) }).where('seq', '=', 3).execute();
      expect((await log.verify()).firstBroken).toMatchObject({ seq: 4, reason: 'relinked' });
    });

    it('reports a removed entry', async () => {
      await appendMany(6);
      await database.db.deleteFrom('audit_log').where('seq', '=', 2).execute();
      expect((await log.verify()).firstBroken).toMatchObject({ seq: 2, reason: 'missing' });
    });

    it('reports removal of the newest entries through the head', async () => {
      await appendMany(6);
      await database.db.deleteFrom('audit_log').where('seq', '>=', 5).execute();
      expect((await log.verify()).firstBroken).toMatchObject({ seq: 5, reason: 'head_mismatch' });
    });

    it('reports reordered entries', async () => {
      await appendMany(6);
      await sql`update audit_log set seq = 100 where seq = 2`.execute(database.db);
      await sql`update audit_log set seq = 2 where seq = 3`.execute(database.db);
      await sql`update audit_log set seq = 3 where seq = 100`.execute(database.db);
      const report = await log.verify();
      expect(report.ok).toBe(false);
      expect(report.firstBroken?.seq).toBe(2);
    });

    it('keeps one unforked chain under concurrent appenders', async () => {
      await Promise.all(
        Array.from({ length: 25 }, (_, i) => database.db.transaction().execute((tx) => log.append(tx, { action: 'media.view', actor: alice, object: { type: 'media', id: i } }))),
      );
      const report = await log.verify();
      expect(report).toMatchObject({ ok: true, entries: 25, headSeq: 25 });
    });

    it('queries by actor, object, action, family, country and time, newest first with paging', async () => {
      await appendMany(10);
      expect((await log.query({ actorId: 7 })).every((e) => e.actorId === 7)).toBe(true);
      expect((await log.query({ actorName: 'system:test' })).map((e) => e.seq)).toEqual([10, 7, 4, 1]);
      expect((await log.query({ action: 'media.view' })).length).toBe(5);
      expect((await log.query({ action: 'media.*' })).length).toBe(5);
      expect((await log.query({ objectType: 'user', objectId: '3' })).map((e) => e.seq)).toEqual([4]);
      expect((await log.query({ from: 1_002_000, to: 1_004_000 })).map((e) => e.seq)).toEqual([4, 3]);
      expect((await log.query({ country: 'DE' })).length).toBe(5); // odd entries concern DE objects
      expect((await log.query({ country: 'FR' })).map((e) => e.seq)).toEqual([9, 8, 7, 6, 5, 3, 2, 1]); // alice (FR) acts, or the object is FR
      expect((await log.query({ country: 'DE', actorName: 'system:test' })).map((e) => e.objectCountry)).toEqual(['DE', 'DE']);
      expect((await log.query({ limit: 3 })).map((e) => e.seq)).toEqual([10, 9, 8]);
      expect((await log.query({ limit: 3, beforeSeq: 8 })).map((e) => e.seq)).toEqual([7, 6, 5]);
      expect(await log.countByAction({})).toEqual({ 'auth.login': 5, 'media.view': 5 });
    });
  });
}
