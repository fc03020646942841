import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, query } from '../api';
import { Badge, Empty, ErrorNote, Loading, Page } from '../components/ui';
import { VictimStatusBadge, VictimStatusOptions } from '../components/victim-status';
import { formatTime } from '../format';
import { useAction, useData } from '../hooks';
import { Link, navigate } from '../router';
import { useSession } from '../session';
import type { Person } from '../types';

/** Victims and offenders the user sees (own agency, or linked by a visible investigation); record a new one. */
export function PeoplePage() {
  const { t } = useTranslation();
  const { can } = useSession();
  const [filterKind, setFilterKind] = useState('');
  const [filterStatus, setFilterStatus] = useState('');
  const list = useData(() => api.get<{ people: Person[] }>(`/api/people${query({ kind: filterKind, status: filterStatus, limit: 200 })}`), [filterKind, filterStatus]);
  const [kind, setKind] = useState<'victim' | 'offender'>('victim');
  const [label, setLabel] = useState('');
  const [ageMin, setAgeMin] = useState('');
  const [ageMax, setAgeMax] = useState('');
  const [sex, setSex] = useState<'female' | 'male' | 'unknown'>('unknown');
  const [descriptors, setDescriptors] = useState('');
  const create = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const p = await create.run(() =>
      api.post<Person>('/api/people', { kind, label, sex, descriptors, ageMin: ageMin ? Number(ageMin) : null, ageMax: ageMax ? Number(ageMax) : null }),
    );
    if (p) navigate(`/people/${p.id}`);
  };
  return (
    <Page title={t('nav.people')}>
      <div className="filters">
        <label>
          {t('people.kindField')}
          <select value={filterKind} onChange={(e) => setFilterKind(e.target.value)}>
            <option value="">{t('triage.all')}</option>
            <option value="victim">{t('people.kind.victim')}</option>
            <option value="offender">{t('people.kind.offender')}</option>
          </select>
        </label>
        <label>
          {t('series.status')}
          <select value={filterStatus} onChange={(e) => setFilterStatus(e.target.value)}>
            <option value="">{t('triage.all')}</option>
            <VictimStatusOptions />
          </select>
        </label>
      </div>
      <ErrorNote error={list.error} />
      {list.data && list.data.people.length === 0 ? <Empty>{t('people.none')}</Empty> : null}
      <table className="table">
        <thead>
          <tr>
            <th scope="col">{t('people.label')}</th>
            <th scope="col">{t('people.kindField')}</th>
            <th scope="col">{t('people.age')}</th>
            <th scope="col">{t('series.status')}</th>
            <th scope="col">{t('people.notice')}</th>
            <th scope="col">{t('people.owner')}</th>
          </tr>
        </thead>
        <tbody>
          {list.data?.people.map((p) => (
            <tr key={p.id}>
              <td>
                <Link to={`/people/${p.id}`}>{p.label}</Link>
              </td>
              <td>{t(`people.kind.${p.kind}`)}</td>
              <td>{p.ageMin !== null || p.ageMax !== null ? `${p.ageMin ?? '?'}–${p.ageMax ?? '?'}` : '—'}</td>
              <td>
                <VictimStatusBadge status={p.status} />
              </td>
              <td>{p.notice ? <Badge tone={p.notice.kind}>{t(`notices.kind.${p.notice.kind}`)} {p.notice.reference}</Badge> : '—'}</td>
              <td>{p.countryCode}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {can('cases.write') ? (
        <form className="form card narrow" onSubmit={submit} aria-label={t('people.new')}>
          <h2>{t('people.new')}</h2>
          <label>
            {t('people.kindField')}
            <select value={kind} onChange={(e) => setKind(e.target.value as typeof kind)}>
              <option value="victim">{t('people.kind.victim')}</option>
              <option value="offender">{t('people.kind.offender')}</option>
            </select>
          </label>
          <label>
            {t('people.label')}
            <input name="label" required maxLength={200} value={label} onChange={(e) => setLabel(e.target.value)} />
          </label>
          <div className="row">
            <label>
              {t('people.ageMin')}
              <input name="age-min" type="number" min={0} max={120} value={ageMin} onChange={(e) => setAgeMin(e.target.value)} />
            </label>
            <label>
              {t('people.ageMax')}
              <input name="age-max" type="number" min={0} max={120} value={ageMax} onChange={(e) => setAgeMax(e.target.value)} />
            </label>
            <label>
              {t('people.sex')}
              <select value={sex} onChange={(e) => setSex(e.target.value as typeof sex)}>
                {(['unknown', 'female', 'male'] as const).map((s) => (
                  <option key={s} value={s}>
                    {t(`people.sexValue.${s}`)}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <label>
            {t('people.descriptors')}
            <textarea name="descriptors" maxLength={4000} value={descriptors} onChange={(e) => setDescriptors(e.target.value)} />
          </label>
          <ErrorNote error={create.error} />
          <button type="submit" disabled={create.busy}>
            {t('common.create')}
          </button>
        </form>
      ) : null}
    </Page>
  );
}

export function PersonPage({ id }: { id: number }) {
  const { t } = useTranslation();
  const p = useData(() => api.get<Person>(`/api/people/${id}`), [id]);
  const action = useAction();
  const data = p.data;
  if (!data) return p.error ? <ErrorNote error={p.error} /> : <Loading />;
  return (
    <Page title={`${t(`people.kind.${data.kind}`)}: ${data.label}`}>
      <dl className="facts">
        <dt>{t('series.status')}</dt>
        <dd>
          <select
            aria-label={t('series.status')}
            value={data.status}
            onChange={(e) => void action.run(async () => p.setData(await api.patch<Person>(`/api/people/${id}`, { status: e.target.value })))}
          >
            <VictimStatusOptions />
          </select>{' '}
          <VictimStatusBadge status={data.status} />
        </dd>
        <dt>{t('people.age')}</dt>
        <dd>{data.ageMin !== null || data.ageMax !== null ? `${data.ageMin ?? '?'}–${data.ageMax ?? '?'}` : '—'}</dd>
        <dt>{t('people.sex')}</dt>
        <dd>{t(`people.sexValue.${data.sex}`)}</dd>
        <dt>{t('people.descriptors')}</dt>
        <dd>{data.descriptors || '—'}</dd>
        <dt>{t('people.notice')}</dt>
        <dd>{data.notice ? <Badge tone={data.notice.kind}>{t(`notices.kind.${data.notice.kind}`)} {data.notice.reference}</Badge> : '—'}</dd>
        <dt>{t('people.owner')}</dt>
        <dd>{data.countryCode}</dd>
        <dt>{t('common.updated')}</dt>
        <dd>{formatTime(data.updatedAt)}</dd>
      </dl>
      <h2>{t('investigations.links')}</h2>
      <ul className="list">
        {data.links.map((l) => (
          <li key={`${l.type}-${l.id}`}>
            <Link to={l.type === 'series' ? `/series/${l.id}` : `/media/${l.id}`}>{t(`investigations.linkKind.${l.type}`)} #{l.id}</Link>
          </li>
        ))}
      </ul>
      <ErrorNote error={action.error} />
    </Page>
  );
}
