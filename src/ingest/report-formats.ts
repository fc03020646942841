import type { ReportItem, SubmissionReport } from './report-service.js';

/**
 * A submission report as CSV (one row per file, for spreadsheets and case systems) and as one self-contained HTML
 * page (no scripts, no external resources, no images: the report carries findings, never material).
 */
export function reportToCsv(report: SubmissionReport): string {
  const byItem = new Map<number, ReportItem>(report.items.map((i) => [i.mediaId, i]));
  const rows: string[][] = [['path', 'file_status', 'sha256', 'mime', 'item_status', 'best_signal', 'best_distance', 'best_set', 'best_label', 'matched_item_sha256', 'best_series', 'best_series_status', 'best_category', 'best_baseline', 'seen_before_countries', 'error']];
  for (const f of report.files) {
    const item = f.mediaId === null ? undefined : byItem.get(f.mediaId);
    const best = item?.hits[0];
    rows.push([
      f.path,
      f.status,
      f.sha256 ?? '',
      f.mime ?? '',
      item?.status ?? '',
      best?.signal ?? '',
      best === undefined ? '' : String(best.distance),
      best?.set ?? '',
      best?.label ?? '',
      best?.item?.sha256 ?? '',
      // The matched item's series (names, '; ' between several), the most advanced victim status over them, and
      // its settled category and baseline flag: what the JSON's hit and the HTML show.
      best?.series.map((x) => x.name).join('; ') ?? '',
      best?.victimStatus ?? '',
      best?.category === null || best?.category === undefined ? '' : String(best.category),
      best?.baseline === null || best?.baseline === undefined ? '' : String(best.baseline),
      item?.seenBefore.countries.join(' ') ?? '',
      f.error ?? '',
    ]);
  }
  return rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/** One CSV field (RFC 4180 quoting), with spreadsheet formula prefixes neutralised. */
export function csvField(value: string): string {
  // A leading =, +, - or @ would run as a formula in spreadsheets: prefix it with an apostrophe.
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function reportToHtml(report: SubmissionReport): string {
  const s = report.submission;
  const t = report.totals;
  const when = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + ' UTC');
  const itemRows = report.items
    .map((i) => {
      const hits = i.hits.length === 0 ? '<td>none</td>' : `<td><ul>${i.hits.map((h) => `<li>${esc(h.signal)} d=${h.distance} ${h.set ? `set “${esc(h.set)}”${h.label ? ` (${esc(h.label)})` : ''}` : `item ${esc(h.item?.sha256.slice(0, 16) ?? '')}… ${esc(h.item?.countries.join(', ') ?? '')}`}${h.series.map((x) => ` series “${esc(x.name)}” (${esc(x.identificationStatus)})`).join('')}${h.category !== null ? ` category ${h.category}${h.baseline ? ' baseline' : ''}` : ''}</li>`).join('')}</ul></td>`;
      return `<tr class="${i.status}"><td>${i.status === 'new' ? '<strong>NEW</strong>' : 'known'}</td><td>${i.paths.map(esc).join('<br>')}</td><td><code>${esc(i.sha256)}</code></td><td>${esc(i.kind)}</td>${hits}<td>${esc(i.seenBefore.countries.join(', '))}${i.seenBefore.firstSeenAt ? `<br>${when(i.seenBefore.firstSeenAt)}` : ''}</td></tr>`;
    })
    .join('\n');
  const errorRows = report.files
    .filter((f) => f.status === 'error')
    .map((f) => `<tr><td>${esc(f.path)}</td><td>${esc(f.error ?? '')}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Ariadne submission ${s.id} report</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#111}table{border-collapse:collapse;width:100%;margin:1rem 0}
th,td{border:1px solid #bbb;padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#eee}
tr.new td:first-child{background:#fde2e2}code{font-size:12px;word-break:break-all}dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}
ul{margin:0;padding-left:1.2rem}
</style></head><body>
<h1>Submission ${s.id}: triage report</h1>
<dl><dt>Reference</dt><dd>${esc(s.reference)}</dd><dt>Device</dt><dd>${esc(s.device)}</dd><dt>Submitted by</dt><dd>${esc(s.actorName)}${s.countryCode ? ` (${esc(s.countryCode)})` : ''}</dd>
<dt>Created</dt><dd>${when(s.createdAt)}</dd><dt>Status</dt><dd>${esc(s.status)}${t.pending > 0 ? ` — ${t.pending} of ${t.files} files still being processed` : ''}</dd><dt>Generated</dt><dd>${when(report.generatedAt)}</dd></dl>
<h2>Totals</h2>
<table><tr><th>files</th><th>unique items</th><th>new</th><th>known</th><th>duplicates in this submission</th><th>archives</th><th>errors</th><th>pending</th></tr>
<tr><td>${t.files}</td><td>${t.uniqueItems}</td><td><strong>${t.new}</strong></td><td>${t.known}</td><td>${t.duplicates}</td><td>${t.containers}</td><td>${t.errors}</td><td>${t.pending}</td></tr></table>
<h2>Items (new first)</h2>
<table><tr><th>status</th><th>paths</th><th>SHA-256</th><th>kind</th><th>matches</th><th>seen before</th></tr>
${itemRows}
</table>
<h2>Errors</h2>
${errorRows ? `<table><tr><th>path</th><th>reason</th></tr>\n${errorRows}\n</table>` : '<p>none</p>'}
</body></html>
`;
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
