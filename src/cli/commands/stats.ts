import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { runAsOperator } from '../../auth/operator.js';
import { METRICS, StatisticsService, type Statistics } from '../../statistics/statistics-service.js';
import { ApiClient } from '../api-client.js';


/**
 * `ariadne stats [--from YYYY-MM] [--to YYYY-MM] [--country CC] [--csv] [--out FILE]`: figures per country and month.
 * Without --server it reads this installation's database as the operator; with --server (or ARIADNE_SERVER) it asks
 * the API under your token (global admins and auditors: every country; a country admin: its own).
 */
export function registerStatsCommand(program: Command): void {
  program
    .command('stats')
    .description('statistics per country and month (items, submissions, series, victims, offenders, cross-country matches, notices, operations)')
    .option('--from <month>', 'first month, YYYY-MM (default: 11 months before --to)')
    .option('--to <month>', 'last month, YYYY-MM (default: this month)')
    .option('--country <CC>', 'one country')
    .option('--csv', 'CSV (RFC 4180) instead of a table')
    .option('--json', 'JSON')
    .option('--out <file>', 'write to a file instead of standard output')
    .option('--server <url>', 'ask this Ariadne server (else ARIADNE_SERVER; without either: this installation as the operator)')
    .option('--token-file <file>', 'file holding your API token (else ARIADNE_TOKEN_FILE or ARIADNE_TOKEN)')
    .action(async (o: { from?: string; to?: string; country?: string; csv?: boolean; json?: boolean; out?: string; server?: string; tokenFile?: string }) => {
      const query = { from: o.from, to: o.to, country: o.country };
      let text: string;
      if (ApiClient.configured(o)) {
        const client = new ApiClient(o);
        text = o.csv ? await client.text('/api/stats', { ...query, format: 'csv' }) : render(await client.get<Statistics>('/api/stats', query), o.json);
      } else {
        const stats = await runAsOperator((ctx, c) => c.statistics.compute(ctx, query));
        text = o.csv ? StatisticsService.toCsv(stats) : render(stats, o.json);
      }
      if (o.out) writeFileSync(o.out, text);
      else process.stdout.write(text);
    });
}

function render(stats: Statistics, json: boolean | undefined): string {
  if (json) return `${JSON.stringify(stats, null, 2)}\n`;
  const header = ['country', 'month', ...METRICS];
  const rows = stats.rows.map((r) => [r.country, r.month, ...METRICS.map((m) => String(r[m]))]);
  rows.push(['total', `${stats.from}..${stats.to}`, ...METRICS.map((m) => String(stats.totals[m]))]);
  return `${[header, ...rows].map((r) => r.join('\t')).join('\n')}\n`;
}


