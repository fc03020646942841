import { useTranslation } from 'react-i18next';
import { Page } from '../components/ui';

export function NoticesPage() {
  const { t } = useTranslation();
  return (
    <Page title={t('nav.notices')}>
      <p className="muted">{t('notices.unavailable')}</p>
    </Page>
  );
}
