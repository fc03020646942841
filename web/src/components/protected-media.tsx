import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { useSession } from '../session';
import type { MediaFacts } from '../types';

/**
 * Material as the viewer should first meet it (DESIGN.md section 7): the server's redacted thumbnail, further
 * blurred and greyed by the user's own setting. Revealing is deliberate, one item at a time (revealing another hides
 * this one), and loads the audited preview; videos play from the audited original with controls, muted unless the
 * user chose otherwise. Without a known type (`mime` omitted) the item's facts are read before revealing.
 */
export function ProtectedMedia({ id, mime, label, size = 'medium', allowReveal = true }: { id: number; mime?: string; label: string; size?: 'small' | 'medium' | 'large'; allowReveal?: boolean }) {
  const { t } = useTranslation();
  const { preferences, revealed, reveal, can } = useSession();
  const [type, setType] = useState<string | undefined>(mime);
  const [noThumbnail, setNoThumbnail] = useState(false);
  const [failed, setFailed] = useState(false);
  const isRevealed = revealed === id && type !== undefined;
  const isVideo = type?.startsWith('video/') ?? false;
  const canReveal = allowReveal && can('media.view');
  const filter = `blur(${preferences.blur}px)${preferences.grayscale ? ' grayscale(1)' : ''}`;

  const toggle = async () => {
    if (revealed === id) return reveal(null);
    if (type === undefined) {
      try {
        setType((await api.get<MediaFacts>(`/api/media/${id}`)).mime);
      } catch {
        setFailed(true);
        return;
      }
    }
    setFailed(false);
    reveal(id);
  };

  return (
    <figure className={`media media-${size}${isRevealed ? ' media-revealed' : ''}`} data-media-id={id}>
      <div className="media-frame">
        {isRevealed ? (
          isVideo ? (
            <video src={`/api/media/${id}/original`} controls muted={preferences.muteVideos} preload="metadata" aria-label={label} data-testid="revealed-video" onError={() => setFailed(true)} />
          ) : (
            <img src={`/api/media/${id}/preview`} alt={label} data-testid="revealed-image" onError={() => setFailed(true)} />
          )
        ) : noThumbnail ? (
          <span className="media-placeholder">{t('media.noThumbnail')}</span>
        ) : (
          <img src={`/api/media/${id}/thumbnail`} alt={t('media.redacted', { label })} style={{ filter }} className="redacted" data-testid="redacted-thumbnail" loading="lazy" onError={() => setNoThumbnail(true)} />
        )}
        {isVideo && !isRevealed ? <span className="media-kind">{t('media.video')}</span> : null}
      </div>
      {canReveal ? (
        <figcaption>
          <button type="button" className={isRevealed ? 'secondary' : 'reveal'} onClick={() => void toggle()} aria-pressed={isRevealed}>
            {isRevealed ? t('media.hide') : t('media.reveal')}
          </button>
          {isRevealed ? <span className="audited-note">{t('media.audited')}</span> : null}
          {failed ? <span className="error small">{t('media.unavailable')}</span> : null}
        </figcaption>
      ) : null}
    </figure>
  );
}
