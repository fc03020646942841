import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, query } from '../api';
import { Badge, Empty, ErrorNote, Page } from '../components/ui';
import { formatTime } from '../format';
import { useAction, useData } from '../hooks';
import { Link, navigate } from '../router';
import { useSession } from '../session';
import type { Notice, NoticeKind, NoticeSummary, OperationSummary } from '../types';

export function noticeTone(kind: NoticeKind): 'yellow' | 'green' {
  return kind;
}

/** Green and Yellow Notices the user sees (published ones, the own country's drafts) and joint operations. */
export function NoticesPage() {
  const { t } = useTranslation();
  const { can } = useSession();
  const [kind, setKind] = useState('');
  const [status, setStatus] = useState('');
  const [text, setText] = useState('');
  const list = useData(() => api.get<{ notices: NoticeSummary[] }>(`/api/notices${query({ kind, status, q: text, limit: 100 })}`), [kind, status, text]);
  const operations = useData(
    () => (can('operations.read') ? api.get<{ operations: OperationSummary[] }>('/api/operations?limit=50') : Promise.resolve({ operations: [] })),
    [],
  );
  return (
    <Page title={t('nav.notices')}>
      {can('notices.write') ? <NewNotice /> : null}
      <section aria-labelledby="h-notices">
        <h2 id="h-notices">{t('notices.title')}</h2>
        <div className="filters">
          <label>
            {t('notices.kindField')}
            <select value={kind} onChange={(e) => setKind(e.target.value)}>
              <option value="">{t('triage.all')}</option>
              <option value="yellow">{t('notices.kind.yellow')}</option>
              <option value="green">{t('notices.kind.green')}</option>
            </select>
          </label>
          <label>
            {t('common.status')}
            <select value={status} onChange={(e) => setStatus(e.target.value)}>
              <option value="">{t('triage.all')}</option>
              {(['draft', 'requested', 'published', 'cancellation_requested', 'cancelled'] as const).map((s) => (
                <option key={s} value={s}>
                  {t(`notices.status.${s}`)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('notices.search')}
            <input type="search" value={text} onChange={(e) => setText(e.target.value)} />
          </label>
        </div>
        <ErrorNote error={list.error} />
        {list.data && list.data.notices.length === 0 ? <Empty>{t('notices.none')}</Empty> : null}
        <table className="table" data-testid="notices">
          <thead>
            <tr>
              <th scope="col">{t('notices.reference')}</th>
              <th scope="col">{t('notices.subject')}</th>
              <th scope="col">{t('notices.kindField')}</th>
              <th scope="col">{t('common.status')}</th>
              <th scope="col">{t('investigations.country')}</th>
              <th scope="col">{t('common.updated')}</th>
            </tr>
          </thead>
          <tbody>
            {list.data?.notices.map((n) => (
              <tr key={n.id}>
                <td>
                  <Link to={`/notices/${n.id}`}>{n.reference || `#${n.id}`}</Link>
                </td>
                <td>{n.subjectName}</td>
                <td>
                  <Badge tone={noticeTone(n.kind)}>{t(`notices.kind.${n.kind}`)}</Badge>
                </td>
                <td>
                  {t(`notices.status.${n.status}`)}
                  {n.subjectStatus ? ` · ${t(`notices.subjectStatus.${n.subjectStatus}`)}` : ''}
                </td>
                <td>{n.countryCode}</td>
                <td>{formatTime(n.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {can('operations.read') ? <Operations list={operations.data?.operations} error={operations.error} onCreated={() => void operations.reload()} /> : null}
    </Page>
  );
}

function NewNotice() {
  const { t } = useTranslation();
  const [kind, setKind] = useState<NoticeKind>('yellow');
  const [family, setFamily] = useState('');
  const [given, setGiven] = useState('');
  const [sex, setSex] = useState<'female' | 'male' | 'unknown'>('unknown');
  const [birthDate, setBirthDate] = useState('');
  const [marks, setMarks] = useState('');
  const [date, setDate] = useState('');
  const [place, setPlace] = useState('');
  const [country, setCountry] = useState('');
  const [circumstances, setCircumstances] = useState('');
  const [guardians, setGuardians] = useState('');
  const [offences, setOffences] = useState('');
  const [convictionCountry, setConvictionCountry] = useState('');
  const [modus, setModus] = useState('');
  const [risk, setRisk] = useState<'low' | 'medium' | 'high' | 'very_high'>('high');
  const [riskSummary, setRiskSummary] = useState('');
  const action = useAction();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const person = {
      names: [{ family, given }],
      sex,
      birth: birthDate ? { date: birthDate } : null,
      physicalDescription: marks ? { distinguishingMarks: marks } : {},
    };
    const body =
      kind === 'yellow'
        ? { person, disappearance: { date, place, country: country.toUpperCase() }, circumstances, guardiansContact: guardians }
        : {
            person,
            convictions: offences ? [{ country: convictionCountry.toUpperCase(), offences: offences.split('\n').map((o) => o.trim()).filter(Boolean) }] : [],
            modusOperandi: modus,
            riskAssessment: { level: risk, summary: riskSummary, assessedOn: new Date().toISOString().slice(0, 10) },
          };
    const created = await action.run(() => api.post<Notice>('/api/notices', { kind, body }));
    if (created) navigate(`/notices/${created.id}`);
  };

  return (
    <details className="card">
      <summary>{t('notices.new')}</summary>
      <form className="form narrow" onSubmit={submit} aria-label={t('notices.new')}>
        <label>
          {t('notices.kindField')}
          <select name="notice-kind" value={kind} onChange={(e) => setKind(e.target.value as NoticeKind)}>
            <option value="yellow">{t('notices.kind.yellow')}</option>
            <option value="green">{t('notices.kind.green')}</option>
          </select>
        </label>
        <p className="muted small">{t(`notices.intro.${kind}`)}</p>
        <div className="row">
          <label>
            {t('notices.family')}
            <input name="family" required maxLength={200} value={family} onChange={(e) => setFamily(e.target.value)} />
          </label>
          <label>
            {t('notices.given')}
            <input name="given" maxLength={200} value={given} onChange={(e) => setGiven(e.target.value)} />
          </label>
        </div>
        <div className="row">
          <label>
            {t('people.sex')}
            <select name="sex" value={sex} onChange={(e) => setSex(e.target.value as typeof sex)}>
              {(['unknown', 'female', 'male'] as const).map((s) => (
                <option key={s} value={s}>
                  {t(`people.sexValue.${s}`)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('notices.birthDate')}
            <input name="birth-date" type="date" value={birthDate} onChange={(e) => setBirthDate(e.target.value)} />
          </label>
        </div>
        <label>
          {t('notices.marks')}
          <textarea name="marks" maxLength={2000} value={marks} onChange={(e) => setMarks(e.target.value)} />
        </label>
        {kind === 'yellow' ? (
          <>
            <div className="row">
              <label>
                {t('notices.missingSince')}
                <input name="disappearance-date" type="date" required value={date} onChange={(e) => setDate(e.target.value)} />
              </label>
              <label>
                {t('notices.place')}
                <input name="disappearance-place" required maxLength={500} value={place} onChange={(e) => setPlace(e.target.value)} />
              </label>
              <label>
                {t('investigations.country')}
                <input name="disappearance-country" required pattern="[A-Za-z]{2}" size={4} value={country} onChange={(e) => setCountry(e.target.value)} />
              </label>
            </div>
            <label>
              {t('notices.circumstances')}
              <textarea name="circumstances" maxLength={20000} value={circumstances} onChange={(e) => setCircumstances(e.target.value)} />
            </label>
            <label>
              {t('notices.guardians')}
              <input name="guardians" maxLength={2000} value={guardians} onChange={(e) => setGuardians(e.target.value)} />
            </label>
          </>
        ) : (
          <>
            <div className="row">
              <label>
                {t('notices.convictionCountry')}
                <input name="conviction-country" pattern="[A-Za-z]{2}" size={4} required={offences !== ''} value={convictionCountry} onChange={(e) => setConvictionCountry(e.target.value)} />
              </label>
              <label>
                {t('notices.risk')}
                <select name="risk" value={risk} onChange={(e) => setRisk(e.target.value as typeof risk)}>
                  {(['low', 'medium', 'high', 'very_high'] as const).map((r) => (
                    <option key={r} value={r}>
                      {t(`notices.riskLevel.${r}`)}
                    </option>
                  ))}
                </select>
              </label>
            </div>
            <label>
              {t('notices.offences')}
              <textarea name="offences" value={offences} onChange={(e) => setOffences(e.target.value)} />
            </label>
            <label>
              {t('notices.modus')}
              <textarea name="modus" maxLength={20000} value={modus} onChange={(e) => setModus(e.target.value)} />
            </label>
            <label>
              {t('notices.riskSummary')}
              <textarea name="risk-summary" maxLength={20000} value={riskSummary} onChange={(e) => setRiskSummary(e.target.value)} />
            </label>
          </>
        )}
        <ErrorNote error={action.error} />
        <button type="submit" disabled={action.busy}>
          {t('notices.draft')}
        </button>
      </form>
    </details>
  );
}

function Operations({ list, error, onCreated }: { list: OperationSummary[] | undefined; error: string | null; onCreated: () => void }) {
  const { t } = useTranslation();
  const { can } = useSession();
  const [name, setName] = useState('');
  const action = useAction();
  return (
    <section aria-labelledby="h-operations">
      <h2 id="h-operations">{t('operations.title')}</h2>
      {can('operations.write') ? (
        <form
          className="row card"
          onSubmit={(e) => {
            e.preventDefault();
            void action.run(() => api.post<{ id: number }>('/api/operations', { name })).then((op) => op && (setName(''), onCreated(), navigate(`/operations/${op.id}`)));
          }}
        >
          <label>
            {t('operations.name')}
            <input name="operation-name" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          <button type="submit" disabled={action.busy}>
            {t('operations.start')}
          </button>
          <ErrorNote error={action.error} />
        </form>
      ) : null}
      <ErrorNote error={error} />
      {list && list.length === 0 ? <Empty>{t('operations.none')}</Empty> : null}
      <ul className="list" data-testid="operations">
        {list?.map((o) => (
          <li key={o.id}>
            <Link to={`/operations/${o.id}`}>{o.name}</Link> · {t(`operations.status.${o.status}`)} · {t('operations.coordinator', { country: o.coordinatorCountry })}
          </li>
        ))}
      </ul>
    </section>
  );
}
