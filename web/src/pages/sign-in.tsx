import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, setCsrfToken } from '../api';
import { ErrorNote } from '../components/ui';
import { useAction } from '../hooks';
import { useSession } from '../session';
import type { User } from '../types';

interface LoginAnswer {
  user: User;
  csrfToken: string;
  restricted: boolean;
  recoveryCodes?: string[];
}

/**
 * Sign-in with password and authenticator code. The first sign-in of a new account confirms its authenticator
 * (enrolled from the QR code its administrator handed over) and shows the recovery codes once; an account with a
 * one-time password must choose its own before anything else.
 */
export function SignInPage() {
  const { t } = useTranslation();
  const session = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [useRecovery, setUseRecovery] = useState(false);
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | null>(null);
  const [restricted, setRestricted] = useState(session.me?.restricted ?? false);
  const login = useAction();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const answer = await login.run(() =>
      api.post<LoginAnswer>('/api/auth/login', { username, password, ...(useRecovery ? { recoveryCode: code.trim() } : { totp: code.trim() }) }),
    );
    if (!answer) return;
    setCsrfToken(answer.csrfToken);
    setCode('');
    if (answer.recoveryCodes) setRecoveryCodes(answer.recoveryCodes);
    if (answer.restricted) setRestricted(true);
    else if (!answer.recoveryCodes) await session.refresh();
  };

  if (recoveryCodes) {
    return (
      <main className="auth-card" id="main">
        <h1>{t('signIn.enrolled')}</h1>
        <p>{t('signIn.recoveryIntro')}</p>
        <ol className="recovery-codes" aria-label={t('signIn.recoveryCodes')}>
          {recoveryCodes.map((c) => (
            <li key={c}>
              <code>{c}</code>
            </li>
          ))}
        </ol>
        <button type="button" onClick={() => (setRecoveryCodes(null), restricted ? undefined : void session.refresh())}>
          {t('signIn.savedCodes')}
        </button>
      </main>
    );
  }
  if (restricted) return <ChangePassword currentHint={password} onDone={() => (setRestricted(false), void session.refresh())} />;

  return (
    <main className="auth-card" id="main">
      <h1>{t('signIn.title')}</h1>
      <p className="muted">{t('signIn.intro')}</p>
      <form onSubmit={submit} className="form">
        <label>
          {t('signIn.username')}
          <input name="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} />
        </label>
        <label>
          {t('signIn.password')}
          <input name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <label>
          {useRecovery ? t('signIn.recoveryCode') : t('signIn.code')}
          <input name="code" inputMode={useRecovery ? 'text' : 'numeric'} autoComplete="one-time-code" required pattern={useRecovery ? undefined : '[0-9]{6}'} value={code} onChange={(e) => setCode(e.target.value)} />
        </label>
        <label className="check">
          <input type="checkbox" checked={useRecovery} onChange={(e) => setUseRecovery(e.target.checked)} />
          {t('signIn.useRecovery')}
        </label>
        <ErrorNote error={login.error} />
        <button type="submit" disabled={login.busy}>
          {t('signIn.submit')}
        </button>
      </form>
    </main>
  );
}

function ChangePassword({ currentHint, onDone }: { currentHint: string; onDone: () => void }) {
  const { t } = useTranslation();
  const [current, setCurrent] = useState(currentHint);
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (next !== repeat) return action.run(() => Promise.reject(new Error(t('signIn.mismatch'))));
    const answer = await action.run(() => api.post<LoginAnswer>('/api/auth/password', { currentPassword: current, newPassword: next }));
    if (!answer) return;
    setCsrfToken(answer.csrfToken);
    onDone();
  };
  return (
    <main className="auth-card" id="main">
      <h1>{t('signIn.choosePassword')}</h1>
      <p>{t('signIn.choosePasswordIntro')}</p>
      <form onSubmit={submit} className="form">
        <label>
          {t('signIn.currentPassword')}
          <input name="current-password" type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} />
        </label>
        <label>
          {t('signIn.newPassword')}
          <input name="new-password" type="password" autoComplete="new-password" required minLength={12} value={next} onChange={(e) => setNext(e.target.value)} />
        </label>
        <label>
          {t('signIn.repeatPassword')}
          <input name="repeat-password" type="password" autoComplete="new-password" required value={repeat} onChange={(e) => setRepeat(e.target.value)} />
        </label>
        <ErrorNote error={action.error} />
        <button type="submit" disabled={action.busy}>
          {t('signIn.savePassword')}
        </button>
      </form>
    </main>
  );
}
