import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { useAction } from '../hooks';
import type { Consultation } from '../types';
import { ErrorNote } from './ui';

/** Ask a colleague (by user id), an agency or a country's unit about an investigation or an item. */
export function ConsultForm({ investigationId, mediaId, onSent }: { investigationId?: number; mediaId?: number; onSent?: (c: Consultation) => void }) {
  const { t } = useTranslation();
  const [toKind, setToKind] = useState<'countryCode' | 'agencyId' | 'userId'>('countryCode');
  const [to, setTo] = useState('');
  const [question, setQuestion] = useState('');
  const [sent, setSent] = useState(false);
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const target = toKind === 'countryCode' ? { countryCode: to.trim().toUpperCase() } : { [toKind]: Number(to) };
    const created = await action.run(() => api.post<Consultation>('/api/consultations', { investigationId, mediaId, to: target, question }));
    if (created) {
      setQuestion('');
      setSent(true);
      onSent?.(created);
    }
  };
  return (
    <form className="form" onSubmit={submit} aria-label={t('consult.title')}>
      <div className="row">
        <label>
          {t('consult.toKind')}
          <select value={toKind} onChange={(e) => setToKind(e.target.value as typeof toKind)}>
            <option value="countryCode">{t('consult.country')}</option>
            <option value="agencyId">{t('consult.agency')}</option>
            <option value="userId">{t('consult.user')}</option>
          </select>
        </label>
        <label>
          {t('consult.to')}
          <input name="consult-to" required value={to} onChange={(e) => setTo(e.target.value)} pattern={toKind === 'countryCode' ? '[A-Za-z]{2}' : '[0-9]+'} />
        </label>
      </div>
      <label>
        {t('consult.question')}
        <textarea name="consult-question" required maxLength={4000} value={question} onChange={(e) => setQuestion(e.target.value)} />
      </label>
      <ErrorNote error={action.error} />
      {sent ? <p role="status">{t('consult.sent')}</p> : null}
      <button type="submit" disabled={action.busy}>
        {t('consult.send')}
      </button>
    </form>
  );
}
