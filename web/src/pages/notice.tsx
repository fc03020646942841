import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError, csrfHeaders } from '../api';
import { ProtectedMedia } from '../components/protected-media';
import { Badge, ErrorNote, Loading, Page } from '../components/ui';
import { formatTime } from '../format';
import { useAction, useData } from '../hooks';
import { Link } from '../router';
import type { Notice } from '../types';
import { noticeTone } from './notices';

type Body = Record<string, unknown>;
const get = (o: unknown, ...path: string[]): unknown => path.reduce<unknown>((node, k) => (node && typeof node === 'object' ? (node as Body)[k] : undefined), o);
const str = (v: unknown) => (v === undefined || v === null || v === '' ? '—' : String(v));

/** One notice: its content, photos, links and history; drafting, publication and cancellation as the user may. */
export function NoticePage({ id }: { id: number }) {
  const { t } = useTranslation();
  const notice = useData(() => api.get<Notice>(`/api/notices/${id}`), [id]);
  const action = useAction();
  const [reason, setReason] = useState('');
  const [linkKind, setLinkKind] = useState<'victim' | 'offender' | 'series' | 'investigation'>('victim');
  const [linkId, setLinkId] = useState('');
  const [photo, setPhoto] = useState<File | null>(null);
  const [caption, setCaption] = useState('');
  const n = notice.data;
  if (!n) return notice.error ? <ErrorNote error={notice.error} /> : <Loading />;
  const change = (fn: () => Promise<Notice>) => action.run(async () => notice.setData(await fn()));
  const person = get(n.body, 'person');
  const names = (get(person, 'names') as Array<{ family: string; given: string }> | undefined) ?? [];

  const uploadPhoto = async (e: FormEvent) => {
    e.preventDefault();
    if (!photo) return;
    await action.run(async () => {
      const form = new FormData();
      form.append('file', photo, photo.name);
      const res = await fetch(`/api/notices/${id}/photos?caption=${encodeURIComponent(caption)}`, { method: 'POST', body: form, credentials: 'same-origin', headers: csrfHeaders() });
      if (!res.ok) {
        const error = ((await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } }).error;
        throw new ApiError(res.status, error?.code ?? 'error', error?.message ?? res.statusText);
      }
      setPhoto(null);
      setCaption('');
      await notice.reload();
    });
  };

  return (
    <Page
      title={`${t(`notices.kind.${n.kind}`)} ${n.reference || `#${n.id}`}`}
      actions={
        <>
          <Badge tone={noticeTone(n.kind)}>{t(`notices.status.${n.status}`)}</Badge>
          {n.subjectStatus ? <Badge tone={n.subjectStatus === 'missing' ? 'warn' : 'ok'}>{t(`notices.subjectStatus.${n.subjectStatus}`)}</Badge> : null}
        </>
      }
    >
      <p className="muted">
        {n.countryCode} · {t('notices.contact', { agency: n.contactAgency.name })} · {t('notices.version', { version: n.version })} · {formatTime(n.updatedAt)}
      </p>
      <ErrorNote error={action.error} />
      {n.returnReasons?.length ? (
        <div className="warning" role="alert">
          {t('notices.returned')}: {n.returnReasons.join(' · ')}
        </div>
      ) : null}
      <div className="columns">
        <section className="card" aria-labelledby="h-subject">
          <h2 id="h-subject">{n.subjectName}</h2>
          <dl className="facts">
            <dt>{t('notices.names')}</dt>
            <dd>{names.map((x) => [x.family, x.given].filter(Boolean).join(', ')).join(' / ') || '—'}</dd>
            <dt>{t('people.sex')}</dt>
            <dd>{t(`people.sexValue.${str(get(person, 'sex'))}`, { defaultValue: str(get(person, 'sex')) })}</dd>
            <dt>{t('notices.birthDate')}</dt>
            <dd>{str(get(person, 'birth', 'date') ?? get(person, 'birth', 'year'))}</dd>
            <dt>{t('notices.marks')}</dt>
            <dd>{str(get(person, 'physicalDescription', 'distinguishingMarks'))}</dd>
            {n.kind === 'yellow' ? (
              <>
                <dt>{t('notices.missingSince')}</dt>
                <dd>
                  {str(get(n.body, 'disappearance', 'date'))}, {str(get(n.body, 'disappearance', 'place'))} ({str(get(n.body, 'disappearance', 'country'))})
                </dd>
                <dt>{t('notices.circumstances')}</dt>
                <dd>{str(get(n.body, 'circumstances'))}</dd>
                <dt>{t('notices.guardians')}</dt>
                <dd>{str(get(n.body, 'guardiansContact'))}</dd>
              </>
            ) : (
              <>
                <dt>{t('notices.risk')}</dt>
                <dd>{t(`notices.riskLevel.${str(get(n.body, 'riskAssessment', 'level'))}`, { defaultValue: '—' })}: {str(get(n.body, 'riskAssessment', 'summary'))}</dd>
                <dt>{t('notices.modus')}</dt>
                <dd>{str(get(n.body, 'modusOperandi'))}</dd>
                <dt>{t('notices.offences')}</dt>
                <dd>
                  {((get(n.body, 'convictions') as Array<{ country: string; offences: string[] }> | undefined) ?? []).map((c, i) => (
                    <span key={i}>
                      {c.country}: {c.offences.join('; ')}
                      <br />
                    </span>
                  ))}
                </dd>
              </>
            )}
          </dl>
        </section>
        <section className="card" aria-labelledby="h-photos">
          <h2 id="h-photos">{t('notices.photos')}</h2>
          <ul className="link-grid">
            {n.photos.map((p) => (
              <li key={p.id}>
                {p.mediaId ? <ProtectedMedia id={p.mediaId} label={p.caption || p.fileName} size="small" /> : <span className="muted small">{t(`upload.state.${p.status === 'pending' ? 'uploading' : p.status === 'error' ? 'error' : 'done'}`)}</span>}
                <span className="small">{p.caption || p.fileName}</span>
                {p.error ? <span className="error small">{p.error}</span> : null}
              </li>
            ))}
          </ul>
          {n.canEdit ? (
            <form className="row" onSubmit={uploadPhoto}>
              <label>
                {t('notices.photo')}
                <input type="file" accept="image/*" required onChange={(e) => setPhoto(e.target.files?.[0] ?? null)} />
              </label>
              <label>
                {t('notices.caption')}
                <input name="caption" maxLength={500} value={caption} onChange={(e) => setCaption(e.target.value)} />
              </label>
              <button type="submit" className="small" disabled={action.busy}>
                {t('common.add')}
              </button>
            </form>
          ) : null}
        </section>
      </div>
      <section className="card" aria-labelledby="h-nlinks">
        <h2 id="h-nlinks">{t('investigations.links')}</h2>
        <ul className="list">
          {n.links.map((l) => (
            <li key={`${l.kind}-${l.targetId}`}>
              <Link to={l.kind === 'series' ? `/series/${l.targetId}` : l.kind === 'investigation' ? `/investigations/${l.targetId}` : `/people/${l.targetId}`}>
                {t(`notices.linkKind.${l.kind}`)} #{l.targetId}
              </Link>
            </li>
          ))}
        </ul>
        {n.canEdit ? (
          <form
            className="row"
            onSubmit={(e) => {
              e.preventDefault();
              void change(() => api.post<Notice>(`/api/notices/${id}/links`, { kind: linkKind, targetId: Number(linkId) })).then(() => setLinkId(''));
            }}
          >
            <label>
              {t('investigations.linkKindField')}
              <select value={linkKind} onChange={(e) => setLinkKind(e.target.value as typeof linkKind)}>
                {(['victim', 'offender', 'series', 'investigation'] as const).map((k) => (
                  <option key={k} value={k}>
                    {t(`notices.linkKind.${k}`)}
                  </option>
                ))}
              </select>
            </label>
            <label>
              {t('investigations.targetId')}
              <input name="notice-link" required pattern="[0-9]+" value={linkId} onChange={(e) => setLinkId(e.target.value)} />
            </label>
            <button type="submit" className="small">
              {t('investigations.addLink')}
            </button>
          </form>
        ) : null}
      </section>
      <section className="card" aria-labelledby="h-lifecycle">
        <h2 id="h-lifecycle">{t('notices.lifecycle')}</h2>
        <div className="row">
          {n.canEdit && n.status === 'draft' ? (
            <button type="button" onClick={() => void change(() => api.post<Notice>(`/api/notices/${id}/request`))}>
              {t('notices.requestPublication')}
            </button>
          ) : null}
          {n.canReview && n.status === 'requested' ? (
            <button type="button" onClick={() => void change(() => api.post<Notice>(`/api/notices/${id}/publish`))}>
              {t('notices.publish')}
            </button>
          ) : null}
          {n.canReview && n.status === 'cancellation_requested' ? (
            <button type="button" onClick={() => void change(() => api.post<Notice>(`/api/notices/${id}/cancellation/confirm`))}>
              {t('notices.confirmCancellation')}
            </button>
          ) : null}
          {n.canEdit && n.kind === 'yellow' && n.status === 'published' && n.subjectStatus === 'missing' ? (
            <button type="button" className="secondary" onClick={() => void change(() => api.patch<Notice>(`/api/notices/${id}`, { subjectStatus: 'located' }))}>
              {t('notices.located')}
            </button>
          ) : null}
        </div>
        {(n.canReview && (n.status === 'requested' || n.status === 'cancellation_requested')) || (n.canEdit && n.status !== 'cancelled' && n.status !== 'cancellation_requested') ? (
          <form
            className="row"
            onSubmit={(e) => {
              e.preventDefault();
              const url =
                n.canReview && n.status === 'requested'
                  ? [`/api/notices/${id}/return`, { reasons: [reason] }]
                  : n.canReview && n.status === 'cancellation_requested'
                    ? [`/api/notices/${id}/cancellation/decline`, { reasons: [reason] }]
                    : [`/api/notices/${id}/cancellation`, { reason }];
              void change(() => api.post<Notice>(url[0] as string, url[1])).then(() => setReason(''));
            }}
          >
            <label>
              {t('notices.reason')}
              <input name="reason" required maxLength={2000} value={reason} onChange={(e) => setReason(e.target.value)} />
            </label>
            <button type="submit" className="secondary">
              {n.canReview && n.status === 'requested' ? t('notices.return') : n.canReview && n.status === 'cancellation_requested' ? t('notices.declineCancellation') : t('notices.cancel')}
            </button>
          </form>
        ) : null}
        <ol className="list small">
          {n.history.map((h, i) => (
            <li key={i}>
              {formatTime(h.at)} · {h.action} {h.actorCountry ? `(${h.actorCountry})` : ''} · v{h.version}
              {h.reasons?.length ? `: ${h.reasons.join('; ')}` : ''}
            </li>
          ))}
        </ol>
      </section>
    </Page>
  );
}
