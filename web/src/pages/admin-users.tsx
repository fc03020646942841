import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, query } from '../api';
import { Enrolment } from '../components/enrolment';
import { Badge, ErrorNote, Page } from '../components/ui';
import { formatTime } from '../format';
import { useAction, useData } from '../hooks';
import { useSession } from '../session';
import type { Role, User } from '../types';

interface Issued {
  user: User;
  oneTimePassword: string;
  totpSecret: string;
  totpUri: string;
}

interface Agency {
  id: number;
  countryCode: string;
  name: string;
}

const ROLES: readonly Role[] = ['investigator', 'country_admin', 'global_admin', 'auditor'];

/** Accounts the admin may administer: create (with enrolment QR code), certify, suspend, reinstate, reset. */
export function AdminUsersPage() {
  const { t } = useTranslation();
  const { me } = useSession();
  const [country, setCountry] = useState(me?.user.role === 'global_admin' ? '' : (me?.user.countryCode ?? ''));
  const users = useData(() => api.get<{ users: User[] }>(`/api/admin/users${query({ country })}`), [country]);
  const agencies = useData(() => api.get<{ agencies: Agency[] }>('/api/admin/agencies'), []);
  const [issued, setIssued] = useState<Issued | null>(null);
  const [username, setUsername] = useState('');
  const [agencyId, setAgencyId] = useState('');
  const [role, setRole] = useState<Role>('investigator');
  const [days, setDays] = useState('365');
  const action = useAction();
  const [newAgency, setNewAgency] = useState('');

  const create = async (e: FormEvent) => {
    e.preventDefault();
    const answer = await action.run(() =>
      api.post<Issued>('/api/admin/users', { username, agencyId: Number(agencyId), role, certifiedUntil: role === 'auditor' || !days ? null : Date.now() + Number(days) * 86_400_000 }),
    );
    if (answer) {
      setIssued(answer);
      setUsername('');
      await users.reload();
    }
  };
  const act = async (fn: () => Promise<unknown>) => {
    await action.run(fn);
    await users.reload();
  };
  return (
    <Page title={t('nav.users')}>
      {issued ? <Enrolment username={issued.user.username} oneTimePassword={issued.oneTimePassword} totpSecret={issued.totpSecret} totpUri={issued.totpUri} /> : null}
      <ErrorNote error={action.error} />
      <div className="columns">
        <form className="form card" onSubmit={create} aria-labelledby="h-new-user">
          <h2 id="h-new-user">{t('admin.newUser')}</h2>
          <label>
            {t('signIn.username')}
            <input name="new-username" required pattern="[a-z0-9._\-]{3,64}" value={username} onChange={(e) => setUsername(e.target.value)} />
          </label>
          <label>
            {t('admin.agency')}
            <select name="agency" required value={agencyId} onChange={(e) => setAgencyId(e.target.value)}>
              <option value="">—</option>
              {agencies.data?.agencies.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name} ({a.countryCode})
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('admin.role')}
            <select name="role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {t(`roles.${r}`)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('admin.certifyDays')}
            <input name="certify-days" type="number" min={0} max={1095} value={days} onChange={(e) => setDays(e.target.value)} />
          </label>
          <button type="submit" disabled={action.busy}>
            {t('admin.create')}
          </button>
        </form>
        <section className="card">
          <h2>{t('admin.agencies')}</h2>
          <ul className="list">
            {agencies.data?.agencies.map((a) => (
              <li key={a.id}>
                {a.name} ({a.countryCode}) <span className="muted small">#{a.id}</span>
              </li>
            ))}
          </ul>
          <form
            className="row"
            onSubmit={(e) => {
              e.preventDefault();
              void act(() => api.post('/api/admin/agencies', { country: country || me?.user.countryCode, name: newAgency })).then(() => (setNewAgency(''), void agencies.reload()));
            }}
          >
            <label>
              {t('admin.newAgency')}
              <input name="agency-name" required value={newAgency} onChange={(e) => setNewAgency(e.target.value)} />
            </label>
            <button type="submit" className="small">
              {t('common.add')}
            </button>
          </form>
        </section>
      </div>
      {me?.user.role === 'global_admin' ? (
        <label>
          {t('investigations.country')}{' '}
          <input name="country-filter" size={4} value={country} onChange={(e) => setCountry(e.target.value.toUpperCase())} />
        </label>
      ) : null}
      <table className="table">
        <thead>
          <tr>
            <th scope="col">{t('signIn.username')}</th>
            <th scope="col">{t('admin.agency')}</th>
            <th scope="col">{t('admin.role')}</th>
            <th scope="col">{t('common.status')}</th>
            <th scope="col">{t('admin.certifiedUntil')}</th>
            <th scope="col">{t('common.actions')}</th>
          </tr>
        </thead>
        <tbody>
          {users.data?.users.map((u) => (
            <tr key={u.id}>
              <td>
                {u.username} <span className="muted small">#{u.id}</span>
              </td>
              <td>
                {u.agencyName} ({u.countryCode})
              </td>
              <td>{t(`roles.${u.role}`)}</td>
              <td>
                <Badge tone={u.status === 'active' ? 'ok' : 'warn'}>{t(`admin.status.${u.status}`)}</Badge> {u.totpConfirmed ? null : <Badge tone="info">{t('admin.notEnrolled')}</Badge>}
              </td>
              <td>{u.certifiedUntil ? formatTime(u.certifiedUntil) : '—'}</td>
              <td>
                {u.id !== me?.user.id ? (
                  <div className="row">
                    <button type="button" className="small secondary" onClick={() => void act(() => api.post(`/api/admin/users/${u.id}/certify`, { until: Date.now() + 365 * 86_400_000 }))}>
                      {t('admin.certify')}
                    </button>
                    {u.status === 'active' ? (
                      <button type="button" className="small secondary" onClick={() => void act(() => api.post(`/api/admin/users/${u.id}/suspend`))}>
                        {t('admin.suspend')}
                      </button>
                    ) : (
                      <button type="button" className="small secondary" onClick={() => void act(() => api.post(`/api/admin/users/${u.id}/reinstate`))}>
                        {t('admin.reinstate')}
                      </button>
                    )}
                    <button
                      type="button"
                      className="small secondary"
                      onClick={() =>
                        void action.run(async () => {
                          if (!window.confirm(t('admin.resetConfirm', { username: u.username }))) return;
                          setIssued(await api.post<Issued>(`/api/admin/users/${u.id}/reset`));
                          await users.reload();
                        })
                      }
                    >
                      {t('admin.reset')}
                    </button>
                  </div>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Page>
  );
}
