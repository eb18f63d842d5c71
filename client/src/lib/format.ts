// How numbers, times and durations read in the window.
import { getLocale } from './i18n';

const DASH = '—';

/** A loss with four decimals; a dash when unknown. */
export function formatLoss(value: number | null | undefined): string {
  return value == null || !Number.isFinite(value) ? DASH : value.toFixed(4);
}

/** 75 -> '1:15', 3725 -> '1:02:05'; a dash when unknown. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return DASH;
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

/** A whole number with the locale's grouping: 12345 -> '12,345'. */
export function formatCount(value: number | null | undefined): string {
  return value == null || !Number.isFinite(value) ? DASH : Math.round(value).toLocaleString(getLocale());
}

/** A backend timestamp (ISO) in local time, e.g. 'Jan 5, 2025, 14:03'. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return DASH;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(getLocale(), { dateStyle: 'medium', timeStyle: 'short' });
}

/** A learning rate as written in configs: 0.0002 -> '2e-4', 0.01 -> '0.01'. */
/** A file size: "83 MB", "4.9 GB". */
export function formatBytes(value: number | null | undefined): string {
  if (value == null) return '—';
  if (value >= 1e9) return `${(value / 1e9).toFixed(1)} GB`;
  if (value >= 1e6) return `${Math.round(value / 1e6)} MB`;
  return `${Math.max(1, Math.round(value / 1e3))} kB`;
}

export function formatRate(value: number | null | undefined): string {
  if (value == null || !Number.isFinite(value)) return DASH;
  return value !== 0 && Math.abs(value) < 0.001 ? value.toExponential() : String(value);
}
