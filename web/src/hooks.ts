import i18next from 'i18next';
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from './api';

/** The message to show for a failure: refusals in the user's language, other errors as the server words them. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError && ['not_found', 'forbidden', 'rate_limited'].includes(e.code)) return i18next.t(`errors.${e.code}`);
  return e instanceof Error ? e.message : String(e);
}

/** Loads data for a page; `reload` fetches again; `intervalMs` keeps it fresh while the page is open. */
export function useData<T>(load: () => Promise<T>, deps: readonly unknown[], intervalMs?: number | null): { data: T | undefined; error: string | null; reload: () => Promise<void>; setData: (d: T) => void } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string | null>(null);
  const loader = useRef(load);
  loader.current = load;
  const reload = useCallback(async () => {
    try {
      setData(await loader.current());
      setError(null);
    } catch (e) {
      setError(errorMessage(e));
    }
  }, []);
  useEffect(() => {
    void reload();
    if (!intervalMs) return;
    const timer = setInterval(() => void reload(), intervalMs);
    return () => clearInterval(timer);
  }, [...deps, intervalMs]);
  return { data, error, reload, setData };
}

/** Runs an action, remembering its error message for display. */
export function useAction(): { busy: boolean; error: string | null; run: <T>(fn: () => Promise<T>) => Promise<T | undefined>; clear: () => void } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(async <T>(fn: () => Promise<T>) => {
    setBusy(true);
    setError(null);
    try {
      return await fn();
    } catch (e) {
      setError(errorMessage(e));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run, clear: () => setError(null) };
}
