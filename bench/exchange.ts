import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { finished } from 'node:stream/promises';
import type { Kysely } from 'kysely';
import { contextFor, systemActor } from '../src/auth/actor.js';
import { AccessPolicy } from '../src/auth/policy.js';
import { AuditLog } from '../src/audit/audit-log.js';
import { openDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { HashSetService } from '../src/hashsets/hash-set-service.js';
import { SignalStore } from '../src/matching/signal-store.js';

/**
 * `npm run bench -- exchange [--entries N] [--dir PATH]`: generates a VICS 2.0 `#Media` file of N entries (default
 * 1,000,000; MD5, SHA-1, category, flags, series, one MediaFiles entry each), imports it into a fresh SQLite
 * database through HashSetService (both passes: checked whole, then imported in audited batches), then exports the
 * set as VICS 2.0. Prints entries/s for each and the peak resident memory during the import, beside a baseline
 * measured in the same run: reading the same file and hashing it (SHA-256), the floor for any import.
 * Targets: import >= 50,000 entries/s with peak RSS < 300 MB; export >= 100,000 entries/s. The CPU time of each
 * phase (user + system) is printed too: on a shared machine it compares variants better than wall-clock rates.
 */
export async function run(args: string[]): Promise<void> {
  const entries = numberArg(args, '--entries', 1_000_000);
  const dir = await mkdtemp(join(stringArg(args, '--dir') ?? tmpdir(), 'ariadne-bench-exchange-'));
  try {
    const file = join(dir, 'media.json');
    // In a child process: what generating leaves in the heap is no part of the import's memory.
    const generated = spawnSync(process.execPath, [fileURLToPath(new URL('./exchange-generate.js', import.meta.url)), file, String(entries)], { stdio: 'inherit' });
    if (generated.status !== 0) throw new Error(`generating the VICS file failed (${generated.status ?? generated.signal})`);
    const size = (await stat(file)).size;
    process.stdout.write(`generated ${entries} entries, ${(size / 1048576).toFixed(1)} MiB\n`);

    let t = performance.now();
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
    hash.digest();
    const readS = (performance.now() - t) / 1000;

    const database = await openDatabase({ dialect: 'sqlite', path: join(dir, 'db.sqlite') });
    await migrateToLatest(database.db as Kysely<unknown>, 'sqlite');
    const sets = new HashSetService(database.db, new SignalStore(database.db, 'sqlite'), new AuditLog({ db: database.db }), new AccessPolicy());
    const ctx = contextFor(systemActor('bench'));
    global.gc?.();
    const baseRss = process.memoryUsage().rss;
    let peak = baseRss;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    t = performance.now();
    let cpu = process.cpuUsage();
    const report = await sets.importFile(ctx, { format: 'vics', name: 'Bench set', path: file });
    const importS = (performance.now() - t) / 1000;
    const importCpu = process.cpuUsage(cpu);
    clearInterval(sampler);
    // The kernel's high-water mark for the process catches a peak between two samples.
    peak = Math.max(peak, process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024);
    if (report.imported !== entries) throw new Error(`imported ${report.imported} of ${entries}`);

    t = performance.now();
    cpu = process.cpuUsage();
    const out = createWriteStream(join(dir, 'export.json'));
    const exported = await sets.exportSet(ctx, { format: 'vics', set: 'Bench set' }, out);
    out.end();
    await finished(out);
    const exportS = (performance.now() - t) / 1000;
    const exportCpu = process.cpuUsage(cpu);
    await database.close();

    const rate = (n: number, s: number) => `${Math.round(n / s).toLocaleString('en')} entries/s`;
    process.stdout.write(`baseline: read + SHA-256 of the file   ${readS.toFixed(2)} s (${rate(entries, readS)}, ${(size / 1048576 / readS).toFixed(0)} MiB/s)\n`);
    process.stdout.write(`import VICS #Media into SQLite       ${importS.toFixed(2)} s (${rate(entries, importS)}; target >= 50,000) ${(importS / readS).toFixed(1)}x baseline\n`);
    process.stdout.write(`  CPU during import                  ${cpuText(importCpu, entries)}\n`);
    process.stdout.write(`peak RSS during import               ${(peak / 1048576).toFixed(0)} MB (at start ${(baseRss / 1048576).toFixed(0)} MB; target < 300 MB)\n`);
    process.stdout.write(`export VICS 2.0                      ${exportS.toFixed(2)} s (${rate(exported.entries, exportS)}; target >= 100,000)\n`);
    process.stdout.write(`  CPU during export                  ${cpuText(exportCpu, exported.entries)}\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** CPU time of this process (user + system) and per entry: steadier than wall-clock time on a busy machine. */
function cpuText(cpu: NodeJS.CpuUsage, entries: number): string {
  const s = (cpu.user + cpu.system) / 1e6;
  return `${s.toFixed(2)} s (user ${(cpu.user / 1e6).toFixed(2)}, system ${(cpu.system / 1e6).toFixed(2)}; ${((cpu.user + cpu.system) / entries).toFixed(1)} µs per entry)`;
}

function numberArg(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const value = Number(args[i + 1]);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} needs a positive whole number`);
  return value;
}

function stringArg(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
}
