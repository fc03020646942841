import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, query } from '../api';
import { Badge, Empty, ErrorNote, Page } from '../components/ui';
import { formatTime } from '../format';
import { useAction, useData } from '../hooks';
import type { AuditEntry } from '../types';

interface Filters {
  actor: string;
  action: string;
  objectType: string;
  objectId: string;
  from: string;
  to: string;
}

const EMPTY: Filters = { actor: '', action: '', objectType: '', objectId: '', from: '', to: '' };

/** The audit trail for auditors and admins: filter, page back in time, verify the hash chain. */
export function AuditPage() {
  const { t } = useTranslation();
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [pages, setPages] = useState<number[]>([]);
  const before = pages[pages.length - 1];
  const list = useData(
    () =>
      api.get<{ entries: AuditEntry[]; next: number | null }>(
        `/api/audit/entries${query({
          actor: filters.actor,
          action: filters.action,
          objectType: filters.objectType,
          objectId: filters.objectId,
          from: filters.from ? Date.parse(filters.from) : undefined,
          to: filters.to ? Date.parse(filters.to) : undefined,
          before,
          limit: 50,
        })}`,
      ),
    [filters, before],
  );
  const verify = useAction();
  const [verdict, setVerdict] = useState<{ ok: boolean; entries: number; firstBroken?: { seq: number; message: string } } | null>(null);
  const apply = (e: FormEvent) => {
    e.preventDefault();
    setPages([]);
    setFilters(draft);
  };
  const field = (key: keyof Filters, type = 'text') => (
    <label key={key}>
      {t(`audit.${key}`)}
      <input name={key} type={type} value={draft[key]} onChange={(e) => setDraft({ ...draft, [key]: e.target.value })} />
    </label>
  );
  return (
    <Page
      title={t('nav.audit')}
      actions={
        <button type="button" className="secondary" disabled={verify.busy} onClick={() => void verify.run(async () => setVerdict(await api.get('/api/audit/verify')))}>
          {t('audit.verify')}
        </button>
      }
    >
      {verdict ? (
        <p role="status" className={verdict.ok ? 'ok' : 'error'}>
          {verdict.ok ? t('audit.chainOk', { count: verdict.entries }) : t('audit.chainBroken', { seq: verdict.firstBroken?.seq, message: verdict.firstBroken?.message })}
        </p>
      ) : null}
      <ErrorNote error={verify.error} />
      <form className="filters" onSubmit={apply}>
        {field('actor')}
        {field('action')}
        {field('objectType')}
        {field('objectId')}
        {field('from', 'datetime-local')}
        {field('to', 'datetime-local')}
        <button type="submit">{t('audit.apply')}</button>
      </form>
      <ErrorNote error={list.error} />
      {list.data && list.data.entries.length === 0 ? <Empty>{t('audit.none')}</Empty> : null}
      <table className="table audit">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">{t('audit.time')}</th>
            <th scope="col">{t('audit.actor')}</th>
            <th scope="col">{t('audit.action')}</th>
            <th scope="col">{t('audit.object')}</th>
            <th scope="col">{t('audit.details')}</th>
          </tr>
        </thead>
        <tbody>
          {list.data?.entries.map((e) => (
            <tr key={e.seq}>
              <td>{e.seq}</td>
              <td>{formatTime(e.at)}</td>
              <td>
                {e.actorName} {e.actorCountry ? `(${e.actorCountry})` : ''}
              </td>
              <td>
                <Badge tone={e.action.startsWith('media.view') || e.action.startsWith('media.download') ? 'warn' : 'muted'}>{e.action}</Badge>
              </td>
              <td>{e.objectType ? `${e.objectType} ${e.objectId ?? ''}${e.objectCountry ? ` (${e.objectCountry})` : ''}` : '—'}</td>
              <td className="details">{e.details ? JSON.stringify(e.details) : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="row">
        <button type="button" className="secondary" disabled={pages.length === 0} onClick={() => setPages(pages.slice(0, -1))}>
          {t('audit.newer')}
        </button>
        <button type="button" className="secondary" disabled={!list.data?.next} onClick={() => list.data?.next && setPages([...pages, list.data.next])}>
          {t('audit.older')}
        </button>
      </div>
    </Page>
  );
}
