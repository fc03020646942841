import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { Comments } from '../components/comments';
import { ConsultForm } from '../components/consult-form';
import { ProtectedMedia } from '../components/protected-media';
import { Badge, Empty, ErrorNote, Loading, Page } from '../components/ui';
import { formatTime } from '../format';
import { useAction, useData } from '../hooks';
import { Link } from '../router';
import type { Consultation, Investigation } from '../types';

type LinkKind = Investigation['links'][number]['kind'];

/** An investigation: members, sharing, linked material and people, comments and consultations. */
export function InvestigationPage({ id }: { id: number }) {
  const { t } = useTranslation();
  const inv = useData(() => api.get<Investigation>(`/api/investigations/${id}`), [id]);
  const consultations = useData(() => api.get<{ consultations: Consultation[] }>('/api/consultations?limit=100'), [id], 10_000);
  const action = useAction();
  const [memberId, setMemberId] = useState('');
  const [memberRole, setMemberRole] = useState<'member' | 'viewer' | 'lead'>('member');
  const [shareKind, setShareKind] = useState<'countryCode' | 'agencyId'>('countryCode');
  const [shareTo, setShareTo] = useState('');
  const [linkKind, setLinkKind] = useState<LinkKind>('media');
  const [linkValue, setLinkValue] = useState('');

  const data = inv.data;
  if (!data) return inv.error ? <ErrorNote error={inv.error} /> : <Loading />;
  const isLead = data.myRole === 'lead';
  const canWrite = data.myRole === 'lead' || data.myRole === 'member';
  const change = (fn: () => Promise<Investigation>) => action.run(async () => inv.setData(await fn()));

  const addMember = (e: FormEvent) => {
    e.preventDefault();
    void change(() => api.put<Investigation>(`/api/investigations/${id}/members/${Number(memberId)}`, { role: memberRole })).then(() => setMemberId(''));
  };
  const addShare = (e: FormEvent) => {
    e.preventDefault();
    const body = shareKind === 'countryCode' ? { countryCode: shareTo.trim().toUpperCase() } : { agencyId: Number(shareTo) };
    void change(() => api.post<Investigation>(`/api/investigations/${id}/shares`, body)).then(() => setShareTo(''));
  };
  const addLink = (e: FormEvent) => {
    e.preventDefault();
    const body = linkKind === 'tag' || linkKind === 'location' ? { kind: linkKind, label: linkValue } : { kind: linkKind, targetId: Number(linkValue) };
    void change(() => api.post<Investigation>(`/api/investigations/${id}/links`, body)).then(() => setLinkValue(''));
  };
  const about = (consultations.data?.consultations ?? []).filter((c) => c.investigationId === id);
  const linkTarget = (l: Investigation['links'][number]) =>
    l.kind === 'submission' ? `/submissions/${l.targetId}` : l.kind === 'series' ? `/series/${l.targetId}` : l.kind === 'person' ? `/people/${l.targetId}` : l.kind === 'media' ? `/media/${l.targetId}` : null;

  return (
    <Page
      title={data.title}
      actions={
        isLead ? (
          <label>
            {t('common.status')}{' '}
            <select value={data.status} onChange={(e) => void change(() => api.patch<Investigation>(`/api/investigations/${id}`, { status: e.target.value }))}>
              {(['open', 'closed', 'archived'] as const).map((s) => (
                <option key={s} value={s}>
                  {t(`investigations.status.${s}`)}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <Badge tone="muted">{t(`investigations.status.${data.status}`)}</Badge>
        )
      }
    >
      <p className="muted">
        {data.reference ? `${data.reference} · ` : ''}
        {data.countryCode} · {t('investigations.myRole', { role: data.myRole ? t(`investigations.role.${data.myRole}`) : t('investigations.sharedWithMe') })} · {formatTime(data.createdAt)}
      </p>
      <ErrorNote error={action.error} />
      <div className="columns">
        <section className="card" aria-labelledby="h-members">
          <h2 id="h-members">{t('investigations.members')}</h2>
          <ul className="list">
            {data.members.map((m) => (
              <li key={m.userId}>
                {m.username} ({m.countryCode}) · {t(`investigations.role.${m.role}`)} <span className="muted small">#{m.userId}</span>
              </li>
            ))}
          </ul>
          {isLead ? (
            <form className="row" onSubmit={addMember}>
              <label>
                {t('investigations.userId')}
                <input name="member-id" required pattern="[0-9]+" size={6} value={memberId} onChange={(e) => setMemberId(e.target.value)} />
              </label>
              <label>
                {t('investigations.roleField')}
                <select value={memberRole} onChange={(e) => setMemberRole(e.target.value as typeof memberRole)}>
                  {(['member', 'viewer', 'lead'] as const).map((r) => (
                    <option key={r} value={r}>
                      {t(`investigations.role.${r}`)}
                    </option>
                  ))}
                </select>
              </label>
              <button type="submit" className="small">
                {t('common.add')}
              </button>
            </form>
          ) : null}
        </section>
        <section className="card" aria-labelledby="h-shares">
          <h2 id="h-shares">{t('investigations.shares')}</h2>
          {data.shares.length === 0 ? <Empty>{t('investigations.notShared')}</Empty> : null}
          <ul className="list">
            {data.shares.map((s) => (
              <li key={s.id}>
                {s.countryCode ? t('investigations.shareCountry', { country: s.countryCode }) : t('investigations.shareAgency', { agency: s.agencyId })}{' '}
                {isLead ? (
                  <button type="button" className="small secondary" onClick={() => void change(() => api.del<Investigation>(`/api/investigations/${id}/shares/${s.id}`))}>
                    {t('common.remove')}
                  </button>
                ) : null}
              </li>
            ))}
          </ul>
          {isLead ? (
            <form className="row" onSubmit={addShare}>
              <select aria-label={t('investigations.shareWith')} value={shareKind} onChange={(e) => setShareKind(e.target.value as typeof shareKind)}>
                <option value="countryCode">{t('consult.country')}</option>
                <option value="agencyId">{t('consult.agency')}</option>
              </select>
              <label>
                <span className="visually-hidden">{t('investigations.shareWith')}</span>
                <input name="share-to" required size={6} value={shareTo} onChange={(e) => setShareTo(e.target.value)} />
              </label>
              <button type="submit" className="small">
                {t('investigations.share')}
              </button>
            </form>
          ) : null}
        </section>
      </div>
      <section className="card" aria-labelledby="h-links">
        <h2 id="h-links">{t('investigations.links')}</h2>
        {data.links.length === 0 ? <Empty>{t('investigations.noLinks')}</Empty> : null}
        <ul className="link-grid">
          {data.links.map((l) => {
            const to = linkTarget(l);
            return (
              <li key={l.id}>
                {l.kind === 'media' && l.targetId ? <ProtectedMedia id={l.targetId} label={`#${l.targetId}`} size="small" /> : null}
                <Badge tone="info">{t(`investigations.linkKind.${l.kind}`)}</Badge> {to ? <Link to={to}>{l.label ?? `#${l.targetId}`}</Link> : l.label}
                {canWrite ? (
                  <button type="button" className="small secondary" aria-label={t('common.remove')} onClick={() => void change(() => api.del<Investigation>(`/api/investigations/${id}/links/${l.id}`))}>
                    ×
                  </button>
                ) : null}
              </li>
            );
          })}
        </ul>
        {canWrite ? (
          <form className="row" onSubmit={addLink}>
            <label>
              {t('investigations.linkKindField')}
              <select value={linkKind} onChange={(e) => setLinkKind(e.target.value as LinkKind)}>
                {(['media', 'submission', 'series', 'person', 'tag', 'location'] as const).map((k) => (
                  <option key={k} value={k}>
                    {t(`investigations.linkKind.${k}`)}
                  </option>
                ))}
              </select>
            </label>
            <label>
              {linkKind === 'tag' || linkKind === 'location' ? t('investigations.label') : t('investigations.targetId')}
              <input name="link-value" required value={linkValue} onChange={(e) => setLinkValue(e.target.value)} />
            </label>
            <button type="submit" className="small">
              {t('investigations.addLink')}
            </button>
          </form>
        ) : null}
      </section>
      <section className="card" aria-labelledby="h-comments">
        <h2 id="h-comments">{t('comments.title')}</h2>
        <Comments investigationId={id} canWrite />
      </section>
      <section className="card" aria-labelledby="h-consult">
        <h2 id="h-consult">{t('consult.title')}</h2>
        <ul className="list">
          {about.map((c) => (
            <li key={c.id} data-testid="consultation">
              <strong>{c.question}</strong> → {c.to.countryCode ?? (c.to.agencyId ? `#${c.to.agencyId}` : `@${c.to.userId}`)} <Badge tone={c.status === 'answered' ? 'ok' : 'info'}>{t(`consult.status.${c.status}`)}</Badge>
              {c.answer ? <p className="answer">{c.answer}</p> : null}
            </li>
          ))}
        </ul>
        {canWrite ? <ConsultForm investigationId={id} onSent={() => void consultations.reload()} /> : null}
      </section>
    </Page>
  );
}
