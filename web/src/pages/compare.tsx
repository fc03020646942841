import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { FactsList } from '../components/facts';
import { ProtectedMedia } from '../components/protected-media';
import { Badge, ErrorNote, Loading, Page } from '../components/ui';
import { useData } from '../hooks';
import { Link } from '../router';
import type { MatchPair } from '../types';
import { Categorise } from './media';

/**
 * A match side by side: the submitted item and the stored item it matched, both redacted until revealed (one at a
 * time), with every signal's distance against its threshold and the signal that made the match.
 */
export function ComparePage({ queryId, storedId }: { queryId: number; storedId: number }) {
  const { t } = useTranslation();
  const { data, error } = useData(() => api.get<MatchPair>(`/api/media/${queryId}/compare/${storedId}`), [queryId, storedId]);
  if (!data) return error ? <ErrorNote error={error} /> : <Loading />;
  const by = data.matchedBy;
  return (
    <Page title={t('compare.title')}>
      <p className="verdict" data-testid="match-verdict">
        {by ? (
          <>
            <Badge tone="warn">{t('compare.matched')}</Badge>{' '}
            {by.signal === 'pdq' ? t('compare.byPdq', { distance: by.distance, threshold: by.threshold }) : t('compare.byDigest', { signal: by.signal.toUpperCase() })}
          </>
        ) : (
          <Badge tone="muted">{t('compare.noMatch')}</Badge>
        )}
      </p>
      <div className="side-by-side">
        {(['query', 'stored'] as const).map((side) => {
          const facts = data[side];
          return (
            <section key={side} className="card" aria-labelledby={`h-${side}`}>
              <h2 id={`h-${side}`}>
                {t(`compare.${side}`)} <Link to={`/media/${facts.id}`}>#{facts.id}</Link>
              </h2>
              <ProtectedMedia id={facts.id} mime={facts.mime} label={t(`compare.${side}`)} size="large" />
              <FactsList facts={facts} />
            </section>
          );
        })}
      </div>
      <table className="table" aria-label={t('compare.signals')}>
        <thead>
          <tr>
            <th scope="col">{t('compare.signal')}</th>
            <th scope="col">{t('compare.distance')}</th>
            <th scope="col">{t('compare.threshold')}</th>
            <th scope="col">{t('compare.variants')}</th>
            <th scope="col">{t('compare.quality')}</th>
            <th scope="col">{t('common.status')}</th>
          </tr>
        </thead>
        <tbody>
          {data.signals.map((s) => (
            <tr key={s.signal} className={by?.signal === s.signal ? 'highlight' : undefined}>
              <th scope="row">{s.signal.toUpperCase()}</th>
              <td>{s.distance === null ? t('compare.different') : s.signal === 'pdq' ? `${s.distance} / 256` : t('compare.equal')}</td>
              <td>{s.signal === 'pdq' ? `≤ ${s.threshold}` : t('compare.exactOnly')}</td>
              <td>
                {s.queryVariant} / {s.storedVariant}
              </td>
              <td>{s.queryQuality !== null ? `${s.queryQuality} / ${s.storedQuality}` : '—'}</td>
              <td>{s.matches ? <Badge tone="warn">{t('compare.matches')}</Badge> : <Badge tone="muted">{t('compare.noMatchShort')}</Badge>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Categorise mediaId={queryId} />
    </Page>
  );
}
