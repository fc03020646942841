import { useTranslation } from 'react-i18next';
import { formatBytes, formatTime } from '../format';
import type { MediaFacts } from '../types';

/** An item's facts as a definition list: type, size, dimensions, camera, place and time, first sighting. */
export function FactsList({ facts }: { facts: MediaFacts }) {
  const { t } = useTranslation();
  const camera = [facts.camera.make, facts.camera.model].filter(Boolean).join(' ');
  return (
    <dl className="facts">
      <dt>{t('media.type')}</dt>
      <dd>{facts.mime}</dd>
      <dt>{t('media.size')}</dt>
      <dd>
        {formatBytes(facts.size)}
        {facts.width ? ` · ${facts.width}×${facts.height}` : ''}
      </dd>
      <dt>{t('media.camera')}</dt>
      <dd>{camera || '—'}{facts.camera.serial ? ` (${facts.camera.serial})` : ''}</dd>
      <dt>{t('media.taken')}</dt>
      <dd>{facts.takenAt ?? '—'}</dd>
      <dt>{t('media.place')}</dt>
      <dd>{facts.gps ? `${facts.gps.latitude.toFixed(5)}, ${facts.gps.longitude.toFixed(5)}` : '—'}</dd>
      <dt>{t('media.firstSeen')}</dt>
      <dd>
        {formatTime(facts.firstSeenAt)} {facts.firstCountry ? `(${facts.firstCountry})` : ''}
      </dd>
      <dt>SHA-256</dt>
      <dd className="hash">{facts.sha256}</dd>
    </dl>
  );
}
