import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError, query } from '../api';
import { BarChart, ColumnChart, Ring } from '../components/charts';
import { ErrorNote, Loading, Page, Stat } from '../components/ui';
import { useData } from '../hooks';

interface Stats {
  from: number | null;
  to: number | null;
  country: string | null;
  actions: Record<string, number>;
  users: Array<{ country: string; role: string; status: string; certified: number; total: number }>;
}

const PERIODS = [7, 30, 365] as const;

const WORK_METRICS = ['submissions', 'items', 'newItems', 'crossCountryMatches', 'victimsIdentified', 'victimsSafeguarded', 'offendersIdentified', 'noticesYellow', 'noticesGreen', 'operations'] as const;
type WorkMetric = (typeof WORK_METRICS)[number];

interface Work {
  from: string;
  to: string;
  country: string | null;
  rows: Array<{ country: string; month: string } & Record<WorkMetric, number>>;
  totals: Record<WorkMetric, number>;
}

/** The work done per country and month (/api/stats); absent on servers without it. */
function WorkStatistics() {
  const { t } = useTranslation();
  const { data } = useData(
    () => api.get<Work>('/api/stats').catch((e: unknown) => (e instanceof ApiError && e.status === 404 ? null : Promise.reject(e))),
    [],
  );
  if (!data) return null;
  const months = new Map<string, number>();
  const countries = new Map<string, number>();
  for (const r of data.rows) {
    months.set(r.month, (months.get(r.month) ?? 0) + r.items);
    countries.set(r.country, (countries.get(r.country) ?? 0) + r.newItems);
  }
  return (
    <section aria-labelledby="h-work">
      <h2 id="h-work">
        {t('stats.work', { from: data.from, to: data.to })}{' '}
        <a className="button small secondary" href="/api/stats?format=csv">
          CSV
        </a>
      </h2>
      <div className="stats">
        {WORK_METRICS.map((m) => (
          <Stat key={m} label={t(`stats.metric.${m}`)} value={data.totals[m] ?? 0} />
        ))}
      </div>
      <div className="columns">
        <section className="card">
          <ColumnChart title={t('stats.itemsPerMonth')} data={[...months.entries()].sort().map(([label, value]) => ({ label, value }))} />
        </section>
        <section className="card">
          <BarChart title={t('stats.newByCountry')} data={[...countries.entries()].map(([label, value]) => ({ label, value }))} />
        </section>
      </div>
    </section>
  );
}

/** Activity and accounts over a period, drawn as plain SVG charts from /api/audit/stats. */
export function StatisticsPage() {
  const { t } = useTranslation();
  const [days, setDays] = useState<(typeof PERIODS)[number]>(30);
  const { data, error } = useData(() => api.get<Stats>(`/api/audit/stats${query({ from: Date.now() - days * 86_400_000 })}`), [days]);
  if (!data) return error ? <ErrorNote error={error} /> : <Loading />;
  const actions = Object.entries(data.actions)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 15)
    .map(([label, value]) => ({ label, value }));
  const byCountry = new Map<string, { total: number; certified: number }>();
  for (const u of data.users) {
    const c = byCountry.get(u.country) ?? { total: 0, certified: 0 };
    c.total += u.total;
    c.certified += u.certified;
    byCountry.set(u.country, c);
  }
  const byRole = new Map<string, number>();
  for (const u of data.users) byRole.set(u.role, (byRole.get(u.role) ?? 0) + u.total);
  const total = [...byCountry.values()].reduce((s, c) => s + c.total, 0);
  const certified = [...byCountry.values()].reduce((s, c) => s + c.certified, 0);
  const count = (prefix: string) => Object.entries(data.actions).reduce((s, [a, n]) => (a.startsWith(prefix) ? s + n : s), 0);
  return (
    <Page
      title={t('nav.statistics')}
      actions={
        <label>
          {t('stats.period')}{' '}
          <select value={days} onChange={(e) => setDays(Number(e.target.value) as (typeof PERIODS)[number])}>
            {PERIODS.map((d) => (
              <option key={d} value={d}>
                {t('stats.lastDays', { count: d })}
              </option>
            ))}
          </select>
        </label>
      }
    >
      {data.country ? <p className="muted">{t('stats.scope', { country: data.country })}</p> : null}
      <div className="stats">
        <Stat label={t('stats.ingested')} value={count('media.ingest')} />
        <Stat label={t('stats.views')} value={count('media.view')} />
        <Stat label={t('stats.signIns')} value={data.actions['auth.login'] ?? 0} />
        <Stat label={t('stats.users')} value={total} />
        <div className="stat">
          <Ring part={certified} whole={total} label={t('stats.certified')} />
          <span className="stat-label">{t('stats.certified')}</span>
        </div>
      </div>
      <WorkStatistics />
      <h2>{t('stats.activity')}</h2>
      <div className="columns">
        <section className="card">
          <BarChart title={t('stats.topActions')} data={actions} />
        </section>
        <section className="card">
          <BarChart title={t('stats.usersByCountry')} data={[...byCountry.entries()].map(([label, c]) => ({ label, value: c.total }))} />
          <BarChart title={t('stats.usersByRole')} data={[...byRole.entries()].map(([label, value]) => ({ label: t(`roles.${label}`), value }))} />
        </section>
      </div>
    </Page>
  );
}
