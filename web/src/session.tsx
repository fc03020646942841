import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, onSignedOut, setCsrfToken } from './api';
import { applyLanguage } from './i18n';
import type { Me, ViewingPreferences } from './types';

export const DEFAULT_PREFERENCES: ViewingPreferences = { blur: 12, grayscale: true, muteVideos: true, locale: null, updatedAt: null };

interface SessionValue {
  readonly me: Me | null;
  readonly preferences: ViewingPreferences;
  readonly loading: boolean;
  refresh(): Promise<void>;
  savePreferences(change: Partial<Omit<ViewingPreferences, 'updatedAt'>>): Promise<void>;
  signOut(): Promise<void>;
  can(permission: string): boolean;
  /** The one item whose unredacted rendition is on screen (revealing another hides it). */
  readonly revealed: number | null;
  reveal(id: number | null): void;
}

const SessionContext = createContext<SessionValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null>(null);
  const [preferences, setPreferences] = useState<ViewingPreferences>(DEFAULT_PREFERENCES);
  const [loading, setLoading] = useState(true);
  const [revealed, setRevealed] = useState<number | null>(null);

  const refresh = useCallback(async () => {
    try {
      const who = await api.get<Me>('/api/auth/me');
      setCsrfToken(who.csrfToken ?? null);
      setMe(who);
      if (!who.restricted) {
        const p = await api.get<ViewingPreferences>('/api/me/viewing');
        setPreferences(p);
        applyLanguage(p.locale);
      }
    } catch {
      setMe(null);
      setCsrfToken(null);
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    void refresh();
    return onSignedOut(() => {
      setMe(null);
      setRevealed(null);
    });
  }, [refresh]);

  const value: SessionValue = {
    me,
    preferences,
    loading,
    refresh,
    async savePreferences(change) {
      const p = await api.put<ViewingPreferences>('/api/me/viewing', change);
      setPreferences(p);
      applyLanguage(p.locale);
    },
    async signOut() {
      await api.post('/api/auth/logout').catch(() => undefined);
      setCsrfToken(null);
      setMe(null);
      setRevealed(null);
    },
    can: (permission) => me?.permissions.includes(permission) ?? false,
    revealed,
    reveal: setRevealed,
  };
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}
