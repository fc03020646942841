import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';

/**
 * What an administrator hands a new (or reset) user, once: the one-time password and the authenticator enrolment
 * as a QR code (otpauth URI) with the secret spelled out for manual entry. Nothing here is stored by the browser.
 */
export function Enrolment({ username, oneTimePassword, totpSecret, totpUri }: { username: string; oneTimePassword: string; totpSecret: string; totpUri: string }) {
  const { t } = useTranslation();
  const [qr, setQr] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    void import('qrcode').then((m) => m.toDataURL(totpUri, { errorCorrectionLevel: 'M', margin: 2, width: 220 })).then((url) => live && setQr(url));
    return () => {
      live = false;
    };
  }, [totpUri]);
  return (
    <section className="card enrolment" aria-labelledby="h-enrol" data-testid="enrolment">
      <h2 id="h-enrol">{t('admin.enrolment', { username })}</h2>
      <p>{t('admin.enrolmentIntro')}</p>
      <div className="row">
        {qr ? <img src={qr} width={220} height={220} alt={t('admin.qrAlt', { username })} /> : null}
        <dl className="facts">
          <dt>{t('admin.oneTimePassword')}</dt>
          <dd>
            <code data-testid="one-time-password">{oneTimePassword}</code>
          </dd>
          <dt>{t('admin.secret')}</dt>
          <dd>
            <code data-testid="totp-secret">{totpSecret}</code>
          </dd>
        </dl>
      </div>
    </section>
  );
}
