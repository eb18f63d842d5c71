// The window's language: one reactive value, remembered in localStorage. t() reads it, so
// every text in the page follows a switch without a reload.

export const LOCALES = ['en', 'ru'] as const;
export type Locale = (typeof LOCALES)[number];
export const LOCALE_STORAGE_KEY = 'ollama-trainer.locale';

function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

function remembered(): Locale {
  try {
    const value = globalThis.localStorage?.getItem(LOCALE_STORAGE_KEY);
    if (isLocale(value)) return value;
  } catch {
    // Storage can be unavailable (file://, privacy settings): fall back to English.
  }
  return 'en';
}

function markDocument(locale: Locale): void {
  if (typeof document !== 'undefined') document.documentElement.lang = locale;
}

class LocaleState {
  current: Locale = $state(remembered());

  constructor() {
    markDocument(this.current);
  }

  set(next: Locale): void {
    this.current = next;
    markDocument(next);
    try {
      globalThis.localStorage?.setItem(LOCALE_STORAGE_KEY, next);
    } catch {
      // Not remembered, still switched.
    }
  }

  /** Read localStorage again (tests; a second window that switched). */
  reload(): void {
    this.current = remembered();
    markDocument(this.current);
  }
}

export const localeState = new LocaleState();
