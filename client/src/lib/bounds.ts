// A number field's rule from the contracts (FIELD_BOUNDS): whole or not, and its bounds. The
// forms (training settings, profile editor, documents) check what was typed with it.

/** One field's bounds as FIELD_BOUNDS writes them. */
export interface Bounds {
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  exclusiveMaximum?: number;
}

export interface NumberRule {
  integer: boolean;
  bounds: Bounds;
}

/** Whether `value` is a (whole, when the rule says so) number within the rule's bounds. */
export function inBounds(value: number, rule: NumberRule): boolean {
  if (!Number.isFinite(value)) return false;
  if (rule.integer && !Number.isInteger(value)) return false;
  const b = rule.bounds;
  if (b.minimum !== undefined && value < b.minimum) return false;
  if (b.exclusiveMinimum !== undefined && value <= b.exclusiveMinimum) return false;
  if (b.maximum !== undefined && value > b.maximum) return false;
  if (b.exclusiveMaximum !== undefined && value >= b.exclusiveMaximum) return false;
  return true;
}

/** The number in `text` when it is within `rule`, else null ('' is no number). */
export function parseNumber(text: string, rule: NumberRule): number | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const value = Number(trimmed);
  return inBounds(value, rule) ? value : null;
}
