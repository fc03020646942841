import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { contextFor } from '../../auth/actor.js';
import { openForCli, operatorActor } from '../../auth/operator.js';
import { walkPaths } from '../../ingest/folder-walk.js';
import { queryFromSignals } from '../../matching/file-query.js';
import { isKnownHit } from '../../matching/known.js';
import type { MatchHit } from '../../matching/match-service.js';
import { Progress } from '../progress.js';

export interface ScanResult {
  readonly path: string;
  readonly sha256: string | null;
  readonly status: 'known' | 'new' | 'error';
  readonly matches: ReadonlyArray<Pick<MatchHit, 'signal' | 'distance' | 'hash' | 'queryVariant' | 'source' | 'set' | 'label' | 'item'>>;
  readonly notes?: readonly string[];
  readonly error?: string;
}

/**
 * `ariadne scan PATH...`: hashes files and compares them with everything stored, storing nothing. One result per
 * file, as JSON lines (default), CSV or a self-contained HTML page. Exit code 0 when every file was read.
 */
export function registerScanCommand(program: Command): void {
  program
    .command('scan')
    .description('compare files with the database without storing anything')
    .argument('<paths...>', 'files or folders')
    .option('--json', 'one JSON line per file on standard output (the default)')
    .option('--csv <file>', 'write the results as CSV to a file')
    .option('--html <file>', 'write the results as an HTML page to a file')
    .option('--radius <n>', 'PDQ distance threshold (0-64)', (v) => Number.parseInt(v, 10))
    .action(async (paths: string[], o: { json?: boolean; csv?: string; html?: string; radius?: number }) => {
      const container = await openForCli();
      const results: ScanResult[] = [];
      let errors = 0;
      try {
        const matching = await container.matching();
        const pool = container.hashPool();
        const ctx = contextFor(operatorActor());
        const files: Array<{ path: string; absolute?: string; reason?: string }> = [];
        for await (const item of walkPaths(paths)) files.push(item.ok ? { path: item.path, absolute: item.absolute } : { path: item.path, reason: item.reason });
        const progress = new Progress('scan');
        const emit = (r: ScanResult) => {
          if (r.status === 'error') errors++;
          if (o.csv || o.html) results.push(r);
          else process.stdout.write(`${JSON.stringify(r)}\n`);
        };
        // Hash a window of files at a time so every pool thread stays busy; results are written in input order.
        const window = pool.size * 2;
        for (let i = 0; i < files.length; i += window) {
          const slice = files.slice(i, i + window);
          const done = await Promise.all(
            slice.map(async (f): Promise<ScanResult> => {
              if (!f.absolute) return { path: f.path, sha256: null, status: 'error', matches: [], error: f.reason };
              try {
                const signals = await pool.hashFile(f.absolute, { dihedral: true });
                const { query, notes } = queryFromSignals(signals);
                const hits = await matching.match(ctx, { ...query, radius: o.radius });
                return {
                  path: f.path,
                  sha256: signals.sha256,
                  status: hits.some(isKnownHit) ? 'known' : 'new',
                  matches: hits.map((h) => ({ signal: h.signal, distance: h.distance, hash: h.hash, queryVariant: h.queryVariant, source: h.source, set: h.set, label: h.label, item: h.item })),
                  ...(notes.length > 0 ? { notes } : {}),
                };
              } catch (error) {
                return { path: f.path, sha256: null, status: 'error', matches: [], error: (error as Error).message };
              }
            }),
          );
          done.forEach(emit);
          progress.update(Math.min(files.length, i + window), files.length);
        }
        progress.finish(`scanned ${files.length} files: ${files.length - errors} read, ${errors} errors`);
        if (o.csv) await writeFile(o.csv, scanToCsv(results));
        if (o.html) await writeFile(o.html, scanToHtml(results));
      } finally {
        await container.close();
      }
      if (errors > 0) process.exitCode = 65;
    });
}

export function scanToCsv(results: readonly ScanResult[]): string {
  const field = (v: string) => {
    const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
    return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  const rows = [['path', 'sha256', 'status', 'matches', 'best_distance', 'best_set', 'best_label', 'best_item_sha256', 'error']];
  for (const r of results) {
    const best = r.matches[0];
    rows.push([r.path, r.sha256 ?? '', r.status, String(r.matches.length), best ? String(best.distance) : '', best?.set?.name ?? '', best?.label ?? '', best?.item?.sha256 ?? '', r.error ?? '']);
  }
  return rows.map((row) => row.map(field).join(',')).join('\r\n') + '\r\n';
}

export function scanToHtml(results: readonly ScanResult[]): string {
  const esc = (t: string) => t.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
  const counts = { known: 0, new: 0, error: 0 };
  for (const r of results) counts[r.status]++;
  const rows = results
    .map((r) => `<tr class="${r.status}"><td>${esc(r.status)}</td><td>${esc(r.path)}</td><td><code>${esc(r.sha256 ?? '')}</code></td><td>${r.matches.map((m) => `${esc(m.signal)} d=${m.distance} ${m.set ? esc(m.set.name) : esc(m.item?.sha256.slice(0, 16) ?? '')}${m.label ? ` (${esc(m.label)})` : ''}`).join('<br>')}</td><td>${esc(r.error ?? '')}</td></tr>`)
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"><title>Ariadne scan</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem}table{border-collapse:collapse;width:100%}td,th{border:1px solid #bbb;padding:.3rem;text-align:left;vertical-align:top}tr.new td:first-child{background:#fde2e2}code{word-break:break-all;font-size:12px}</style></head>
<body><h1>Scan: ${results.length} files</h1><p>${counts.new} new, ${counts.known} known, ${counts.error} errors. Nothing was stored.</p>
<table><tr><th>status</th><th>path</th><th>SHA-256</th><th>matches</th><th>error</th></tr>
${rows}
</table></body></html>
`;
}
