import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, query } from '../api';
import { BarChart, Ring } from '../components/charts';
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
