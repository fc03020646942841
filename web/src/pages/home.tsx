import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { Badge, Empty, ErrorNote, Page, Stat } from '../components/ui';
import { formatTime } from '../format';
import { useData } from '../hooks';
import { Link } from '../router';
import { useSession } from '../session';
import type { Consultation, Notification, Submission } from '../types';

/** Where a notification leads in the application. */
export function notificationLink(n: Notification): string | null {
  if (!n.objectType || !n.objectId) return null;
  switch (n.objectType) {
    case 'submission':
      return `/submissions/${n.objectId}`;
    case 'investigation':
      return `/investigations/${n.objectId}`;
    case 'series':
      return `/series/${n.objectId}`;
    case 'consultation':
      return '/consultations';
    case 'comment':
      return null;
    case 'media':
      return `/media/${n.objectId}`;
    default:
      return null;
  }
}

const GROUPS: ReadonlyArray<{ key: string; kinds: readonly string[] }> = [
  { key: 'home.matches', kinds: ['series.matched', 'submission.matched'] },
  { key: 'home.consultations', kinds: ['consultation', 'consultation.answer'] },
  { key: 'home.mentions', kinds: ['mention'] },
];

/** What needs attention: new matches, consultations waiting for an answer, mentions; recent submissions. */
export function HomePage() {
  const { t } = useTranslation();
  const { me, can } = useSession();
  const notifications = useData(() => api.get<{ notifications: Notification[]; unread: number }>('/api/notifications?limit=100'), [], 15_000);
  const asked = useData(
    () => (can('cases.read') ? api.get<{ consultations: Consultation[] }>('/api/consultations?role=asked&status=open') : Promise.resolve({ consultations: [] })),
    [],
  );
  const submissions = useData(() => (can('media.match') ? api.get<{ submissions: Submission[] }>('/api/submissions') : Promise.resolve({ submissions: [] })), []);
  const list = notifications.data?.notifications ?? [];
  const markRead = async (ids?: number[]) => {
    await api.post('/api/notifications/read', ids ? { ids } : {});
    await notifications.reload();
  };
  return (
    <Page
      title={t('home.title', { name: me?.user.username })}
      actions={
        notifications.data?.unread ? (
          <button type="button" className="secondary" onClick={() => void markRead()}>
            {t('home.markAllRead')}
          </button>
        ) : null
      }
    >
      {me && !me.certified && me.user.role !== 'auditor' ? <p className="warning" role="alert">{t('home.notCertified')}</p> : null}
      <div className="stats">
        <Stat label={t('home.unreadLabel')} value={notifications.data?.unread ?? '…'} tone={notifications.data?.unread ? 'warn' : undefined} />
        <Stat label={t('home.waitingAnswer')} value={asked.data?.consultations.length ?? '…'} />
        <Stat label={t('home.openSubmissions')} value={submissions.data?.submissions.filter((s) => s.status !== 'complete').length ?? '…'} />
      </div>
      <ErrorNote error={notifications.error} />
      <div className="columns">
        {GROUPS.map((g) => {
          const items = list.filter((n) => g.kinds.includes(n.kind));
          return (
            <section key={g.key} className="card" aria-labelledby={`h-${g.key}`}>
              <h2 id={`h-${g.key}`}>{t(g.key)}</h2>
              {items.length === 0 ? <Empty>{t('home.nothing')}</Empty> : null}
              <ul className="list">
                {items.slice(0, 12).map((n) => {
                  const to = notificationLink(n);
                  return (
                    <li key={n.id} className={n.readAt ? 'read' : 'unread-item'}>
                      {n.readAt ? null : <Badge tone="new">{t('home.new')}</Badge>} {to ? <Link to={to} onClick={() => void markRead([n.id])}>{n.message}</Link> : n.message}
                      <span className="muted small"> · {formatTime(n.createdAt)}</span>
                    </li>
                  );
                })}
              </ul>
            </section>
          );
        })}
      </div>
      {asked.data && asked.data.consultations.length > 0 ? (
        <section className="card">
          <h2>{t('home.askedOfYou')}</h2>
          <ul className="list">
            {asked.data.consultations.map((c) => (
              <li key={c.id}>
                <Link to="/consultations">{c.question}</Link> <span className="muted small">({c.askerCountry}, {formatTime(c.createdAt)})</span>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {submissions.data && submissions.data.submissions.length > 0 ? (
        <section className="card">
          <h2>{t('home.recentSubmissions')}</h2>
          <ul className="list">
            {submissions.data.submissions.slice(0, 8).map((s) => (
              <li key={s.id}>
                <Link to={`/submissions/${s.id}`}>{s.reference || `#${s.id}`}</Link> <Badge tone={s.status === 'complete' ? 'ok' : 'info'}>{t(`submission.status.${s.status}`)}</Badge>{' '}
                <span className="muted small">{formatTime(s.createdAt)}</span>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </Page>
  );
}
