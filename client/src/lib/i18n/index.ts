// Every string a person reads in the window comes from t(): English (en/, one table per area,
// the source of the keys) and Russian (ru/, the same areas), switched at run time through
// localeState.
import { httpStatus, isKnownCode } from '../errorCodes';
import { type Locale, localeState } from '../locale.svelte';
import { type ErrorWords, en, errors as enErrors, type MessageKey, type Messages } from './en';
import { errors as ruErrors, ru } from './ru';

export { LOCALES, type Locale } from '../locale.svelte';
export type { MessageKey } from './en';

const messages: Record<Locale, Messages> = { en, ru };
const errorWords: Record<Locale, ErrorWords> = { en: enErrors, ru: ruErrors };

/** The language texts are shown in now. */
export function getLocale(): Locale {
  return localeState.current;
}

/** Switch the language (remembered in localStorage); texts follow at once. */
export function setLocale(next: Locale): void {
  localeState.set(next);
}

function fill(template: string, params: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** The text for `key`, with `{name}` placeholders filled from `params`. */
export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  return fill(messages[localeState.current][key] ?? en[key] ?? key, params);
}

/** The texts of a cancel that asks first (ConfirmAction): `<prefix>.cancel`, `.cancelConfirm`,
 * `.cancelYes`, `.cancelNo` and `.cancelling`. */
export function cancelTexts(prefix: 'job' | 'flowRun') {
  return {
    label: t(`${prefix}.cancel`),
    question: t(`${prefix}.cancelConfirm`),
    yes: t(`${prefix}.cancelYes`),
    no: t(`${prefix}.cancelNo`),
    busyLabel: t(`${prefix}.cancelling`),
  };
}

/** The texts of a delete that asks first (ConfirmAction): `<prefix>.delete`, `.deleteConfirm`
 * (naming the thing), `.deleteYes`, `.deleteNo` and `.deleting`. */
export function deleteTexts(prefix: 'dataset' | 'profiles', name: string) {
  return {
    label: t(`${prefix}.delete`),
    question: t(`${prefix}.deleteConfirm`, { name }),
    yes: t(`${prefix}.deleteYes`),
    no: t(`${prefix}.deleteNo`),
    busyLabel: t(`${prefix}.deleting`),
  };
}

/** What an error code means and what to do, in the window's language; null for a code the
 * client has no words for (then the backend's message stands alone). */
export function errorText(code: string): string | null {
  if (isKnownCode(code)) return errorWords[localeState.current][code];
  const status = httpStatus(code);
  return status === null ? null : t('error.http', { status });
}

/** What ships with the app and has words in en/shipped.ts. */
export type ShippedKind = 'profile' | 'dataset' | 'flow';

/** A shipped entry's name or description in the window's language: the words of
 * `shipped.<kind>.<id>.<field>` while `text` is still the English they translate, else `text`
 * as it is (a shipped file changed since, or an entry of the person's own). */
export function shippedText(kind: ShippedKind, id: string, field: 'name' | 'description', text: string): string {
  const key = `shipped.${kind}.${id}.${field}`;
  return (en as Record<string, string>)[key] === text ? t(key as MessageKey) : text;
}

interface Shippable {
  id: string;
  name: string;
  description: string;
  source: 'builtin' | 'user';
}

/** A shipped entry whose name and description follow the window's language (getters, so a
 * switch shows at once); a person's own entry is returned as it is. */
export function localized<T extends Shippable>(kind: ShippedKind, item: T): T {
  if (item.source !== 'builtin') return item;
  const { id, name, description } = item;
  const out = { ...item };
  Object.defineProperties(out, {
    name: { get: () => shippedText(kind, id, 'name', name), enumerable: true },
    description: { get: () => shippedText(kind, id, 'description', description), enumerable: true },
  });
  return out;
}

/** Whether `key` has words (a key built at run time: a flow's input, output or step name). */
export function hasMessage(key: string): key is MessageKey {
  return key in en;
}
