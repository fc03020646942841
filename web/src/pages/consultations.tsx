import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, query } from '../api';
import { Badge, Empty, ErrorNote, Page } from '../components/ui';
import { formatTime } from '../format';
import { useAction, useData } from '../hooks';
import { Link } from '../router';
import type { Consultation } from '../types';

/** Questions asked of the user (to answer) and by the user (waiting for answers). */
export function ConsultationsPage() {
  const { t } = useTranslation();
  const [role, setRole] = useState<'asked' | 'asker' | ''>('');
  const [status, setStatus] = useState('');
  const list = useData(() => api.get<{ consultations: Consultation[] }>(`/api/consultations${query({ role, status, limit: 100 })}`), [role, status], 10_000);
  return (
    <Page title={t('nav.consultations')}>
      <div className="filters">
        <label>
          {t('consult.role')}
          <select value={role} onChange={(e) => setRole(e.target.value as typeof role)}>
            <option value="">{t('triage.all')}</option>
            <option value="asked">{t('consult.askedOfMe')}</option>
            <option value="asker">{t('consult.askedByMe')}</option>
          </select>
        </label>
        <label>
          {t('common.status')}
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">{t('triage.all')}</option>
            {(['open', 'answered', 'closed'] as const).map((s) => (
              <option key={s} value={s}>
                {t(`consult.status.${s}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorNote error={list.error} />
      {list.data && list.data.consultations.length === 0 ? <Empty>{t('consult.none')}</Empty> : null}
      <ul className="cards">
        {list.data?.consultations.map((c) => <ConsultationCard key={c.id} c={c} onChange={() => void list.reload()} />)}
      </ul>
    </Page>
  );
}

function ConsultationCard({ c, onChange }: { c: Consultation; onChange: () => void }) {
  const { t } = useTranslation();
  const [answer, setAnswer] = useState('');
  const action = useAction();
  return (
    <li className="card" data-testid="consultation">
      <p className="muted small">
        {c.mine === 'asked' ? t('consult.fromCountry', { country: c.askerCountry }) : t('consult.toParty', { to: c.to.countryCode ?? (c.to.agencyId ? `#${c.to.agencyId}` : `@${c.to.userId}`) })} · {formatTime(c.createdAt)} ·{' '}
        <Badge tone={c.status === 'answered' ? 'ok' : c.status === 'open' ? 'info' : 'muted'}>{t(`consult.status.${c.status}`)}</Badge>
        {c.investigationId ? (
          <>
            {' '}
            · <Link to={`/investigations/${c.investigationId}`}>{t('consult.investigation', { id: c.investigationId })}</Link>
          </>
        ) : null}
        {c.mediaId ? (
          <>
            {' '}
            · <Link to={`/media/${c.mediaId}`}>{t('consult.item', { id: c.mediaId })}</Link>
          </>
        ) : null}
      </p>
      <p className="question">{c.question}</p>
      {c.answer ? (
        <p className="answer">
          <strong>{t('consult.answer')}:</strong> {c.answer}
        </p>
      ) : null}
      {c.mine === 'asked' && c.status === 'open' ? (
        <form
          className="form"
          onSubmit={(e) => {
            e.preventDefault();
            void action.run(() => api.post(`/api/consultations/${c.id}/answer`, { answer })).then((r) => r && onChange());
          }}
        >
          <label>
            {t('consult.yourAnswer')}
            <textarea name="answer" required maxLength={4000} value={answer} onChange={(e) => setAnswer(e.target.value)} />
          </label>
          <button type="submit" disabled={action.busy}>
            {t('consult.sendAnswer')}
          </button>
        </form>
      ) : null}
      {c.status !== 'closed' ? (
        <button type="button" className="secondary small" onClick={() => void action.run(() => api.post(`/api/consultations/${c.id}/close`)).then((r) => r && onChange())}>
          {t('consult.close')}
        </button>
      ) : null}
      <ErrorNote error={action.error} />
    </li>
  );
}
