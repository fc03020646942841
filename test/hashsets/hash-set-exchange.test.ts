import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextFor, systemActor, type UserActor } from '../../src/auth/actor.js';
import { AccessPolicy } from '../../src/auth/policy.js';
import { AuditLog } from '../../src/audit/audit-log.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import type { ExchangeFormat } from '../../src/exchange/entry.js';
import { HashSetService, IMPORT_BATCH } from '../../src/hashsets/hash-set-service.js';
import { IndexCatalog } from '../../src/matching/index-catalog.js';
import { MatchService } from '../../src/matching/match-service.js';
import { SignalStore } from '../../src/matching/signal-store.js';
import { digest, mediaRecord, vicsDocument } from '../exchange/fixtures.js';

const silent = { info: () => undefined, warn: () => undefined };
const operator = contextFor(systemActor('test'));

function user(role: UserActor['role']): UserActor {
  return { kind: 'user', userId: 7, username: 'u', role, countryCode: 'FR', agencyId: 1, certifiedUntil: Date.now() + 86_400_000, credential: { kind: 'session', sessionId: 's', restricted: false } };
}

async function exportText(sets: HashSetService, format: ExchangeFormat, set: string): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await sets.exportSet(operator, { format, set }, out);
  out.end();
  return Buffer.concat(chunks).toString('utf8');
}

