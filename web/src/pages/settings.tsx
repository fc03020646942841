import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, setCsrfToken } from '../api';
import { ErrorNote, Page } from '../components/ui';
import { useAction } from '../hooks';
import { LANGUAGES, type Language } from '../i18n';
import { useSession } from '../session';

/** The viewer's protection (blur strength, greyscale, muted videos), language, password and recovery codes. */
export function SettingsPage() {
  const { t } = useTranslation();
  const { preferences, savePreferences } = useSession();
  const [blur, setBlur] = useState(preferences.blur);
  const [grayscale, setGrayscale] = useState(preferences.grayscale);
  const [muteVideos, setMuteVideos] = useState(preferences.muteVideos);
  const [locale, setLocale] = useState<Language | ''>(preferences.locale ?? '');
  const [saved, setSaved] = useState(false);
  const save = useAction();
  useEffect(() => {
    setBlur(preferences.blur);
    setGrayscale(preferences.grayscale);
    setMuteVideos(preferences.muteVideos);
    setLocale(preferences.locale ?? '');
  }, [preferences]);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    const ok = await save.run(() => savePreferences({ blur, grayscale, muteVideos, locale: locale || null }).then(() => true));
    if (ok) setSaved(true);
  };
  return (
    <Page title={t('nav.settings')}>
      <form className="form card narrow" onSubmit={submit} aria-labelledby="h-protection">
        <h2 id="h-protection">{t('settings.protection')}</h2>
        <p className="muted">{t('settings.protectionIntro')}</p>
        <label>
          {t('settings.blur', { px: blur })}
          <input name="blur" type="range" min={0} max={40} step={1} value={blur} onChange={(e) => setBlur(Number(e.target.value))} aria-valuetext={`${blur} px`} />
        </label>
        <div className="blur-sample" aria-hidden="true">
          <svg viewBox="0 0 120 80" width="180" height="120" style={{ filter: `blur(${blur}px)${grayscale ? ' grayscale(1)' : ''}` }}>
            <rect width="120" height="80" fill="#2f6db5" />
            <circle cx="40" cy="40" r="22" fill="#e0a030" />
            <rect x="70" y="20" width="36" height="40" fill="#c0392b" />
          </svg>
        </div>
        <label className="check">
          <input name="grayscale" type="checkbox" checked={grayscale} onChange={(e) => setGrayscale(e.target.checked)} />
          {t('settings.grayscale')}
        </label>
        <label className="check">
          <input name="mute" type="checkbox" checked={muteVideos} onChange={(e) => setMuteVideos(e.target.checked)} />
          {t('settings.mute')}
        </label>
        <label>
          {t('settings.language')}
          <select name="locale" value={locale} onChange={(e) => setLocale(e.target.value as Language | '')}>
            <option value="">{t('settings.browserLanguage')}</option>
            {Object.entries(LANGUAGES).map(([code, name]) => (
              <option key={code} value={code}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <ErrorNote error={save.error} />
        {saved ? <p role="status">{t('settings.saved')}</p> : null}
        <button type="submit" disabled={save.busy}>
          {t('common.save')}
        </button>
      </form>
      <PasswordForm />
      <RecoveryCodes />
    </Page>
  );
}

function PasswordForm() {
  const { t } = useTranslation();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [done, setDone] = useState(false);
  const action = useAction();
  return (
    <form
      className="form card narrow"
      aria-labelledby="h-password"
      onSubmit={(e) => {
        e.preventDefault();
        void action
          .run(() => api.post<{ csrfToken: string }>('/api/auth/password', { currentPassword: current, newPassword: next }))
          .then((r) => {
            if (!r) return;
            setCsrfToken(r.csrfToken);
            setDone(true);
            setCurrent('');
            setNext('');
          });
      }}
    >
      <h2 id="h-password">{t('settings.password')}</h2>
      <label>
        {t('signIn.currentPassword')}
        <input type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} />
      </label>
      <label>
        {t('signIn.newPassword')}
        <input type="password" autoComplete="new-password" required minLength={12} value={next} onChange={(e) => setNext(e.target.value)} />
      </label>
      <ErrorNote error={action.error} />
      {done ? <p role="status">{t('settings.passwordChanged')}</p> : null}
      <button type="submit" disabled={action.busy}>
        {t('signIn.savePassword')}
      </button>
    </form>
  );
}

function RecoveryCodes() {
  const { t } = useTranslation();
  const [code, setCode] = useState('');
  const [codes, setCodes] = useState<string[] | null>(null);
  const action = useAction();
  return (
    <form
      className="form card narrow"
      aria-labelledby="h-recovery"
      onSubmit={(e) => {
        e.preventDefault();
        void action.run(() => api.post<{ recoveryCodes: string[] }>('/api/auth/recovery-codes', { totp: code })).then((r) => r && (setCodes(r.recoveryCodes), setCode('')));
      }}
    >
      <h2 id="h-recovery">{t('settings.recovery')}</h2>
      <label>
        {t('signIn.code')}
        <input inputMode="numeric" pattern="[0-9]{6}" required value={code} onChange={(e) => setCode(e.target.value)} />
      </label>
      <ErrorNote error={action.error} />
      {codes ? (
        <ol className="recovery-codes">
          {codes.map((c) => (
            <li key={c}>
              <code>{c}</code>
            </li>
          ))}
        </ol>
      ) : null}
      <button type="submit" disabled={action.busy}>
        {t('settings.newRecovery')}
      </button>
    </form>
  );
}
