import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { contextFor, systemActor } from '../src/auth/actor.js';
import { forEachConcurrent, mapConcurrent } from '../src/core/concurrency.js';
import { loadConfig } from '../src/config.js';
import { createContainer, type Container } from '../src/container.js';
import { walkPaths } from '../src/ingest/folder-walk.js';
import { localIntakeConcurrency } from '../src/ingest/submission-service.js';
import { createLogger } from '../src/logger.js';
import { queryFromSignals } from '../src/matching/file-query.js';
import { HashPool } from '../src/signals/hash-pool.js';
import { syntheticJpeg } from './hash-corpus.js';

/**
 * `npm run bench -- ingest [--count N] [--stored M] [--jobs J]`
 *
 * Generates N images (default 5000: 640x480, 1024x768 and 1600x1200 JPEGs, 20 % of them duplicates under other
 * names) and measures, in one run:
 * - baseline: the signals benchmark's end-to-end rate (every file through the hash pool: read, decode, PDQ with
 *   letterbox, digests);
 * - ingest of the folder into SQLite as `ariadne ingest` does it (the folder door: each file stored encrypted by a
 *   hash worker, deduplicated, decoded once there for PDQ, EXIF and renditions, and recorded with its audit entries in
 *   the intake's transaction; series-match and other jobs as they arise) as a ratio of the baseline (target >= 0.8),
 *   with the process's resident memory sampled through the run (target: flat);
 * - scan of the same files against M stored PDQ hashes (default 1,000,000) as a ratio of the baseline (target >= 0.9).
 */
interface Options {
  count: number;
  stored: number;
  jobs: number;
}

function parse(args: string[]): Options {
  const o: Options = { count: 5000, stored: 1_000_000, jobs: 2 * availableParallelism() + 2 };
  for (let i = 0; i < args.length; i += 2) {
    const key = args[i].replace(/^--/, '') as keyof Options;
    const value = Number(args[i + 1]);
    if (!(key in o) || !Number.isInteger(value) || value < 0) throw new Error(`bench ingest: bad argument ${args[i]} ${args[i + 1] ?? ''}`);
    o[key] = value;
  }
  return o;
}

const SIZES: Array<[number, number]> = [
  [640, 480],
  [1024, 768],
  [1600, 1200],
];

