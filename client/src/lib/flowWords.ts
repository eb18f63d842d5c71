// A flow's steps, inputs and outputs in words (i18n/*/flowWords.ts): what the flow card, its
// inputs form and a flow run's page show instead of raw keys. A name without words is shown
// from its key ("source_dir" -> "Source dir").
import { formatLoss } from './format';
import { hasMessage, t } from './i18n';
import { percent } from './scores';

/** "source_dir" -> "Source dir". */
export function humanize(name: string): string {
  const words = name.replace(/_/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function worded(prefix: string, name: string): string {
  const key = `${prefix}.${name}`;
  return hasMessage(key) ? t(key) : humanize(name);
}

/** A step's command: 'TRAIN' -> 'Train'. */
export const stepLabel = (cmd: string): string => worded('flowStep', cmd);
/** A flow input's name: 'source_dir' -> 'Documents folder'. */
export const inputLabel = (name: string): string => worded('flowInput', name);
/** A step output's name: 'pairs_kept' -> 'Pairs kept'. */
export const outputLabel = (name: string): string => worded('flowOutput', name);

/** A step output's value in words: a status or a dataset's kind worded, a loss with four
 * digits, a score as a percentage, a list by its count (notes joined), counts by reason;
 * null for what has no words (the caller shows it as it is). */
export function outputValue(name: string, value: unknown): string | null {
  if (value === null || value === undefined) return '—';
  const status = `status.${String(value)}`;
  if (name === 'status' && hasMessage(status)) return t(status);
  if (name === 'mode' && typeof value === 'string') return worded('flowOutput.mode', value);
  if ((name === 'final_loss' || name === 'eval_loss') && typeof value === 'number') return formatLoss(value);
  if ((name === 'learned' || name === 'kept') && typeof value === 'number') {
    return t('history.percent', { pct: percent(value) ?? '—' });
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return t('flowOutput.none');
    if (value.every((item) => typeof item === 'string')) return value.join(' · ');
    return t('flowOutput.items', { n: value.length });
  }
  if (typeof value === 'object' && Object.values(value).every((n) => typeof n === 'number')) {
    const counts = Object.entries(value as Record<string, number>);
    return counts.length === 0 ? t('flowOutput.none') : counts.map(([reason, n]) => `${humanize(reason)}: ${n}`).join(', ');
  }
  return null;
}
