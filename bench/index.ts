import { cpus, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';

import { LinearIndex } from '../src/index/linear-index.js';
import { Matches } from '../src/index/matches.js';
import { MultiIndexHashIndex } from '../src/index/multi-index-hash-index.js';
import { makeHashes, makeQueries } from './index-data.js';

/**
 * `npm run bench -- index [1m] [10m] [100m] [radius=31] [workers=2]`: builds a MultiIndexHashIndex and a LinearIndex
 * over the same hashes (about 20 % near-duplicate clusters), times radius queries (half near-duplicates of stored
 * entries, half random) on both in the same run, checks that both return the same results, and measures
 * throughput with worker threads sharing the index through SharedArrayBuffer. Default sizes: 1M and 10M.
 */

const MIB = 1024 * 1024;

function parseSize(arg: string): number | null {
  const m = /^(\d+)([km]?)$/i.exec(arg);
  if (!m) return null;
  return Number(m[1]) * (m[2].toLowerCase() === 'm' ? 1e6 : m[2].toLowerCase() === 'k' ? 1e3 : 1);
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Times `run(q)` for each query; `after(q)`, when given, runs untimed after each. */
function timeQueries(run: (q: number) => void, count: number, after?: (q: number) => void): { median: number; p99: number; mean: number } {
  const times = new Float64Array(count);
  for (let q = 0; q < count; q++) {
    const start = process.hrtime.bigint();
    run(q);
    times[q] = Number(process.hrtime.bigint() - start) / 1e6;
    after?.(q);
  }
  const mean = times.reduce((a, b) => a + b, 0) / count;
  times.sort();
  return { median: quantile(times, 0.5), p99: quantile(times, 0.99), mean };
}

async function workerThroughput(index: MultiIndexHashIndex, queries: Uint8Array, radius: number, workers: number, seconds: number): Promise<number> {
  const state = index.exportShared();
  const count = queries.length / 32;
  const threads = await Promise.all(
    Array.from({ length: workers }, async () => {
      const worker = new Worker(new URL('./index-worker.js', import.meta.url), { workerData: { state, queries, radius } });
      await new Promise<void>((resolve, reject) => {
        worker.once('message', () => resolve());
        worker.once('error', reject);
      });
      return worker;
    }),
  );
  let failure: unknown = null;
  for (const worker of threads) worker.on('error', (error) => (failure = error));
  const ask = (worker: Worker, from: number, to: number, rounds: number) =>
    new Promise<number>((resolve, reject) => {
      if (failure) reject(failure);
      worker.once('message', (m: { found: number }) => resolve(m.found));
      worker.postMessage({ from, to, rounds });
    });
  const share = Math.floor(count / workers);
  // Warm up, then run rounds until the time budget is spent.
  await Promise.all(threads.map((w, i) => ask(w, i * share, (i + 1) * share, 1)));
  let rounds = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < seconds) {
    await Promise.all(threads.map((w, i) => ask(w, i * share, (i + 1) * share, 1)));
    rounds++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  await Promise.all(threads.map((w) => w.terminate()));
  return (rounds * share * workers) / elapsed;
}

function sameResults(a: Matches, b: Matches): boolean {
  if (a.count !== b.count) return false;
  const key = (m: Matches) => Array.from({ length: m.count }, (_, i) => `${m.ids[i]}:${m.distances[i]}`).sort().join();
  return key(a) === key(b);
}

async function benchSize(n: number, radius: number, workers: number): Promise<Record<string, string>> {
  const packed = makeHashes(n, 12345);
  const ids = new Uint32Array(n);
  for (let i = 0; i < n; i++) ids[i] = i + 1;
  const queryCount = 2000;
  const queries = makeQueries(packed, queryCount, 999);
  // About 10 s of linear scans at most (the linear scan runs at roughly 20 ns per entry here).
  const linearCount = Math.max(20, Math.min(400, Math.floor(5e8 / n)));

  (globalThis as { gc?: () => void }).gc?.();
  const rssBefore = process.memoryUsage().rss;
  let start = process.hrtime.bigint();
  const mih = new MultiIndexHashIndex({ shared: true });
  mih.build(ids, packed);
  const buildMs = Number(process.hrtime.bigint() - start) / 1e6;
  (globalThis as { gc?: () => void }).gc?.();
  const rssDelta = process.memoryUsage().rss - rssBefore;

  start = process.hrtime.bigint();
  const linear = new LinearIndex();
  linear.build(ids, packed);
  const linearBuildMs = Number(process.hrtime.bigint() - start) / 1e6;

  const out = new Matches();
  // Warm-up (JIT), then timed runs.
  for (let q = 0; q < 200; q++) mih.radius(queries, radius, out, (q % queryCount) * 32);
  let found = 0;
  const mihTimes = timeQueries((q) => {
    found += mih.radius(queries, radius, out, q * 32).count;
  }, queryCount);
  const linOut = new Matches();
  linear.radius(queries, radius, linOut, 0);
  // The linear scans double as the check: each one's results are compared with the multi-index answer.
  let identical = 0;
  const checks = linearCount;
  const linearTimes = timeQueries(
    (q) => linear.radius(queries, radius, linOut, q * 32),
    linearCount,
    (q) => {
      if (sameResults(mih.radius(queries, radius, out, q * 32), linOut)) identical++;
    },
  );
  const qps = await workerThroughput(mih, queries, radius, workers, n >= 1e7 ? 4 : 2);

  return {
    N: n >= 1e6 ? `${n / 1e6}M` : String(n),
    'build s': (buildMs / 1000).toFixed(1),
    'index MiB': (mih.memoryBytes() / MIB).toFixed(0),
    'B/entry': (mih.memoryBytes() / n).toFixed(1),
    'RSS Δ MiB': (rssDelta / MIB).toFixed(0),
    [`MIH r${radius} med ms`]: mihTimes.median.toFixed(3),
    'MIH p99 ms': mihTimes.p99.toFixed(3),
    'linear med ms': linearTimes.median.toFixed(2),
    'linear p99 ms': linearTimes.p99.toFixed(2),
    'speedup (median)': `${(linearTimes.median / mihTimes.median).toFixed(0)}x`,
    'identical': `${identical}/${checks}`,
    'hits/query': (found / queryCount).toFixed(2),
    [`${workers} workers q/s`]: qps.toFixed(0),
    '1 thread q/s': (1000 / mihTimes.mean).toFixed(0),
    'linear build s': (linearBuildMs / 1000).toFixed(1),
  };
}

function printTable(rows: Array<Record<string, string>>): void {
  const columns = Object.keys(rows[0]);
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padStart(widths[i])).join(' | ')} |`;
  process.stdout.write(`${line(columns)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n`);
  for (const row of rows) process.stdout.write(`${line(columns.map((c) => row[c]))}\n`);
}

export async function run(args: string[]): Promise<void> {
  const sizes = args.map(parseSize).filter((n): n is number => n !== null);
  const radiusArg = args.find((a) => a.startsWith('radius='));
  const workersArg = args.find((a) => a.startsWith('workers='));
  const radius = radiusArg ? Number(radiusArg.slice(7)) : 31;
  const workers = workersArg ? Number(workersArg.slice(8)) : 2;
  const selected = sizes.length > 0 ? sizes : [1e6, 1e7];
  process.stdout.write(
    `radius ${radius}; 2000 MIH queries and up to 400 linear queries per size; ${workers} workers; ${cpus().length} CPUs, load average ${loadavg()[0].toFixed(1)}\n`,
  );
  const rows: Array<Record<string, string>> = [];
  for (const n of selected) {
    rows.push(await benchSize(n, radius, workers));
    process.stdout.write(`${JSON.stringify(rows[rows.length - 1])}\n`);
  }
  printTable(rows);
}