export async function run(args: string[]): Promise<void> {
  const o = parse(args);
  const dir = mkdtempSync(join(tmpdir(), 'ariadne-bench-ingest-'));
  const corpus = join(dir, 'seizure');
  try {
    const unique = Math.round(o.count * 0.8);
    process.stdout.write(`corpus: ${o.count} JPEGs (${unique} unique, ${o.count - unique} duplicates), ${cpus()[0]?.model ?? 'cpu'} x${availableParallelism()}, node ${process.version}\n`);
    const started = Date.now();
    for (let i = 0; i < unique; i++) {
      const folder = join(corpus, `dir-${i % 20}`);
      mkdirSync(folder, { recursive: true });
      const [w, h] = SIZES[i % SIZES.length];
      writeFileSync(join(folder, `img-${i}.jpg`), await syntheticJpeg(w, h, 10_000 + i));
    }
    for (let i = 0; i < o.count - unique; i++) copyFileSync(join(corpus, `dir-${i % 20}`, `img-${i}.jpg`), join(corpus, `dup-${i}.jpg`));
    const files: string[] = [];
    for await (const item of walkPaths([corpus])) if (item.ok) files.push(item.absolute);
    process.stdout.write(`generated in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);

    // Baseline: the signals benchmark's end-to-end rate through the pool.
    const pool = new HashPool({ size: availableParallelism() });
    const inFlight = availableParallelism() * 2;
    const hashRate = await rate(files.length, () => mapConcurrent(files, inFlight, (f) => pool.hashFile(f, { letterbox: true })));
    await pool.close();

    const container = await open(join(dir, 'data'), o.jobs);
    const intakeConcurrency = localIntakeConcurrency(container.config.hashThreads);
    const ctx = contextFor(systemActor('bench'));
    const rss: number[] = [];
    const sampler = setInterval(() => rss.push(process.memoryUsage().rss), 250);
    let submissionId = 0;
    const ingestRate = await rate(files.length, async () => {
      container.start();
      const submission = await container.submissions.create(ctx, { reference: 'bench' });
      submissionId = submission.id;
      // As `ariadne ingest` takes a folder in: several files at once, so that the hash workers stay busy.
      await forEachConcurrent(walkPaths([corpus]), intakeConcurrency, async (item) => {
        if (item.ok) await container.submissions.addLocalFile(ctx, submission.id, { path: item.path, mtime: Math.round(item.mtime) }, item.absolute);
      });
      await container.submissions.seal(ctx, submission.id);
      for (;;) {
        if ((await container.submissions.get(ctx, submission.id)).status === 'complete') break;
        await new Promise((r) => setTimeout(r, 100));
      }
    });
    clearInterval(sampler);
    const syncs = container.database.syncStats();
    const report = await container.reports.report(ctx, submissionId);
    await container.close();

    // Scan against many stored hashes: a hash set of random PDQ hashes, then the index built from the database.
    const scanContainer = await open(join(dir, 'data-scan'), o.jobs);
    const buildStarted = Date.now();
    await scanContainer.database.db.transaction().execute(async (tx) => {
      const now = Date.now();
      const set = await tx.insertInto('hash_sets').values({ name: 'bench', source: '', terms: '', format: 'pdq-list', enabled: 1, entry_count: o.stored, created_by: null, created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow();
      for (let i = 0; i < o.stored; i += 20_000) {
        const n = Math.min(20_000, o.stored - i);
        const bytes = randomBytes(n * 32);
        await scanContainer.signals.addEntries(tx, Array.from({ length: n }, (_, k) => ({ signal: 'pdq' as const, hash: bytes.subarray(k * 32, k * 32 + 32), setId: Number(set.id) })), now);
      }
    });
    const matching = await scanContainer.matching();
    process.stdout.write(`stored ${o.stored} PDQ hashes and built the index in ${((Date.now() - buildStarted) / 1000).toFixed(1)} s\n`);
    const scanPool = scanContainer.hashPool();
    let matched = 0;
    const scanRate = await rate(files.length, () =>
      mapConcurrent(files, inFlight, async (f) => {
        const { query } = queryFromSignals(await scanPool.hashFile(f, { dihedral: true }));
        matched += (await matching.match(ctx, query)).length > 0 ? 1 : 0;
      }),
    );
    await scanContainer.close();

    const mib = (b: number) => (b / 1048576).toFixed(0);
    const q = (p: number) => rss[Math.min(rss.length - 1, Math.floor(p * (rss.length - 1)))] ?? 0;
    process.stdout.write(
      [
        '',
        '| measure | files/s | ratio to baseline | target |',
        '|---|---|---|---|',
        `| baseline: hash pool end to end (letterbox) | ${hashRate.toFixed(1)} | 1.00 | |`,
        `| ingest into SQLite (folder door, ${intakeConcurrency} files at once; jobs ${o.jobs} at once) | ${ingestRate.toFixed(1)} | ${(ingestRate / hashRate).toFixed(2)} | >= 0.80 |`,
        `| scan against ${o.stored} stored hashes (dihedral) | ${scanRate.toFixed(1)} | ${(scanRate / hashRate).toFixed(2)} | >= 0.90 |`,
        '',
        `ingest report: ${report.totals.files} files, ${report.totals.uniqueItems} unique items, ${report.totals.duplicates} duplicates, ${report.totals.errors} errors`,
        `durable commits: ${syncs ? `${syncs.waits} writes waited for ${syncs.syncs} log fsyncs (shared, off the event loop)` : 'PostgreSQL'}`,
        `resident memory during ingest (MiB) at 10/25/50/75/100 % of the run: ${[0.1, 0.25, 0.5, 0.75, 1].map((p) => mib(q(p))).join(' / ')}`,
        `scan: ${matched} files matched something (random stored hashes: expect 0)`,
        '',
      ].join('\n'),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function open(dataDir: string, jobs: number): Promise<Container> {
  const config = loadConfig({ env: { ARIADNE_DATA_DIR: dataDir, ARIADNE_JOB_CONCURRENCY: String(jobs), ARIADNE_LOG_LEVEL: 'error' }, cpuCount: availableParallelism() });
  return createContainer(config, { role: 'worker', logger: createLogger('error') });
}

async function rate(count: number, fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return count / (Number(process.hrtime.bigint() - start) / 1e9);
}
