import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, query } from '../api';
import { ProtectedMedia } from '../components/protected-media';
import { Empty, ErrorNote, Loading, Page } from '../components/ui';
import { VictimStatusBadge, VictimStatusOptions } from '../components/victim-status';
import { formatTime } from '../format';
import { useAction, useData } from '../hooks';
import { Link, navigate } from '../router';
import { useSession } from '../session';
import type { Series, SeriesSummary } from '../types';


export function SeriesListPage() {
  const { t } = useTranslation();
  const { can } = useSession();
  const [status, setStatus] = useState('');
  const [name, setName] = useState('');
  const list = useData(() => api.get<{ series: SeriesSummary[] }>(`/api/series${query({ status, name, limit: 100 })}`), [status, name]);
  const [newName, setNewName] = useState('');
  const create = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const s = await create.run(() => api.post<Series>('/api/series', { name: newName }));
    if (s) navigate(`/series/${s.id}`);
  };
  return (
    <Page title={t('nav.series')}>
      {can('cases.write') ? (
        <details className="card">
          <summary>{t('series.new')}</summary>
          <form className="row" onSubmit={submit}>
            <label>
              {t('series.name')}
              <input name="series-name" required maxLength={200} value={newName} onChange={(e) => setNewName(e.target.value)} />
            </label>
            <button type="submit" disabled={create.busy}>
              {t('common.create')}
            </button>
            <ErrorNote error={create.error} />
          </form>
        </details>
      ) : null}
      <div className="filters">
        <label>
          {t('series.name')}
          <input type="search" value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          {t('series.status')}
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">{t('triage.all')}</option>
            <VictimStatusOptions />
          </select>
        </label>
      </div>
      <ErrorNote error={list.error} />
      {list.data && list.data.series.length === 0 ? <Empty>{t('series.none')}</Empty> : null}
      <table className="table">
        <thead>
          <tr>
            <th scope="col">{t('series.name')}</th>
            <th scope="col">{t('series.status')}</th>
            <th scope="col">{t('series.owner')}</th>
            <th scope="col">{t('series.seenIn')}</th>
            <th scope="col">{t('series.items')}</th>
            <th scope="col">{t('common.updated')}</th>
          </tr>
        </thead>
        <tbody>
          {list.data?.series.map((s) => (
            <tr key={s.id}>
              <td>
                <Link to={`/series/${s.id}`}>{s.name}</Link>
              </td>
              <td>
                <VictimStatusBadge status={s.identificationStatus} />
              </td>
              <td>{s.countryCode}</td>
              <td>{s.countries.join(', ')}</td>
              <td>{s.items}</td>
              <td>{formatTime(s.updatedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Page>
  );
}

export function SeriesPage({ id }: { id: number }) {
  const { t } = useTranslation();
  const s = useData(() => api.get<Series>(`/api/series/${id}`), [id]);
  const action = useAction();
  const [mediaId, setMediaId] = useState('');
  const data = s.data;
  if (!data) return s.error ? <ErrorNote error={s.error} /> : <Loading />;
  const change = (fn: () => Promise<Series>) => action.run(async () => s.setData(await fn()));
  return (
    <Page
      title={data.name}
      actions={
        data.canEdit ? (
          <label>
            {t('series.status')}{' '}
            <select value={data.identificationStatus} onChange={(e) => void change(() => api.patch<Series>(`/api/series/${id}`, { identificationStatus: e.target.value }))}>
              <VictimStatusOptions />
            </select>
          </label>
        ) : (
          <VictimStatusBadge status={data.identificationStatus} />
        )
      }
    >
      <p className="muted">
        {t('series.ownedBy', { country: data.countryCode })} · {t('series.seenInList', { countries: data.countries.join(', ') || '—' })} · {t('series.itemCount', { count: data.items })}
      </p>
      <ErrorNote error={action.error} />
      {data.detail ? (
        <>
          {data.detail.description ? <p>{data.detail.description}</p> : null}
          <section className="card">
            <h2>{t('series.people')}</h2>
            {data.detail.people.length === 0 ? <Empty>{t('series.noPeople')}</Empty> : null}
            <ul className="list">
              {data.detail.people.map((p) => (
                <li key={p.id}>
                  <Link to={`/people/${p.id}`}>{p.label}</Link> · {t(`people.kind.${p.kind}`)} · <VictimStatusBadge status={p.status} />
                </li>
              ))}
            </ul>
          </section>
          <section className="card">
            <h2>{t('series.media')}</h2>
            <ul className="link-grid">
              {data.detail.mediaIds.map((m) => (
                <li key={m}>
                  <ProtectedMedia id={m} label={`#${m}`} size="small" />
                  <Link to={`/media/${m}`}>#{m}</Link>
                </li>
              ))}
            </ul>
            {data.canEdit ? (
              <form
                className="row"
                onSubmit={(e) => {
                  e.preventDefault();
                  void change(() => api.post<Series>(`/api/series/${id}/media`, { mediaIds: [Number(mediaId)] })).then(() => setMediaId(''));
                }}
              >
                <label>
                  {t('series.addItem')}
                  <input name="media-id" required pattern="[0-9]+" value={mediaId} onChange={(e) => setMediaId(e.target.value)} />
                </label>
                <button type="submit" className="small">
                  {t('common.add')}
                </button>
              </form>
            ) : null}
          </section>
        </>
      ) : (
        <p className="muted">{t('series.noDetail')}</p>
      )}
    </Page>
  );
}
