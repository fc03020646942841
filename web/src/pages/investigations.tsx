import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, query } from '../api';
import { Badge, Empty, ErrorNote, Page } from '../components/ui';
import { formatTime } from '../format';
import { useAction, useData } from '../hooks';
import { Link, navigate } from '../router';
import { useSession } from '../session';
import type { Investigation, InvestigationSummary } from '../types';

export function InvestigationsPage() {
  const { t } = useTranslation();
  const { can } = useSession();
  const [status, setStatus] = useState('');
  const { data, error } = useData(() => api.get<{ investigations: InvestigationSummary[] }>(`/api/investigations${query({ status, limit: 100 })}`), [status]);
  const [title, setTitle] = useState('');
  const [reference, setReference] = useState('');
  const create = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const inv = await create.run(() => api.post<Investigation>('/api/investigations', { title, reference }));
    if (inv) navigate(`/investigations/${inv.id}`);
  };
  return (
    <Page title={t('nav.investigations')}>
      {can('cases.write') ? (
        <details className="card">
          <summary>{t('investigations.new')}</summary>
          <form className="form row" onSubmit={submit}>
            <label>
              {t('investigations.titleField')}
              <input name="title" required maxLength={200} value={title} onChange={(e) => setTitle(e.target.value)} />
            </label>
            <label>
              {t('upload.reference')}
              <input name="reference" maxLength={200} value={reference} onChange={(e) => setReference(e.target.value)} />
            </label>
            <button type="submit" disabled={create.busy}>
              {t('investigations.create')}
            </button>
            <ErrorNote error={create.error} />
          </form>
        </details>
      ) : null}
      <label>
        {t('common.status')}{' '}
        <select value={status} onChange={(e) => setStatus(e.target.value)}>
          <option value="">{t('triage.all')}</option>
          {(['open', 'closed', 'archived'] as const).map((s) => (
            <option key={s} value={s}>
              {t(`investigations.status.${s}`)}
            </option>
          ))}
        </select>
      </label>
      <ErrorNote error={error} />
      {data && data.investigations.length === 0 ? <Empty>{t('investigations.none')}</Empty> : null}
      <table className="table">
        <thead>
          <tr>
            <th scope="col">{t('investigations.titleField')}</th>
            <th scope="col">{t('upload.reference')}</th>
            <th scope="col">{t('investigations.country')}</th>
            <th scope="col">{t('common.status')}</th>
            <th scope="col">{t('common.updated')}</th>
          </tr>
        </thead>
        <tbody>
          {data?.investigations.map((i) => (
            <tr key={i.id}>
              <td>
                <Link to={`/investigations/${i.id}`}>{i.title}</Link>
              </td>
              <td>{i.reference}</td>
              <td>{i.countryCode}</td>
              <td>
                <Badge tone={i.status === 'open' ? 'ok' : 'muted'}>{t(`investigations.status.${i.status}`)}</Badge>
              </td>
              <td>{formatTime(i.updatedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Page>
  );
}
