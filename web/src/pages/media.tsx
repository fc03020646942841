import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { CATEGORIES } from '../categories';
import { ConsultForm } from '../components/consult-form';
import { FactsList } from '../components/facts';
import { ProtectedMedia } from '../components/protected-media';
import { Badge, ErrorNote, Loading, Page } from '../components/ui';
import { formatTime } from '../format';
import { useAction, useData } from '../hooks';
import { useSession } from '../session';
import type { Categorisation, MediaFacts } from '../types';

/** One stored item: facts, the protected view, categorisation and a consultation about it. */
export function MediaPage({ id }: { id: number }) {
  const { t } = useTranslation();
  const { can } = useSession();
  const { data, error } = useData(() => api.get<MediaFacts>(`/api/media/${id}`), [id]);
  if (!data) return error ? <ErrorNote error={error} /> : <Loading />;
  return (
    <Page title={t('media.title', { id })}>
      <div className="side-by-side">
        <section className="card">
          <ProtectedMedia id={id} mime={data.mime} label={t('media.title', { id })} size="large" />
        </section>
        <section className="card">
          <h2>{t('media.facts')}</h2>
          <FactsList facts={data} />
        </section>
      </div>
      <Categorise mediaId={id} />
      {can('cases.write') ? (
        <section className="card">
          <h2>{t('consult.title')}</h2>
          <ConsultForm mediaId={id} />
        </section>
      ) : null}
    </Page>
  );
}

/** The item's settled category, the tally and one's vote (0–5 and the baseline flag). */
export function Categorise({ mediaId }: { mediaId: number }) {
  const { t } = useTranslation();
  const { can } = useSession();
  const state = useData(() => (can('cases.read') ? api.get<Categorisation>(`/api/media/${mediaId}/category`) : Promise.resolve(undefined)), [mediaId]);
  const [category, setCategory] = useState(1);
  const [baseline, setBaseline] = useState(false);
  const action = useAction();
  if (!can('cases.read')) return null;
  const c = state.data;
  return (
    <section className="card" aria-labelledby={`cat-${mediaId}`}>
      <h2 id={`cat-${mediaId}`}>{t('categorise.title')}</h2>
      {c ? (
        <p data-testid="category-state">
          {c.category !== null ? (
            <>
              {t('categorise.settled')}: <Badge tone="info">{t(`category.${c.category}`)}</Badge> {c.baseline ? <Badge tone="warn">{t('triage.baselineShort')}</Badge> : null}
            </>
          ) : (
            t('categorise.unsettled', { quorum: c.quorum })
          )}
          {c.disputed ? <Badge tone="warn">{t('categorise.disputed')}</Badge> : null}
        </p>
      ) : null}
      {c && c.tally.length > 0 ? (
        <ul className="list small">
          {c.tally.map((x) => (
            <li key={`${x.category}-${x.baseline}`}>
              {t(`category.${x.category}`)}
              {x.baseline ? ` (${t('triage.baselineShort')})` : ''}: {x.votes}
            </li>
          ))}
        </ul>
      ) : null}
      {can('cases.write') ? (
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            void action.run(async () => state.setData(await api.post<Categorisation>(`/api/media/${mediaId}/category`, { category, baseline })));
          }}
        >
          <label>
            {t('categorise.category')}
            <select name="category" value={category} onChange={(e) => setCategory(Number(e.target.value))}>
              {CATEGORIES.map((n) => (
                <option key={n} value={n}>
                  {n} – {t(`category.${n}`)}
                </option>
              ))}
            </select>
          </label>
          <label className="check">
            <input type="checkbox" checked={baseline} onChange={(e) => setBaseline(e.target.checked)} />
            {t('triage.baseline')}
          </label>
          <button type="submit" disabled={action.busy}>
            {t('categorise.vote')}
          </button>
        </form>
      ) : null}
      <ErrorNote error={action.error ?? state.error} />
      {c && c.history.length > 0 ? (
        <details>
          <summary>{t('categorise.history')}</summary>
          <ul className="list small">
            {c.history.map((h, i) => (
              <li key={i} className={h.supersededAt ? 'muted' : undefined}>
                {h.username} ({h.countryCode}): {t(`category.${h.category}`)}
                {h.baseline ? ` (${t('triage.baselineShort')})` : ''} · {formatTime(h.at)}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </section>
  );
}
