import { useTranslation } from 'react-i18next';
import { useSession } from '../session';

/**
 * Material as the viewer should first meet it (DESIGN.md section 7): the server's redacted thumbnail, further
 * blurred and greyed by the user's own setting. Revealing is deliberate, one item at a time (revealing another hides
 * this one), and loads the audited preview; videos play from the audited original, muted unless the user chose
 * otherwise.
 */
export function ProtectedMedia({ id, mime, label, size = 'medium', allowReveal = true }: { id: number; mime: string; label: string; size?: 'small' | 'medium' | 'large'; allowReveal?: boolean }) {
  const { t } = useTranslation();
  const { preferences, revealed, reveal, can } = useSession();
  const isRevealed = revealed === id;
  const isVideo = mime.startsWith('video/');
  const canReveal = allowReveal && can('media.view');
  const filter = `blur(${preferences.blur}px)${preferences.grayscale ? ' grayscale(1)' : ''}`;
  return (
    <figure className={`media media-${size}${isRevealed ? ' media-revealed' : ''}`} data-media-id={id}>
      <div className="media-frame">
        {isRevealed ? (
          isVideo ? (
            <video src={`/api/media/${id}/original`} controls muted={preferences.muteVideos} preload="metadata" aria-label={label} data-testid="revealed-video" />
          ) : (
            <img src={`/api/media/${id}/preview`} alt={label} data-testid="revealed-image" />
          )
        ) : (
          <img src={`/api/media/${id}/thumbnail`} alt={t('media.redacted', { label })} style={{ filter }} className="redacted" data-testid="redacted-thumbnail" loading="lazy" />
        )}
        {isVideo && !isRevealed ? <span className="media-kind">{t('media.video')}</span> : null}
      </div>
      {canReveal ? (
        <figcaption>
          <button type="button" className={isRevealed ? 'secondary' : 'reveal'} onClick={() => reveal(isRevealed ? null : id)} aria-pressed={isRevealed}>
            {isRevealed ? t('media.hide') : t('media.reveal')}
          </button>
          {isRevealed ? <span className="audited-note">{t('media.audited')}</span> : null}
        </figcaption>
      ) : null}
    </figure>
  );
}