describe('hash-set exchange (VICS, ICSE, PDQ) through the service', () => {
  let dir: string;
  let database: Database;
  let catalog: IndexCatalog;
  let sets: HashSetService;
  let matching: MatchService;
  let n = 0;
  const file = (text: string) => {
    const path = join(dir, `f${n++}`);
    writeFileSync(path, text);
    return path;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ariadne-exchange-'));
    database = await openDatabase({ dialect: 'sqlite', path: join(dir, 'db.sqlite') });
    await migrateToLatest(database.db as Kysely<unknown>, 'sqlite');
    const store = new SignalStore(database.db, 'sqlite');
    catalog = await IndexCatalog.open({ store, snapshotDir: undefined, logger: silent });
    const policy = new AccessPolicy();
    sets = new HashSetService(database.db, store, new AuditLog({ db: database.db }), policy, () => catalog.catchUp());
    matching = new MatchService(catalog, store, policy);
  });

  afterAll(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports a VICS #Media set with provenance; matches name the set; re-importing adds nothing', async () => {
    const records = Array.from({ length: 30 }, (_, i) => mediaRecord(i, { Series: i < 10 ? 'Series A' : { Name: 'Series B' }, Tags: ['t1'] }));
    const path = file(vicsDocument('Media', records));
    const report = await sets.importFile(operator, { format: 'vics', name: 'VIC set', source: 'Project VIC', terms: 'LE only', path });
    expect(report).toMatchObject({ created: true, imported: 30, duplicates: 0, problems: [], records: 30, alreadyImported: false, vics: { kind: 'Media', version: '2.0' } });
    expect(report.set).toMatchObject({ name: 'VIC set', source: 'Project VIC', terms: 'LE only', format: 'vics', enabled: true, entryCount: 30 });
    const hits = await matching.match(operator, { md5: digest('md5', 'm3') });
    expect(hits[0]).toMatchObject({ source: 'set', set: { name: 'VIC set' }, label: 'Series A' });
    const again = await sets.importFile(operator, { format: 'vics', name: 'VIC set', path });
    expect(again).toMatchObject({ imported: 0, alreadyImported: true });
    // The same content in another file (other bytes) adds nothing either.
    const other = await sets.importFile(operator, { format: 'vics', name: 'VIC set', path: file(`\ufeff${vicsDocument('Media', records.reverse(), '1.3')}`) });
    expect(other).toMatchObject({ imported: 0, duplicates: 30, alreadyImported: false });
    expect((await sets.find('VIC set')).entryCount).toBe(30);
  });

  it('refuses a file that is not what it claims before anything is written', async () => {
    const before = await database.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const truncated = vicsDocument('Media', [mediaRecord(1), mediaRecord(2)]).slice(0, -5);
    await expect(sets.importFile(operator, { format: 'vics', name: 'Bad', path: file(truncated) })).rejects.toThrow(/truncated/);
    await expect(sets.importFile(operator, { format: 'vics', name: 'Bad', path: file('MD5;SHA1\n') })).rejects.toThrow(/not a VICS JSON file/);
    await expect(sets.importFile(operator, { format: 'icse', name: 'Bad', path: file(vicsDocument('Media', [mediaRecord(1)])) })).rejects.toThrow(/not an ICSE hash export/);
    await expect(sets.importFile(operator, { format: 'pdq', name: 'Bad', path: file('hello\nworld\n') })).rejects.toThrow(/not a PDQ list: no record could be read \(line 1/);
    const after = await database.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
    await expect(sets.find('Bad')).rejects.toThrow(/no such hash set/);
  });

  it('exports a set as VICS 2.0 that re-imports to the same content', async () => {
    const vics = await exportText(sets, 'vics', 'VIC set');
    const path = file(vics);
    const copy = await sets.importFile(operator, { format: 'vics', name: 'VIC copy', path });
    expect(copy).toMatchObject({ imported: 30, problems: [] });
    const icseA = await exportText(sets, 'icse', 'VIC set');
    const icseB = await exportText(sets, 'icse', 'VIC copy');
    expect(icseB).toBe(icseA);
    expect(icseA.split('\n')[0]).toBe('MD5;SHA1;SHA256;PDQ;PhotoDNA;Category;Series name;Victim identified;Offender identified;Distributed;Tags;File name;Media ID;Media Type;Baseline');
    expect(icseA.split('\n')).toHaveLength(32);
  });

  it('imports ICSE exports, reporting malformed rows with line numbers, and round-trips them', async () => {
    const rows = [
      'MD5;SHA1;Category;Series name;Victim identified;Media Type;Baseline',
      `${digest('md5', 'i1')};${digest('sha1', 'i1')};1;"Series; C";true;Image;false`,
      `${digest('md5', 'i2')};;2;;;Video;true`,
      `nothex;${digest('sha1', 'i3')};1;;;Image;`,
      `${digest('md5', 'i4')};;7;;;Image;`,
      'too;few',
      `${digest('md5', 'i5').toUpperCase()};;;;maybe;;`,
      `${digest('md5', 'i6')};;;;no;;1`,
    ];
    const report = await sets.importFile(operator, { format: 'icse', name: 'ICSE set', path: file(`${rows.join('\r\n')}\r\n`) });
    expect(report.imported).toBe(3);
    expect(report.problems).toEqual([
      { line: 4, message: 'MD5 must be 32 hex digits, got "nothex"' },
      { line: 5, message: 'Category must be a VICS category 0-5' },
      { line: 6, message: 'expected 7 fields, got 2' },
      { line: 7, message: 'Victim identified must be true or false' },
    ]);
    const out = await exportText(sets, 'icse', 'ICSE set');
    const copy = await sets.importFile(operator, { format: 'icse', name: 'ICSE copy', path: file(out) });
    expect(copy).toMatchObject({ imported: 3, problems: [] });
    expect(await exportText(sets, 'icse', 'ICSE copy')).toBe(out);
    expect(out).toContain(';"Series; C";true;;;;;;Image;false');
  });

  it('imports and exports PDQ lists (plain and CSV)', async () => {
    const hashes = Array.from({ length: 5 }, (_, i) => digest('sha256', `p${i}`));
    const report = await sets.importFile(operator, { format: 'pdq', name: 'PDQ set', path: file(hashes.map((h, i) => `${h},label ${i}`).join('\n')) });
    expect(report).toMatchObject({ imported: 5, problems: [] });
    const csv = await exportText(sets, 'pdq', 'PDQ set');
    expect(csv.split('\n')[0]).toBe('hash,quality,label');
    expect(csv).toContain(`${hashes[2]},,label 2\n`);
    const copy = await sets.importFile(operator, { format: 'pdq', name: 'PDQ copy', path: file(csv) });
    expect(copy).toMatchObject({ imported: 5, problems: [] });
    expect(await exportText(sets, 'pdq', 'PDQ copy')).toBe(csv);
  });

  it('resumes an interrupted import after its last committed batch', async () => {
    const total = IMPORT_BATCH * 2 + 17;
    const path = file(vicsDocument('Cases', [{ CaseID: 'c', Media: Array.from({ length: total }, (_, i) => mediaRecord(100_000 + i)) }]));
    sets.afterBatch = (done) => {
      if (done === IMPORT_BATCH) throw new Error('simulated crash');
    };
    await expect(sets.importFile(operator, { format: 'vics', name: 'Big', path })).rejects.toThrow('simulated crash');
    sets.afterBatch = null;
    expect((await sets.find('Big')).entryCount).toBe(IMPORT_BATCH);
    const resumed = await sets.importFile(operator, { format: 'vics', name: 'Big', path });
    expect(resumed).toMatchObject({ resumedFrom: IMPORT_BATCH, imported: total - IMPORT_BATCH, duplicates: 0, records: total, vics: { kind: 'Cases' } });
    expect(resumed.set.entryCount).toBe(total);
    const checkpoint = await database.db.selectFrom('hash_set_imports').selectAll().where('set_id', '=', resumed.set.id).executeTakeFirstOrThrow();
    expect(checkpoint).toMatchObject({ status: 'done', records_done: total, added: total });
  });

  it('keeps disabled sets without matching them, and only admins manage sets', async () => {
    const set = await sets.find('VIC set');
    await sets.setEnabled(operator, set.id, false);
    expect(await matching.match(operator, { md5: digest('md5', 'm3') })).toEqual(expect.not.arrayContaining([expect.objectContaining({ set: expect.objectContaining({ name: 'VIC set' }) })]));
    expect((await sets.find('VIC set')).entryCount).toBe(30);
    await sets.setEnabled(contextFor(user('country_admin')), set.id, true);
    const ctx = contextFor(user('investigator'));
    await expect(sets.setEnabled(ctx, set.id, false)).rejects.toThrow(/may not do this/);
    await expect(sets.importFile(ctx, { format: 'pdq', name: 'X', path: file(digest('sha256', 'z')) })).rejects.toThrow(/may not do this/);
    await expect(sets.exportSet(ctx, { format: 'pdq', set: 'VIC set' }, new PassThrough())).rejects.toThrow(/may not do this/);
  });
});
