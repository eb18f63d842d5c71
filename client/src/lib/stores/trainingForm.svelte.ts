// The start form: epochs and the advanced settings, each defaulting from the selected profile
// and following it when the profile changes (an edit belongs to the profile it was made on).
import type { MessageKey } from '../i18n';
import type { StartTrainingRequest, TrainingOverrides, TrainingProfile } from '../contracts.gen';

export type Field = 'epochs' | 'learning_rate' | 'batch_size' | 'max_seq_len';

interface Rule {
  integer: boolean;
  min: number;
  /** `min` itself is not allowed (learning rate > 0). */
  minExclusive?: boolean;
  max: number;
  message: MessageKey;
}

export const RULES: Record<Field, Rule> = {
  epochs: { integer: true, min: 1, max: 100, message: 'settings.epochs.invalid' },
  learning_rate: {
    integer: false,
    min: 0,
    minExclusive: true,
    max: 1,
    message: 'settings.learningRate.invalid',
  },
  batch_size: { integer: true, min: 1, max: 1024, message: 'settings.batchSize.invalid' },
  max_seq_len: { integer: true, min: 16, max: 131072, message: 'settings.maxSeqLen.invalid' },
};

/** The number in `text` when it satisfies `rule`, else null. */
export function parseField(text: string, rule: Rule): number | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const value = Number(trimmed);
  if (!Number.isFinite(value)) return null;
  if (rule.integer && !Number.isInteger(value)) return null;
  if (rule.minExclusive ? value <= rule.min : value < rule.min) return null;
  if (value > rule.max) return null;
  return value;
}

const DEFAULTS: Record<Field, number> = {
  epochs: 3,
  learning_rate: 0.001,
  batch_size: 4,
  max_seq_len: 512,
};

function profileValue(profile: TrainingProfile | null, field: Field): number {
  if (!profile) return DEFAULTS[field];
  return field === 'epochs' ? profile.default_epochs : profile[field];
}

export class TrainingForm {
  #profile: () => TrainingProfile | null;
  #edits: { profileId: string | null; values: Partial<Record<Field, string>> } = $state({
    profileId: null,
    values: {},
  });

  constructor(profile: () => TrainingProfile | null) {
    this.#profile = profile;
  }

  /** What the field shows: the person's edit on this profile, else the profile's value. */
  text(field: Field): string {
    const profile = this.#profile();
    const edits = this.#edits.profileId === (profile?.id ?? null) ? this.#edits.values : {};
    return edits[field] ?? String(profileValue(profile, field));
  }

  set(field: Field, text: string): void {
    const profileId = this.#profile()?.id ?? null;
    if (this.#edits.profileId !== profileId) this.#edits = { profileId, values: {} };
    this.#edits.values[field] = text;
  }

  value(field: Field): number | null {
    return parseField(this.text(field), RULES[field]);
  }

  /** The message for an invalid field, else null. */
  problem(field: Field): MessageKey | null {
    return this.value(field) === null ? RULES[field].message : null;
  }

  get valid(): boolean {
    return (Object.keys(RULES) as Field[]).every((field) => this.value(field) !== null);
  }

  /** The overrides that differ from the profile (none when all follow it). */
  get overrides(): TrainingOverrides | null {
    const profile = this.#profile();
    const result: TrainingOverrides = {};
    for (const field of ['learning_rate', 'batch_size', 'max_seq_len'] as const) {
      const value = this.value(field);
      if (value !== null && value !== profileValue(profile, field)) result[field] = value;
    }
    return Object.keys(result).length ? result : null;
  }

  /** The start request for `datasetId`, or null while something is missing or invalid. */
  request(datasetId: string | null): StartTrainingRequest | null {
    const profile = this.#profile();
    const epochs = this.value('epochs');
    if (!profile || !datasetId || !this.valid || epochs === null) return null;
    const request: StartTrainingRequest = { profile_id: profile.id, dataset_id: datasetId, epochs };
    const overrides = this.overrides;
    if (overrides) request.overrides = overrides;
    return request;
  }
}
