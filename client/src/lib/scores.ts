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

/** Held-out prompts answered as taught, of those that say what to expect. For a dataset made
 * from documents: the questions held out of documents the model trained on (those of documents
 * held out whole measure facts it never saw: unseenScore). */
export function learnedScore(scores: RunScores): LearnedScore | null {
  const scorable = scores.learned_rows.filter((r) => r.learned !== null);
  const trained = scorable.filter((r) => r.kind === 'trained_document');
  const measured = trained.length > 0 ? trained : scorable.filter((r) => r.kind !== 'held_out_document');
  const rows = measured.length > 0 ? measured : scorable;
  if (rows.length === 0) return null;
  return { passed: rows.filter((r) => r.learned).length, total: rows.length };
}

/** Questions of documents held out whole (facts never trained on), scored apart; null without any. */
export function unseenScore(scores: RunScores): LearnedScore | null {
  const rows = scores.learned_rows.filter((r) => r.learned !== null && r.kind === 'held_out_document');
  const trained = scores.learned_rows.some((r) => r.kind === 'trained_document');
  if (rows.length === 0 || !trained) return null;
  return { passed: rows.filter((r) => r.learned).length, total: rows.length };
}

/** Of the probe prompts the base answered right, those the trained model still answers right
 * (a prompt the base got wrong shows nothing about keeping: it is not counted). */
export function keptScore(scores: RunScores): KeptScore | null {
  const counted = scores.kept_rows.filter((r) => r.base_right !== false && r.kept !== null);
  const total = counted.length;
  if (scores.kept === null || total === 0) return null;
  const kept = counted.filter((r) => r.kept).length;
  return { kept, total, pct: Math.round((kept / total) * 100) };
}

/** Probe prompts the base itself did not answer right: listed apart from the kept score. */
export function baseWrong(scores: RunScores): number {
  return scores.kept_rows.filter((r) => r.base_right === false).length;
}

/** A share (0..1) as whole percent, or null. */
export function percent(share: number | null | undefined): number | null {
  return share == null ? null : Math.round(share * 100);
}
