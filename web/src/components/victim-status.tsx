import { useTranslation } from 'react-i18next';
import type { VictimStatus } from '../types';
import { Badge } from './ui';

/** A victim's (or a series') identification status: the choices, their colour, the badge. */
export const VICTIM_STATUSES: readonly VictimStatus[] = ['unidentified', 'identified', 'safeguarded'];

export function victimTone(s: VictimStatus): 'warn' | 'info' | 'ok' {
  return s === 'unidentified' ? 'warn' : s === 'identified' ? 'info' : 'ok';
}

export function VictimStatusBadge({ status }: { status: VictimStatus }) {
  const { t } = useTranslation();
  return <Badge tone={victimTone(status)}>{t(`victim.${status}`)}</Badge>;
}

/** The `<option>`s of a status select, in the user's language. */
export function VictimStatusOptions() {
  const { t } = useTranslation();
  return (
    <>
      {VICTIM_STATUSES.map((s) => (
        <option key={s} value={s}>
          {t(`victim.${s}`)}
        </option>
      ))}
    </>
  );
}
