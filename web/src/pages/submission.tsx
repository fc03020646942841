import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { CATEGORIES } from '../categories';
import { ProtectedMedia } from '../components/protected-media';
import { Badge, Empty, ErrorNote, Loading, Page, Stat } from '../components/ui';
import { formatTime } from '../format';
import { useAction, useData } from '../hooks';
import { Link, navigate } from '../router';
import { useSession } from '../session';
import type { Categorisation, Investigation, ReportHit, ReportItem, SubmissionReport } from '../types';

type StatusFilter = 'all' | 'new' | 'known';
type Sort = 'risk' | 'path' | 'hits';

/** One line per matched stored item (its closest signal) or hash-set entry: several signals of one item say one thing. */
export function bestPerItem(hits: readonly ReportHit[]): ReportHit[] {
  const seen = new Set<string>();
  const out: ReportHit[] = [];
  for (const h of [...hits].sort((a, b) => a.distance - b.distance)) {
    const key = h.item ? `item:${h.item.id}` : `set:${h.set}:${h.label}:${h.signal}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(h);
  }
  return out;
}

const STATUS_RANK = { unidentified: 0, identified: 1, safeguarded: 2 } as const;

/** Risk order: new before known; within each, items tied to a victim not yet safeguarded first, then by path. */
export function riskCompare(a: ReportItem, b: ReportItem): number {
  if (a.status !== b.status) return a.status === 'new' ? -1 : 1;
  const rank = (i: ReportItem) =>
    Math.min(3, ...[...i.hits.map((h) => h.victimStatus), i.assessment?.victimStatus ?? null].map((s) => (s ? STATUS_RANK[s] : 3)));
  return rank(a) - rank(b) || a.paths[0].localeCompare(b.paths[0]);
}

/**
 * The live triage report of a submission: counts fill in while files are processed; filters and sort put what
 * may concern a child at risk first. Keyboard: j/k or arrows move, 0–5 categorise, b toggles the baseline flag,
 * r reveals or hides, c compares with the best match, Enter opens the item.
 */
export function SubmissionPage({ id }: { id: number }) {
  const { t } = useTranslation();
  const { reveal, revealed, can } = useSession();
  const [live, setLive] = useState(true);
  const report = useData(() => api.get<SubmissionReport>(`/api/submissions/${id}/report`), [id], live ? 1500 : null);
  const [status, setStatus] = useState<StatusFilter>('all');
  const [kind, setKind] = useState<'all' | 'image' | 'video'>('all');
  const [onlyHits, setOnlyHits] = useState(false);
  const [text, setText] = useState('');
  const [sort, setSort] = useState<Sort>('risk');
  const [selected, setSelected] = useState(0);
  const [baseline, setBaseline] = useState(false);
  const [votes, setVotes] = useState<Record<number, Categorisation>>({});
  const vote = useAction();

  const data = report.data;
  useEffect(() => {
    if (data && data.submission.status === 'complete' && data.totals.pending === 0) setLive(false);
  }, [data]);

  const items = useMemo(() => {
    const list = (data?.items ?? []).filter(
      (i) =>
        (status === 'all' || i.status === status) &&
        (kind === 'all' || i.kind === kind) &&
        (!onlyHits || i.hits.length > 0) &&
        (!text || i.paths.some((p) => p.toLowerCase().includes(text.toLowerCase()))),
    );
    return [...list].sort(sort === 'risk' ? riskCompare : sort === 'hits' ? (a, b) => b.hits.length - a.hits.length || riskCompare(a, b) : (a, b) => a.paths[0].localeCompare(b.paths[0]));
  }, [data, status, kind, onlyHits, text, sort]);
  const current = items[Math.min(selected, items.length - 1)];

  const categorise = async (item: ReportItem, category: number) => {
    const answer = await vote.run(() => api.post<Categorisation>(`/api/media/${item.mediaId}/category`, { category, baseline }));
    if (answer) setVotes((v) => ({ ...v, [item.mediaId]: answer }));
  };

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement;
      if (target.closest('input, textarea, select') || e.ctrlKey || e.metaKey || e.altKey) return;
      if (!current) return;
      const best = bestPerItem(current.hits).find((h) => h.item);
      if (e.key === 'j' || e.key === 'ArrowDown') setSelected((s) => Math.min(items.length - 1, s + 1));
      else if (e.key === 'k' || e.key === 'ArrowUp') setSelected((s) => Math.max(0, s - 1));
      else if (/^[0-5]$/.test(e.key) && can('cases.write')) void categorise(current, Number(e.key));
      else if (e.key === 'b') setBaseline((b) => !b);
      else if (e.key === 'r' && can('media.view')) reveal(revealed === current.mediaId ? null : current.mediaId);
      else if (e.key === 'c' && best?.item) navigate(`/compare/${current.mediaId}/${best.item.id}`);
      else if (e.key === 'Enter' && target.tagName !== 'BUTTON' && target.tagName !== 'A') navigate(`/media/${current.mediaId}`);
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  useEffect(() => {
    document.querySelector(`[data-row="${current?.mediaId}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [current?.mediaId]);

  if (!data) return report.error ? <ErrorNote error={report.error} /> : <Loading />;
  const totals = data.totals;
  return (
    <Page
      title={t('triage.title', { reference: data.submission.reference || `#${id}` })}
      actions={
        <>
          {data.submission.status === 'open' && can('media.upload') ? (
            <Link to={`/upload?submission=${id}`} className="button secondary">
              {t('triage.continueUpload')}
            </Link>
          ) : null}
          <a className="button secondary" href={`/api/submissions/${id}/report?format=csv`}>
            CSV
          </a>
          <a className="button secondary" href={`/api/submissions/${id}/report?format=html`}>
            HTML
          </a>
        </>
      }
    >
      <p aria-live="polite" className="muted">
        {live ? t('triage.live', { pending: totals.pending }) : t('triage.complete', { time: formatTime(data.submission.completedAt) })}
      </p>
      <div className="stats" data-testid="triage-totals">
        <Stat label={t('triage.files')} value={totals.files} />
        <Stat label={t('triage.processed')} value={totals.processed} />
        <Stat label={t('triage.pending')} value={totals.pending} tone={totals.pending ? 'info' : undefined} />
        <Stat label={t('triage.new')} value={totals.new} tone="new" />
        <Stat label={t('triage.known')} value={totals.known} tone="known" />
        <Stat label={t('triage.duplicates')} value={totals.duplicates} />
        <Stat label={t('triage.errors')} value={totals.errors} tone={totals.errors ? 'warn' : undefined} />
      </div>
      {can('cases.write') ? <OpenInvestigation submissionId={id} reference={data.submission.reference} /> : null}
      <div className="filters" role="group" aria-label={t('triage.filters')}>
        <label>
          {t('triage.show')}
          <select value={status} onChange={(e) => setStatus(e.target.value as StatusFilter)}>
            <option value="all">{t('triage.all')}</option>
            <option value="new">{t('triage.onlyNew')}</option>
            <option value="known">{t('triage.onlyKnown')}</option>
          </select>
        </label>
        <label>
          {t('triage.kind')}
          <select value={kind} onChange={(e) => setKind(e.target.value as 'all' | 'image' | 'video')}>
            <option value="all">{t('triage.all')}</option>
            <option value="image">{t('triage.images')}</option>
            <option value="video">{t('triage.videos')}</option>
          </select>
        </label>
        <label>
          {t('triage.sort')}
          <select value={sort} onChange={(e) => setSort(e.target.value as Sort)}>
            <option value="risk">{t('triage.byRisk')}</option>
            <option value="hits">{t('triage.byHits')}</option>
            <option value="path">{t('triage.byPath')}</option>
          </select>
        </label>
        <label className="check">
          <input type="checkbox" checked={onlyHits} onChange={(e) => setOnlyHits(e.target.checked)} />
          {t('triage.onlyHits')}
        </label>
        <label>
          {t('triage.search')}
          <input type="search" value={text} onChange={(e) => setText(e.target.value)} />
        </label>
        <label className="check">
          <input type="checkbox" checked={baseline} onChange={(e) => setBaseline(e.target.checked)} />
          {t('triage.baseline')}
        </label>
      </div>
      <p className="muted small" id="keys-help">
        {t('triage.keys')}
      </p>
      <ErrorNote error={vote.error} />
      {items.length === 0 ? <Empty>{totals.pending ? t('triage.waiting') : t('triage.noItems')}</Empty> : null}
      <ol className="triage-list" aria-describedby="keys-help" data-testid="triage-list">
        {items.map((item, index) => {
          const isSelected = item === current;
          const mine = votes[item.mediaId];
          return (
            <li key={item.mediaId} data-row={item.mediaId} data-status={item.status} className={`triage-item${isSelected ? ' selected' : ''}`} aria-current={isSelected ? 'true' : undefined} onClick={() => setSelected(index)}>
              <ProtectedMedia id={item.mediaId} mime={item.mime} label={item.paths[0]} size="small" />
              <div className="triage-body">
                <div className="row">
                  <Badge tone={item.status}>{t(`triage.status.${item.status}`)}</Badge>
                  <Link to={`/media/${item.mediaId}`} className="path">
                    {item.paths[0]}
                  </Link>
                  {item.paths.length > 1 ? <span className="muted small">{t('triage.morePaths', { count: item.paths.length - 1 })}</span> : null}
                </div>
                {item.seenBefore.submissions > 0 ? (
                  <p className="small">{t('triage.seenBefore', { count: item.seenBefore.submissions, countries: item.seenBefore.countries.join(', ') || '—' })}</p>
                ) : null}
                {item.assessment ? (
                  <p className="small" data-testid="assessment">
                    {t('triage.alreadyAssessed')}{' '}
                    {item.assessment.series.map((s) => (
                      <Badge key={s.id} tone="info">
                        {s.name} · {t(`victim.${s.identificationStatus}`)}
                      </Badge>
                    ))}
                    {item.assessment.category !== null ? <Badge tone="muted">{t(`category.${item.assessment.category}`)}</Badge> : null}
                    {item.assessment.baseline ? <Badge tone="warn">{t('triage.baselineShort')}</Badge> : null}
                  </p>
                ) : null}
                {item.hits.length === 0 && !item.assessment ? <p className="small muted">{t('triage.noHits')}</p> : null}
                <ul className="hits">
                  {bestPerItem(item.hits).slice(0, 4).map((h, i) => (
                    <li key={i}>
                      <span className="signal">
                        {h.signal.toUpperCase()} {h.signal === 'pdq' ? t('triage.distance', { distance: h.distance }) : t('triage.exact')}
                      </span>{' '}
                      {h.source === 'set' ? t('triage.inSet', { set: h.set, label: h.label ?? '' }) : null}
                      {h.series.map((s) => (
                        <Badge key={s.id} tone="info">
                          {s.name} · {t(`victim.${s.identificationStatus}`)}
                        </Badge>
                      ))}
                      {h.category !== null ? <Badge tone="muted">{t(`category.${h.category}`)}</Badge> : null}
                      {h.baseline ? <Badge tone="warn">{t('triage.baselineShort')}</Badge> : null}
                      {h.item ? (
                        <>
                          {' '}
                          <span className="small muted">{h.item.countries.join(', ')}</span>{' '}
                          <Link to={`/compare/${item.mediaId}/${h.item.id}`} className="button small secondary">
                            {t('triage.compare')}
                          </Link>
                        </>
                      ) : null}
                    </li>
                  ))}
                </ul>
                {can('cases.write') ? (
                  <div className="categorise" role="group" aria-label={t('triage.categorise', { path: item.paths[0] })}>
                    {CATEGORIES.map((c) => (
                      <button key={c} type="button" className="small secondary" title={t(`category.${c}`)} onClick={(e) => (e.stopPropagation(), void categorise(item, c))} aria-label={`${c}: ${t(`category.${c}`)}`}>
                        {c}
                      </button>
                    ))}
                    {mine ? (
                      <span className="small" role="status">
                        {t('triage.voted', { votes: mine.tally.reduce((s, x) => s + x.votes, 0), quorum: mine.quorum })}
                        {mine.category !== null ? ` · ${t('triage.settled', { category: t(`category.${mine.category}`) })}` : ''}
                      </span>
                    ) : null}
                  </div>
                ) : null}
              </div>
            </li>
          );
        })}
      </ol>
      {data.files.some((f) => f.status === 'error') ? (
        <section className="card">
          <h2>{t('triage.errors')}</h2>
          <ul className="list">
            {data.files
              .filter((f) => f.status === 'error')
              .map((f) => (
                <li key={f.path}>
                  <span className="path">{f.path}</span>: {f.error}
                </li>
              ))}
          </ul>
        </section>
      ) : null}
    </Page>
  );
}

function OpenInvestigation({ submissionId, reference }: { submissionId: number; reference: string }) {
  const { t } = useTranslation();
  const [title, setTitle] = useState('');
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const created = await action.run(async () => {
      const inv = await api.post<Investigation>('/api/investigations', { title, reference });
      await api.post(`/api/investigations/${inv.id}/links`, { kind: 'submission', targetId: submissionId });
      return inv;
    });
    if (created) navigate(`/investigations/${created.id}`);
  };
  return (
    <details className="card">
      <summary>{t('triage.openInvestigation')}</summary>
      <form className="form row" onSubmit={submit}>
        <label>
          {t('investigations.titleField')}
          <input name="investigation-title" required maxLength={200} value={title} onChange={(e) => setTitle(e.target.value)} />
        </label>
        <button type="submit" disabled={action.busy}>
          {t('triage.openInvestigationSubmit')}
        </button>
        <ErrorNote error={action.error} />
      </form>
    </details>
  );
}
