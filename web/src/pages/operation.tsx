import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { Badge, Empty, ErrorNote, Loading, Page } from '../components/ui';
import { formatTime } from '../format';
import { useAction, useData } from '../hooks';
import { Link } from '../router';
import type { OperationSummary } from '../types';

interface Operation extends OperationSummary {
  description: string;
  myRole: 'coordinator' | 'participant';
  participants: Array<{ countryCode: string; role: 'coordinator' | 'participant'; contact: { userId: number; username: string; agencyId: number }; addedAt: number }>;
  items: Array<{ id: number; kind: 'investigation' | 'notice'; targetId: number; title: string; countryCode: string; sharedCountry: string; sharedAt: number }>;
}
interface Target {
  id: number;
  label: string;
  details: string;
  countryCode: string | null;
  status: string;
}
interface Action {
  id: number;
  happenedAt: number;
  title: string;
  details: string;
  countryCode: string;
}
interface Message {
  id: number;
  author: { userId: number; username: string };
  countryCode: string;
  body: string;
  createdAt: number;
}

/** A joint operation: participating countries, shared investigations and notices, targets, timeline and board. */
export function OperationPage({ id }: { id: number }) {
  const { t } = useTranslation();
  const op = useData(() => api.get<Operation>(`/api/operations/${id}`), [id]);
  const targets = useData(() => api.get<{ targets: Target[] }>(`/api/operations/${id}/targets?limit=200`), [id]);
  const timeline = useData(() => api.get<{ actions: Action[] }>(`/api/operations/${id}/timeline?limit=200`), [id]);
  const messages = useData(() => api.get<{ messages: Message[] }>(`/api/operations/${id}/messages?limit=100`), [id], 15_000);
  const action = useAction();
  const [country, setCountry] = useState('');
  const [contact, setContact] = useState('');
  const [itemKind, setItemKind] = useState<'investigation' | 'notice'>('investigation');
  const [itemId, setItemId] = useState('');
  const [message, setMessage] = useState('');
  const o = op.data;
  if (!o) return op.error ? <ErrorNote error={op.error} /> : <Loading />;
  const coordinator = o.myRole === 'coordinator';
  const change = (fn: () => Promise<Operation>) => action.run(async () => op.setData(await fn()));
  return (
    <Page title={o.name} actions={<Badge tone="info">{t(`operations.status.${o.status}`)}</Badge>}>
      <p className="muted">
        {t('operations.coordinator', { country: o.coordinatorCountry })} · {formatTime(o.createdAt)}
      </p>
      {o.description ? <p>{o.description}</p> : null}
      <ErrorNote error={action.error} />
      <div className="columns">
        <section className="card">
          <h2>{t('operations.participants')}</h2>
          <ul className="list">
            {o.participants.map((p) => (
              <li key={p.countryCode}>
                {p.countryCode} · {t(`operations.role.${p.role}`)} · {p.contact.username}
              </li>
            ))}
          </ul>
          {coordinator ? (
            <form
              className="row"
              onSubmit={(e) => {
                e.preventDefault();
                void change(() => api.put<Operation>(`/api/operations/${id}/participants/${country.toUpperCase()}`, { contactUserId: Number(contact) })).then(() => (setCountry(''), setContact('')));
              }}
            >
              <label>
                {t('investigations.country')}
                <input required pattern="[A-Za-z]{2}" size={4} value={country} onChange={(e) => setCountry(e.target.value)} />
              </label>
              <label>
                {t('operations.contact')}
                <input required pattern="[0-9]+" size={6} value={contact} onChange={(e) => setContact(e.target.value)} />
              </label>
              <button type="submit" className="small">
                {t('common.add')}
              </button>
            </form>
          ) : null}
        </section>
        <section className="card">
          <h2>{t('operations.items')}</h2>
          {o.items.length === 0 ? <Empty>{t('investigations.noLinks')}</Empty> : null}
          <ul className="list" data-testid="operation-items">
            {o.items.map((i) => (
              <li key={i.id}>
                <Link to={i.kind === 'notice' ? `/notices/${i.targetId}` : `/investigations/${i.targetId}`}>{i.title}</Link> ({i.countryCode})
              </li>
            ))}
          </ul>
          <form
            className="row"
            onSubmit={(e) => {
              e.preventDefault();
              void change(() => api.post<Operation>(`/api/operations/${id}/items`, { kind: itemKind, targetId: Number(itemId) })).then(() => setItemId(''));
            }}
          >
            <select aria-label={t('investigations.linkKindField')} value={itemKind} onChange={(e) => setItemKind(e.target.value as typeof itemKind)}>
              <option value="investigation">{t('nav.investigations')}</option>
              <option value="notice">{t('nav.notices')}</option>
            </select>
            <label>
              {t('investigations.targetId')}
              <input name="item-id" required pattern="[0-9]+" size={6} value={itemId} onChange={(e) => setItemId(e.target.value)} />
            </label>
            <button type="submit" className="small">
              {t('investigations.share')}
            </button>
          </form>
        </section>
      </div>
      <div className="columns">
        <section className="card">
          <h2>{t('operations.targets')}</h2>
          <ul className="list">
            {targets.data?.targets.map((x) => (
              <li key={x.id}>
                {x.label} {x.countryCode ? `(${x.countryCode})` : ''} · {t(`operations.targetStatus.${x.status}`, { defaultValue: x.status })}
              </li>
            ))}
          </ul>
          <AddLineForm label={t('operations.target')} onAdd={(label) => action.run(() => api.post(`/api/operations/${id}/targets`, { label })).then((r) => (r ? (void targets.reload(), true) : false))} />
        </section>
        <section className="card">
          <h2>{t('operations.timeline')}</h2>
          <ol className="list">
            {timeline.data?.actions.map((a) => (
              <li key={a.id}>
                {formatTime(a.happenedAt)} · {a.title} ({a.countryCode})
              </li>
            ))}
          </ol>
          <AddLineForm label={t('operations.event')} onAdd={(title) => action.run(() => api.post(`/api/operations/${id}/timeline`, { happenedAt: Date.now(), title })).then((r) => (r ? (void timeline.reload(), true) : false))} />
        </section>
      </div>
      <section className="card">
        <h2>{t('operations.board')}</h2>
        <ol className="comment-list">
          {messages.data?.messages.map((m) => (
            <li key={m.id}>
              <p className="comment-meta">
                <strong>{m.author.username}</strong> ({m.countryCode}) · {formatTime(m.createdAt)}
              </p>
              <p>{m.body}</p>
            </li>
          ))}
        </ol>
        <form
          className="form"
          onSubmit={(e) => {
            e.preventDefault();
            void action.run(() => api.post(`/api/operations/${id}/messages`, { body: message })).then((r) => r && (setMessage(''), void messages.reload()));
          }}
        >
          <label>
            {t('operations.message')}
            <textarea required maxLength={20000} value={message} onChange={(e) => setMessage(e.target.value)} />
          </label>
          <button type="submit">{t('comments.post')}</button>
        </form>
      </section>
    </Page>
  );
}

/** One line of text added to a list (a target, a timeline entry); cleared once the addition succeeded. */
function AddLineForm({ label, onAdd }: { label: string; onAdd: (value: string) => Promise<boolean> }) {
  const { t } = useTranslation();
  const [value, setValue] = useState('');
  return (
    <form
      className="row"
      onSubmit={(e) => {
        e.preventDefault();
        void onAdd(value).then((added) => added && setValue(''));
      }}
    >
      <label>
        {label}
        <input required maxLength={300} value={value} onChange={(e) => setValue(e.target.value)} />
      </label>
      <button type="submit" className="small">
        {t('common.add')}
      </button>
    </form>
  );
}
