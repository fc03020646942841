import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextFor, systemActor, type UserActor } from '../../src/auth/actor.js';
import { AccessPolicy } from '../../src/auth/policy.js';
import { AuditLog } from '../../src/audit/audit-log.js';
import { formatHash256 } from '../../src/core/hash256.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { HashSetService } from '../../src/hashsets/hash-set-service.js';
import { IndexCatalog } from '../../src/matching/index-catalog.js';
import { MatchService } from '../../src/matching/match-service.js';
import { SignalStore } from '../../src/matching/signal-store.js';

const silent = { info: () => undefined, warn: () => undefined };
const operator = contextFor(systemActor('test'));

function investigator(certifiedUntil: number | null): UserActor {
  return { kind: 'user', userId: 7, username: 'ana', role: 'investigator', countryCode: 'FR', agencyId: 1, certifiedUntil, credential: { kind: 'token', tokenId: 1, scopes: ['read'] } };
}

function flipBits(hex: string, bits: number): string {
  const b = Buffer.from(hex, 'hex');
  for (let i = 0; i < bits; i++) b[31 - i] ^= 0x80;
  return b.toString('hex');
}

describe('matching against hash sets', () => {
  let dir: string;
  let database: Database;
  let catalog: IndexCatalog;
  let service: MatchService;
  let sets: HashSetService;
  const hashes = Array.from({ length: 20 }, () => formatHash256(new Uint8Array(randomBytes(32))));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ariadne-match-'));
    database = await openDatabase({ dialect: 'sqlite', path: join(dir, 'db.sqlite') });
    await migrateToLatest(database.db as Kysely<unknown>, 'sqlite');
    const store = new SignalStore(database.db, 'sqlite');
    catalog = await IndexCatalog.open({ store, snapshotDir: undefined, logger: silent });
    const policy = new AccessPolicy();
    sets = new HashSetService(database.db, store, new AuditLog({ db: database.db }), policy, () => catalog.catchUp());
    service = new MatchService(catalog, store, policy);
    const list = hashes.map((h, i) => `${h},item ${i}`).join('\n');
    const report = await sets.importPdqList(operator, { name: 'National list', source: 'FR unit', terms: 'law enforcement only', input: Readable.from([list]) });
    expect(report).toMatchObject({ created: true, imported: 20, duplicates: 0, problems: [] });
  });

  afterAll(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds a near-duplicate within the radius and names its set and label', async () => {
    const hits = await service.match(operator, { pdq: [flipBits(hashes[3], 10)] });
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({ signal: 'pdq', distance: 10, hash: hashes[3], source: 'set', set: { name: 'National list' }, label: 'item 3', item: null });
    expect(await service.match(operator, { pdq: [flipBits(hashes[3], 10)], radius: 9 })).toEqual([]);
  });

  it('re-importing the same list adds nothing and audits each batch', async () => {
    const again = await sets.importPdqList(operator, { name: 'National list', input: Readable.from([hashes.join('\n')]) });
    expect(again).toMatchObject({ created: false, imported: 0, duplicates: 20 });
    const actions = await database.db.selectFrom('audit_log').select('action').orderBy('seq').execute();
    expect(actions.map((a) => a.action)).toEqual(['hashset.create', 'hashset.entries.add', 'hashset.entries.add']);
  });

  it('stops matching a disabled set without deleting it', async () => {
    const set = (await sets.list(operator))[0];
    await sets.setEnabled(operator, set.id, false);
    expect(await service.match(operator, { pdq: [hashes[0]] })).toEqual([]);
    await sets.setEnabled(operator, set.id, true);
    expect(await service.match(operator, { pdq: [hashes[0]] })).toHaveLength(1);
  });

  it('answers batches per query, in order', async () => {
    const queries = [hashes[5], formatHash256(new Uint8Array(32)), hashes[6]].map((h) => new Uint8Array(Buffer.from(h, 'hex')));
    const answers = await service.matchPdqBatch(operator, queries);
    expect(answers.map((a) => a.map((h) => h.label))).toEqual([['item 5'], [], ['item 6']]);
  });

  it('lets certified investigators match and refuses uncertified ones', async () => {
    const now = Date.now();
    expect(await service.match(contextFor(investigator(now + 86_400_000)), { pdq: [hashes[1]] })).toHaveLength(1);
    await expect(service.match(contextFor(investigator(now - 1)), { pdq: [hashes[1]] })).rejects.toThrow(/certif/i);
  });

  it('refuses malformed queries with a clear message', async () => {
    await expect(service.match(operator, { pdq: ['xyz'] })).rejects.toThrow(/64 hex digits/);
    await expect(service.match(operator, { pdq: [hashes[0]], radius: 65 })).rejects.toThrow(/radius/);
    await expect(service.match(operator, { md5: 'abc' })).rejects.toThrow(/md5 must be 32 hex digits/);
    await expect(service.match(operator, { pdqDihedral: [hashes[0]] })).rejects.toThrow(/8 dihedral/);
  });
});
