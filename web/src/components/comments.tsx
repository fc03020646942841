import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, query } from '../api';
import { formatTime } from '../format';
import { useAction, useData } from '../hooks';
import type { Comment } from '../types';
import { Empty, ErrorNote } from './ui';

/** The comment thread of an investigation (or of one item or series inside it); @username mentions notify. */
export function Comments({ investigationId, targetType = 'investigation', targetId, canWrite }: { investigationId: number; targetType?: Comment['targetType']; targetId?: number; canWrite: boolean }) {
  const { t } = useTranslation();
  const list = useData(() => api.get<{ comments: Comment[] }>(`/api/comments${query({ investigationId, targetType: targetId ? targetType : undefined, targetId })}`), [investigationId, targetType, targetId], 10_000);
  const [body, setBody] = useState('');
  const [replyTo, setReplyTo] = useState<Comment | null>(null);
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const created = await action.run(() => api.post<Comment>('/api/comments', { investigationId, targetType, targetId, parentId: replyTo?.id, body }));
    if (created) {
      setBody('');
      setReplyTo(null);
      await list.reload();
    }
  };
  const comments = list.data?.comments ?? [];
  return (
    <div className="comments">
      {comments.length === 0 ? <Empty>{t('comments.none')}</Empty> : null}
      <ol className="comment-list">
        {comments.map((c) => (
          <li key={c.id} className={c.parentId ? 'reply' : undefined} data-testid="comment">
            <p className="comment-meta">
              <strong>{c.author}</strong> · {formatTime(c.createdAt)}
              {c.edited ? ` · ${t('comments.edited')}` : ''}
              {c.targetType !== 'investigation' ? ` · ${t(`comments.about.${c.targetType}`, { id: c.targetId })}` : ''}
            </p>
            <p className={c.deleted ? 'muted' : undefined}>{c.deleted ? t('comments.deleted') : c.body}</p>
            {canWrite && !c.deleted ? (
              <button type="button" className="small secondary" onClick={() => setReplyTo(c)}>
                {t('comments.reply')}
              </button>
            ) : null}
          </li>
        ))}
      </ol>
      {canWrite ? (
        <form className="form" onSubmit={submit}>
          <label>
            {replyTo ? t('comments.replyTo', { author: replyTo.author }) : t('comments.add')}
            <textarea name="comment" required maxLength={10000} value={body} onChange={(e) => setBody(e.target.value)} placeholder={t('comments.placeholder')} />
          </label>
          <ErrorNote error={action.error} />
          <div className="row">
            <button type="submit" disabled={action.busy}>
              {t('comments.post')}
            </button>
            {replyTo ? (
              <button type="button" className="secondary" onClick={() => setReplyTo(null)}>
                {t('common.cancel')}
              </button>
            ) : null}
          </div>
        </form>
      ) : null}
    </div>
  );
}
