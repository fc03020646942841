import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import en from './locales/en.json';
import es from './locales/es.json';
import fr from './locales/fr.json';

export const LANGUAGES = { en: 'English', fr: 'Français', es: 'Español' } as const;
export type Language = keyof typeof LANGUAGES;

function browserLanguage(): Language {
  for (const l of navigator.languages ?? [navigator.language]) {
    const code = l.slice(0, 2).toLowerCase();
    if (code in LANGUAGES) return code as Language;
  }
  return 'en';
}

void i18next.use(initReactI18next).init({
  resources: { en: { translation: en }, fr: { translation: fr }, es: { translation: es } },
  lng: browserLanguage(),
  fallbackLng: 'en',
  interpolation: { escapeValue: false },
  returnNull: false,
});

/** The user's saved language, else the browser's. */
export function applyLanguage(saved: Language | null): void {
  const lng = saved ?? browserLanguage();
  if (i18next.language !== lng) void i18next.changeLanguage(lng);
  document.documentElement.lang = lng;
}

export default i18next;
