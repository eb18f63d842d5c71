// The learned and kept scores as counts: "3/4" and "18/20 (90 %)". The counts come from the
// rows scores.json holds; a part with nothing scorable has no score (null).
import type { RunScores } from './contracts.gen';

export interface LearnedScore {
  passed: number;
  total: number;
}

export interface KeptScore {
  kept: number;
  total: number;
  /** Whole percent. */
  pct: number;
}

/** Held-out prompts answered as taught, of those that say what to expect. */
export function learnedScore(scores: RunScores): LearnedScore | null {
  const scorable = scores.learned_rows.filter((r) => r.learned !== null);
  if (scorable.length === 0) return null;
  return { passed: scorable.filter((r) => r.learned).length, total: scorable.length };
}

/** Probe prompts still answered as the base did. */
export function keptScore(scores: RunScores): KeptScore | null {
  const total = scores.kept_rows.length;
  if (scores.kept === null || total === 0) return null;
  const kept = scores.kept_rows.filter((r) => r.kept).length;
  return { kept, total, pct: Math.round((kept / total) * 100) };
}

/** A share (0..1) as whole percent, or null. */
export function percent(share: number | null | undefined): number | null {
  return share == null ? null : Math.round(share * 100);
}
