import { useEffect, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from './api';
import { Loading } from './components/ui';
import { LANGUAGES, type Language } from './i18n';
import { AdminUsersPage } from './pages/admin-users';
import { AuditPage } from './pages/audit';
import { ComparePage } from './pages/compare';
import { ConsultationsPage } from './pages/consultations';
import { HomePage } from './pages/home';
import { InvestigationPage } from './pages/investigation';
import { InvestigationsPage } from './pages/investigations';
import { MediaPage } from './pages/media';
import { NoticePage } from './pages/notice';
import { NoticesPage } from './pages/notices';
import { OperationPage } from './pages/operation';
import { PeoplePage, PersonPage } from './pages/people';
import { SeriesListPage, SeriesPage } from './pages/series';
import { SettingsPage } from './pages/settings';
import { SignInPage } from './pages/sign-in';
import { StatisticsPage } from './pages/statistics';
import { SubmissionPage } from './pages/submission';
import { SubmissionsPage } from './pages/submissions';
import { UploadPage } from './pages/upload';
import { Link, matchPath, useLocation } from './router';
import { useSession } from './session';

interface RouteDef {
  readonly path: string;
  readonly permission?: string;
  readonly render: (params: Record<string, string>) => ReactNode;
}

const ROUTES: readonly RouteDef[] = [
  { path: '/', render: () => <HomePage /> },
  { path: '/upload', permission: 'media.upload', render: () => <UploadPage /> },
  { path: '/submissions', permission: 'media.match', render: () => <SubmissionsPage /> },
  { path: '/submissions/:id', permission: 'media.match', render: (p) => <SubmissionPage id={Number(p.id)} /> },
  { path: '/compare/:query/:stored', permission: 'media.match', render: (p) => <ComparePage queryId={Number(p.query)} storedId={Number(p.stored)} /> },
  { path: '/media/:id', permission: 'media.match', render: (p) => <MediaPage id={Number(p.id)} /> },
  { path: '/investigations', permission: 'cases.read', render: () => <InvestigationsPage /> },
  { path: '/investigations/:id', permission: 'cases.read', render: (p) => <InvestigationPage id={Number(p.id)} /> },
  { path: '/series', permission: 'cases.read', render: () => <SeriesListPage /> },
  { path: '/series/:id', permission: 'cases.read', render: (p) => <SeriesPage id={Number(p.id)} /> },
  { path: '/people', permission: 'cases.read', render: () => <PeoplePage /> },
  { path: '/people/:id', permission: 'cases.read', render: (p) => <PersonPage id={Number(p.id)} /> },
  { path: '/consultations', permission: 'cases.read', render: () => <ConsultationsPage /> },
  { path: '/notices', permission: 'notices.read', render: () => <NoticesPage /> },
  { path: '/notices/:id', permission: 'notices.read', render: (p) => <NoticePage id={Number(p.id)} /> },
  { path: '/operations/:id', permission: 'operations.read', render: (p) => <OperationPage id={Number(p.id)} /> },
  { path: '/statistics', permission: 'stats.read', render: () => <StatisticsPage /> },
  { path: '/admin/users', permission: 'users.admin', render: () => <AdminUsersPage /> },
  { path: '/audit', permission: 'audit.read', render: () => <AuditPage /> },
  { path: '/settings', render: () => <SettingsPage /> },
];

const NAV: ReadonlyArray<{ to: string; key: string; permission?: string }> = [
  { to: '/', key: 'nav.home' },
  { to: '/upload', key: 'nav.upload', permission: 'media.upload' },
  { to: '/submissions', key: 'nav.submissions', permission: 'media.match' },
  { to: '/investigations', key: 'nav.investigations', permission: 'cases.read' },
  { to: '/series', key: 'nav.series', permission: 'cases.read' },
  { to: '/people', key: 'nav.people', permission: 'cases.read' },
  { to: '/consultations', key: 'nav.consultations', permission: 'cases.read' },
  { to: '/notices', key: 'nav.notices', permission: 'notices.read' },
  { to: '/statistics', key: 'nav.statistics', permission: 'stats.read' },
  { to: '/admin/users', key: 'nav.users', permission: 'users.admin' },
  { to: '/audit', key: 'nav.audit', permission: 'audit.read' },
  { to: '/settings', key: 'nav.settings' },
];

export function App() {
  const { t } = useTranslation();
  const session = useSession();
  const { path } = useLocation();

  // Focus the page heading after navigation so screen readers announce the new page.
  useEffect(() => {
    document.getElementById('page-title')?.focus({ preventScroll: true });
  }, [path]);

  if (session.loading) return <Loading />;
  if (!session.me || session.me.restricted) return <SignInPage />;

  let content: ReactNode = <p>{t('common.notFound')}</p>;
  for (const r of ROUTES) {
    const params = matchPath(r.path, path);
    if (!params) continue;
    content = r.permission && !session.can(r.permission) ? <p role="alert">{t('common.forbidden')}</p> : r.render(params);
    break;
  }
  const active = (to: string) => (to === '/' ? path === '/' : path === to || path.startsWith(`${to}/`));
  return (
    <div className="shell">
      <a href="#main" className="skip-link">
        {t('nav.skip')}
      </a>
      <header className="topbar">
        <Link to="/" className="brand">
          Ariadne
        </Link>
        <span className="who">
          {session.me.user.username} · {session.me.user.agencyName} ({session.me.user.countryCode})
        </span>
        <UnreadBadge />
        <LanguageSelect />
        <button type="button" className="secondary" onClick={() => void session.signOut()}>
          {t('nav.signOut')}
        </button>
      </header>
      <div className="body">
        <nav aria-label={t('nav.main')} className="sidenav">
          <ul>
            {NAV.filter((n) => !n.permission || session.can(n.permission)).map((n) => (
              <li key={n.to}>
                <Link to={n.to} aria-current={active(n.to) ? 'page' : undefined}>
                  {t(n.key)}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main">{content}</main>
      </div>
    </div>
  );
}

function LanguageSelect() {
  const { t, i18n } = useTranslation();
  const { savePreferences } = useSession();
  return (
    <label className="inline">
      <span className="visually-hidden">{t('settings.language')}</span>
      <select value={i18n.language} onChange={(e) => void savePreferences({ locale: e.target.value as Language })}>
        {Object.entries(LANGUAGES).map(([code, name]) => (
          <option key={code} value={code}>
            {name}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Unread notifications, kept live by the server's event stream. */
function UnreadBadge() {
  const { t } = useTranslation();
  const [unread, setUnread] = useState(0);
  useEffect(() => {
    let stopped = false;
    const load = () => void api.get<{ unread: number }>('/api/notifications?limit=1').then((r) => !stopped && setUnread(r.unread), () => undefined);
    load();
    const stream = new EventSource('/api/notifications/stream');
    stream.onmessage = load;
    stream.addEventListener('notification', load);
    return () => {
      stopped = true;
      stream.close();
    };
  }, []);
  return (
    <Link to="/" className="unread" aria-label={t('home.unread', { count: unread })}>
      {t('home.unreadShort', { count: unread })}
    </Link>
  );
}
