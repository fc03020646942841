import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { SystemActor, TxContext, UserActor } from '../src/auth/actor.js';
import { AccessPolicy } from '../src/auth/policy.js';
import { openDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { StatisticsService, type StatisticsQuery } from '../src/statistics/statistics-service.js';

/**
 * `npm run bench -- stats [1m] [reps=5]`: fills a fresh SQLite database with N submission files (default 1 M) in
 * submissions of 100 files from ten countries over 24 months; N/2 media items, each submitted twice by different
 * countries (so half the files are cross-country exact matches), 1 % of items in 1 000 series with sightings from
 * other countries, 10 000 people and 2 000 published notices; then times StatisticsService.compute (every figure, per
 * country and month) for all countries over 12 and 24 months and for one country. Baseline in the same run: one
 * full scan of submission_files (`count(*)` over a non-indexed expression).
 */

function parseSize(arg: string | undefined): number {
  const m = arg ? /^(\d+)([km]?)$/i.exec(arg) : null;
  if (!m) return 1_000_000;
  return Number(m[1]) * (m[2].toLowerCase() === 'm' ? 1e6 : m[2].toLowerCase() === 'k' ? 1e3 : 1);
}

const COUNTRIES = 'FRDENLBEITESPLATSECZ';
const BASE = Date.UTC(2024, 0, 1);
const SPAN = 730 * 86_400_000;

async function fill(db: Kysely<unknown>, n: number): Promise<void> {
  const t = Date.now();
  const items = Math.floor(n / 2);
  const subs = Math.ceil(n / 100);
  await sql`insert into countries (code, name, created_at) values ('FR', 'France', 0)`.execute(db);
  await sql`insert into agencies (id, country_code, name, created_at) values (1, 'FR', 'OCRVP', 0)`.execute(db);
  await sql`insert into users (id, username, agency_id, country_code, role, status, password_hash, must_change_password, totp_confirmed, created_at, updated_at)
            values (1, 'bench', 1, 'FR', 'investigator', 'active', 'x', 0, 1, 0, 0)`.execute(db);
  // Submission s comes from country s % 10 at a time spread over two years.
  await sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < ${subs})
    insert into submissions (id, user_id, agency_id, country_code, actor_name, reference, device, notes, status, created_at, sealed_at, completed_at)
    select i, 1, 1, substr(${COUNTRIES}, (i % 10) * 2 + 1, 2), 'bench', '', '', '', 'complete', ${BASE} + (i * ${Math.floor(SPAN / subs)}), null, null from n`.execute(db);
  await sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < ${items})
    insert into media_items (id, sha256, sha1, md5, size, mime, kind, created_at, first_seen_at, first_country)
    select i, printf('%064x', i), printf('%040x', i), printf('%032x', i), 1, 'image/jpeg', 'image', 0, ${BASE} + ((i * 2 / 100) * ${Math.floor(SPAN / subs)}),
           substr(${COUNTRIES}, (((i * 2) / 100 + 1) % 10) * 2 + 1, 2) from n`.execute(db);
  // File f (1..N) in submission f/100 + 1; item (f + 1) / 2 for the first half of the files, then again shifted by
  // 5 000 submissions for the second half (another country, later).
  await sql`with recursive n(i) as (select 0 union all select i + 1 from n where i < ${n - 1})
    insert into submission_files (submission_id, path, parent_file_id, depth, size, mtime, blob_sha256, md5, sha1, mime, status, error, media_id, created_at, processed_at)
    select i / 100 + 1, 'f' || i, null, 0, 1, null, null, null, null, 'image/jpeg', 'done', null,
           case when i < ${items} then i + 1 else ((i - ${items} + 5050) % ${items}) + 1 end,
           ${BASE} + ((i / 100 + 1) * ${Math.floor(SPAN / subs)}), null from n`.execute(db);
  await sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < 1000)
    insert into series (id, name, description, agency_id, country_code, identification_status, created_by, created_at, updated_at)
    select i, 's' || i, '', 1, substr(${COUNTRIES}, (i % 10) * 2 + 1, 2), 'unidentified', 1, ${BASE} + i * 60000000, 0 from n`.execute(db);
  await sql`insert into series_media (series_id, media_id, added_by, added_at) select id % 1000 + 1, id, 1, 0 from media_items where id % 100 = 0`.execute(db);
  await sql`insert into series_sightings (series_id, submission_id, country_code, media_id, at)
    select f.media_id % 1000 + 1, f.submission_id, s.country_code, f.media_id, f.created_at from submission_files f join submissions s on s.id = f.submission_id where f.media_id % 100 = 0
    on conflict do nothing`.execute(db);
  await sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < 10000)
    insert into people (kind, label, agency_id, country_code, age_min, age_max, sex, descriptors, notes, identified, status, created_by, created_at, updated_at, identified_at, safeguarded_at)
    select case when i % 4 = 0 then 'offender' else 'victim' end, 'p', 1, substr(${COUNTRIES}, (i % 10) * 2 + 1, 2), null, null, 'unknown', '', '', i % 2, case when i % 2 = 1 then 'identified' else 'unidentified' end, 1, 0, 0,
           case when i % 2 = 1 then ${BASE} + i * 6000000 else null end, null from n`.execute(db);
  await sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < 2000)
    insert into notices (kind, reference, status, country_code, agency_id, contact_agency_id, subject_name, subject_status, body, version, submission_id, created_by, requested_by, requested_at, reviewed_by, published_at, return_reasons, cancel_reason, cancel_requested_by, cancelled_at, created_at, updated_at)
    select case when i % 2 = 0 then 'green' else 'yellow' end, 'N-' || i, 'published', substr(${COUNTRIES}, (i % 10) * 2 + 1, 2), 1, 1, 'X', null, '{}', 1, null, 1, null, null, null, ${BASE} + i * 30000000, null, null, null, null, 0, 0 from n`.execute(db);
  await sql`analyze`.execute(db);
  process.stdout.write(`filled ${n.toLocaleString('en')} submission files (${subs.toLocaleString('en')} submissions, ${items.toLocaleString('en')} items, series, sightings, people, notices) in ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
}

