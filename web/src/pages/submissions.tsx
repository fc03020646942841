import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { Badge, Empty, ErrorNote, Page } from '../components/ui';
import { formatTime } from '../format';
import { useData } from '../hooks';
import { Link } from '../router';
import { useSession } from '../session';
import type { Submission } from '../types';

export function SubmissionsPage() {
  const { t } = useTranslation();
  const { can } = useSession();
  const { data, error } = useData(() => api.get<{ submissions: Submission[] }>('/api/submissions'), [], 10_000);
  return (
    <Page title={t('nav.submissions')} actions={can('media.upload') ? <Link to="/upload" className="button">{t('nav.upload')}</Link> : null}>
      <ErrorNote error={error} />
      {data && data.submissions.length === 0 ? <Empty>{t('submission.none')}</Empty> : null}
      <table className="table">
        <thead>
          <tr>
            <th scope="col">{t('upload.reference')}</th>
            <th scope="col">{t('submission.by')}</th>
            <th scope="col">{t('common.status')}</th>
            <th scope="col">{t('common.created')}</th>
          </tr>
        </thead>
        <tbody>
          {data?.submissions.map((s) => (
            <tr key={s.id}>
              <td>
                <Link to={`/submissions/${s.id}`}>{s.reference || `#${s.id}`}</Link>
              </td>
              <td>
                {s.actorName} ({s.countryCode ?? '—'})
              </td>
              <td>
                <Badge tone={s.status === 'complete' ? 'ok' : 'info'}>{t(`submission.status.${s.status}`)}</Badge>
              </td>
              <td>{formatTime(s.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Page>
  );
}
