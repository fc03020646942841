import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { TxContext, UserActor } from '../src/auth/actor.js';
import { AccessPolicy } from '../src/auth/policy.js';
import { SearchService, type SearchQuery } from '../src/cases/search-service.js';
import { openDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';

/**
 * `npm run bench -- search [1m] [reps=20]`: fills a fresh SQLite database with N media items (default 1 M: ten
 * countries, 50 000 camera serials, one second apart), settled categories for 10 %, 10 000 series holding 1 % of
 * the items, 20 000 investigations (the user is a member of 200) with tags and 100 000 comments, then times search
 * queries through SearchService (first pages, a deep keyset page, each filter, combinations, text). Baseline in
 * the same run: a full scan of media_items (`count(*)` over a non-indexed expression).
 */

function parseSize(arg: string | undefined): number {
  const m = arg ? /^(\d+)([km]?)$/i.exec(arg) : null;
  if (!m) return 1_000_000;
  return Number(m[1]) * (m[2].toLowerCase() === 'm' ? 1e6 : m[2].toLowerCase() === 'k' ? 1e3 : 1);
}

async function fill(db: Kysely<unknown>, n: number): Promise<void> {
  const t = Date.now();
  const base = 1_700_000_000_000;
  await sql`insert into countries (code, name, created_at) values ('FR', 'France', 0)`.execute(db);
  await sql`insert into agencies (id, country_code, name, created_at) values (1, 'FR', 'OCRVP', 0)`.execute(db);
  await sql`insert into users (id, username, agency_id, country_code, role, status, password_hash, must_change_password, totp_confirmed, created_at, updated_at)
            values (1, 'bench', 1, 'FR', 'investigator', 'active', 'x', 0, 1, 0, 0)`.execute(db);
  await sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < ${n})
    insert into media_items (sha256, sha1, md5, size, mime, kind, created_at, first_seen_at, first_country, camera_make, camera_model, camera_serial, taken_at)
    select printf('%064x', i), printf('%040x', i), printf('%032x', i), 1000, 'image/jpeg', 'image', ${base} + i * 1000, ${base} + i * 1000,
           substr('FRDENLBEITESPLATSECZ', (i % 10) * 2 + 1, 2), 'Canon', 'M' || (i % 20), 'SN-' || (i % 50000), '2024-01-01T00:00:00'
    from n`.execute(db);
  await sql`insert into media_categories (media_id, category, baseline, settled_at, votes, disputed, updated_at)
    select id, (id / 10) % 6, id % 2, 0, 3, case when id % 1000 = 0 then 1 else 0 end, 0 from media_items where id % 10 = 0`.execute(db);
  await sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < 10000)
    insert into series (name, description, agency_id, country_code, identification_status, created_by, created_at, updated_at)
    select 'series ' || i, 'context ' || i, 1, 'FR', case i % 3 when 0 then 'unidentified' when 1 then 'identified' else 'safeguarded' end, 1, ${base}, ${base} + i from n`.execute(db);
  await sql`insert into series_media (series_id, media_id, added_by, added_at) select (id / 100) % 10000 + 1, id, 1, 0 from media_items where id % 100 = 0`.execute(db);
  await sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < 20000)
    insert into investigations (title, reference, agency_id, country_code, status, created_by, created_at, updated_at)
    select 'operation ' || i, 'REF-' || i, 1, 'FR', case when i % 4 = 0 then 'closed' else 'open' end, 1, ${base} + i, ${base} + i from n`.execute(db);
  await sql`insert into investigation_members (investigation_id, user_id, role, added_at) select id, 1, 'member', 0 from investigations where id % 100 = 0`.execute(db);
  await sql`insert into investigation_links (investigation_id, kind, target_id, label, created_at) select id, 'tag', null, 'tag-' || (id % 500), 0 from investigations`.execute(db);
  await sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < 100000)
    insert into comments (investigation_id, target_type, target_id, parent_id, author_id, body, created_at, updated_at)
    select (i % 20000) + 1, 'investigation', (i % 20000) + 1, null, 1, 'comment number ' || i || ' about the harbour', ${base} + i, ${base} + i from n`.execute(db);
  await sql`analyze`.execute(db);
  process.stdout.write(`filled ${n.toLocaleString('en')} media items (+ categories, series, investigations, comments) in ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
}

export async function run(args: string[]): Promise<void> {
  const n = parseSize(args.find((a) => /^\d+[km]?$/i.test(a)));
  const reps = Number(args.find((a) => a.startsWith('reps='))?.slice(5) ?? 20);
  const dir = mkdtempSync(join(tmpdir(), 'ariadne-bench-search-'));
  const database = await openDatabase({ dialect: 'sqlite', path: join(dir, 'bench.sqlite') });
  try {
    await migrateToLatest(database.db as Kysely<unknown>, 'sqlite');
    await fill(database.db as Kysely<unknown>, n);
    const policy = new AccessPolicy();
    const search = new SearchService(policy);
    const actor: UserActor = { kind: 'user', userId: 1, username: 'bench', role: 'investigator', countryCode: 'FR', agencyId: 1, certifiedUntil: Date.now() + 86_400_000, credential: { kind: 'session', sessionId: 'bench', restricted: false } };
    const query = (q: SearchQuery) => database.db.transaction().execute((tx) => search.search({ actor, country: 'FR', requestId: null, address: null, now: Date.now(), tx } satisfies TxContext, q));

    const base = 1_700_000_000_000;
    const cases: Array<[string, SearchQuery]> = [
      ['media, first page (no filter)', { kind: 'media' }],
      ['media, country=DE', { kind: 'media', country: 'DE' }],
      ['media, country=DE, deep page (before=500000)', { kind: 'media', country: 'DE', before: String(Math.floor(n / 2)) }],
      ['media, category=1', { kind: 'media', category: 1 }],
      ['media, category=1 + country=FR', { kind: 'media', category: 1, country: 'FR' }],
      ['media, cameraSerial=SN-4242', { kind: 'media', cameraSerial: 'SN-4242' }],
      ['media, one-day range', { kind: 'media', from: base + Math.floor(n / 3) * 1000, to: base + Math.floor(n / 3) * 1000 + 86_400_000 }],
      // Half-way through the day: the `next` cursor of an earlier page ("<time>.<id>"; item i was first seen at base + i s).
      ['media, one-day range, page at mid-day', { kind: 'media', from: base + Math.floor(n / 3) * 1000, to: base + Math.floor(n / 3) * 1000 + 86_400_000, before: `${base + (Math.floor(n / 3) + 43_200) * 1000}.${Math.floor(n / 3) + 43_200}` }],
      ['media, one-day range + country=DE', { kind: 'media', country: 'DE', from: base + Math.floor(n / 3) * 1000, to: base + Math.floor(n / 3) * 1000 + 86_400_000 }],
      ['media, q="series 42" (series name)', { kind: 'media', q: 'series 42' }],
      ['media, status=identified', { kind: 'media', status: 'identified' }],
      ['series, q="series 99"', { kind: 'series', q: 'series 99' }],
      ['investigations, q="tag-7" (visible only)', { kind: 'investigations', q: 'tag-7' }],
      ['comments, q="harbour" (visible only)', { kind: 'comments', q: 'harbour' }],
    ];
    const scanStart = process.hrtime.bigint();
    await sql`select count(*) from media_items where substr(sha256, 60) = 'zzzz'`.execute(database.db);
    const scanMs = Number(process.hrtime.bigint() - scanStart) / 1e6;
    process.stdout.write(`baseline: full scan of media_items ${scanMs.toFixed(1)} ms\n`);
    process.stdout.write(`${'query'.padEnd(48)} ${'hits'.padStart(5)} ${'median ms'.padStart(10)} ${'p95 ms'.padStart(8)}\n`);
    for (const [name, q] of cases) {
      const times: number[] = [];
      let hits = 0;
      for (let i = 0; i < reps; i++) {
        const start = process.hrtime.bigint();
        const r = await query({ ...q, limit: 50 });
        times.push(Number(process.hrtime.bigint() - start) / 1e6);
        hits = r.hits.length;
      }
      times.sort((a, b) => a - b);
      const median = times[Math.floor(times.length / 2)];
      const p95 = times[Math.min(times.length - 1, Math.floor(times.length * 0.95))];
      process.stdout.write(`${name.padEnd(48)} ${String(hits).padStart(5)} ${median.toFixed(2).padStart(10)} ${p95.toFixed(2).padStart(8)}\n`);
    }
  } finally {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