export async function run(args: string[]): Promise<void> {
  const n = parseSize(args.find((a) => /^\d+[km]?$/i.test(a)));
  const reps = Number(args.find((a) => a.startsWith('reps='))?.slice(5) ?? 5);
  const dir = mkdtempSync(join(tmpdir(), 'ariadne-bench-stats-'));
  const database = await openDatabase({ dialect: 'sqlite', path: join(dir, 'bench.sqlite') });
  try {
    await migrateToLatest(database.db as Kysely<unknown>, 'sqlite');
    await fill(database.db as Kysely<unknown>, n);
    const stats = new StatisticsService(new AccessPolicy(), 'sqlite');
    const operator: SystemActor = { kind: 'system', name: 'bench' };
    const admin: UserActor = { kind: 'user', userId: 1, username: 'bench', role: 'country_admin', countryCode: 'DE', agencyId: 1, certifiedUntil: null, credential: { kind: 'session', sessionId: 'bench', restricted: false } };
    const compute = (actor: SystemActor | UserActor, q: StatisticsQuery) =>
      database.db.transaction().execute((tx) => stats.compute({ actor, country: null, requestId: null, address: null, now: BASE + SPAN, tx } satisfies TxContext, q));

    const scanStart = process.hrtime.bigint();
    await sql`select count(*) from submission_files where substr(path, 3) = 'zzzz'`.execute(database.db);
    const scanMs = Number(process.hrtime.bigint() - scanStart) / 1e6;
    process.stdout.write(`baseline: full scan of submission_files ${scanMs.toFixed(1)} ms\n`);
    const cases: Array<[string, SystemActor | UserActor, StatisticsQuery]> = [
      ['all countries, 12 months', operator, { from: '2025-01', to: '2025-12' }],
      ['all countries, 24 months', operator, { from: '2024-01', to: '2025-12' }],
      ['one country (country admin), 12 months', admin, { from: '2025-01', to: '2025-12' }],
      ['all countries, one month', operator, { from: '2025-06', to: '2025-06' }],
    ];
    process.stdout.write(`${'query'.padEnd(42)} ${'rows'.padStart(5)} ${'median ms'.padStart(10)} ${'x scan'.padStart(8)}\n`);
    for (const [name, actor, q] of cases) {
      const times: number[] = [];
      let rows = 0;
      for (let i = 0; i < reps; i++) {
        const start = process.hrtime.bigint();
        const r = await compute(actor, q);
        times.push(Number(process.hrtime.bigint() - start) / 1e6);
        rows = r.rows.length;
      }
      times.sort((a, b) => a - b);
      const median = times[Math.floor(times.length / 2)];
      process.stdout.write(`${name.padEnd(42)} ${String(rows).padStart(5)} ${median.toFixed(1).padStart(10)} ${(median / scanMs).toFixed(2).padStart(8)}\n`);
    }
  } finally {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
