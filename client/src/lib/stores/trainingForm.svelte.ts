// The start form: epochs and the advanced settings, each defaulting from the selected profile
// and following it when the profile changes. Epochs the person typed stay when they switch
// profile (how long to train is their choice, not the profile's); an edit of an advanced setting
// belongs to the profile it was made on.
// Bounds and defaults are contracts.py's (StartTrainingRequest, TrainingOverrides, TrainingProfile).
import { type NumberRule, parseNumber } from '../bounds';
import { type MessageKey, t } from '../i18n';
import {
  FIELD_BOUNDS,
  FIELD_DEFAULTS,
  type StartTrainingRequest,
  type TrainingOverrides,
  type TrainingProfile,
} from '../contracts.gen';

export type Field = 'epochs' | 'learning_rate' | 'batch_size' | 'max_seq_len';

/** The contract's rule, with its bounds as the field and its message show them. */
interface Rule extends NumberRule {
  min: number;
  /** `min` itself is not allowed (learning rate > 0). */
  minExclusive?: boolean;
  max: number;
  message: MessageKey;
}

type Bounds = { minimum: number; maximum: number } | { exclusiveMinimum: number; maximum: number };

function rule(integer: boolean, bounds: Bounds, message: MessageKey): Rule {
  return 'minimum' in bounds
    ? { integer, bounds, min: bounds.minimum, max: bounds.maximum, message }
    : { integer, bounds, min: bounds.exclusiveMinimum, minExclusive: true, max: bounds.maximum, message };
}

const OVERRIDES = FIELD_BOUNDS.TrainingOverrides;

export const RULES: Record<Field, Rule> = {
  // 1..MAX_EPOCHS
  epochs: rule(true, FIELD_BOUNDS.StartTrainingRequest.epochs, 'settings.epochs.invalid'),
  learning_rate: rule(false, OVERRIDES.learning_rate, 'settings.learningRate.invalid'),
  batch_size: rule(true, OVERRIDES.batch_size, 'settings.batchSize.invalid'),
  max_seq_len: rule(true, OVERRIDES.max_seq_len, 'settings.maxSeqLen.invalid'),
};

/** The number in `text` when it satisfies `rule`, else null. */
export const parseField = parseNumber;

/** What a field shows before a profile is picked: a profile's defaults. */
const DEFAULTS = FIELD_DEFAULTS.TrainingProfile;

function profileValue(profile: TrainingProfile | null, field: Field): number {
  const source = profile ?? DEFAULTS;
  return field === 'epochs' ? source.default_epochs : source[field];
}

export class TrainingForm {
  #profile: () => TrainingProfile | null;
  #edits: { profileId: string | null; values: Partial<Record<Field, string>> } = $state({
    profileId: null,
    values: {},
  });
  /** Epochs the person typed, whichever profile is picked; null: the profile's. */
  #epochs: string | null = $state(null);

  constructor(profile: () => TrainingProfile | null) {
    this.#profile = profile;
  }

  /** What the field shows: the person's edit (of epochs: on any profile; of the others: on
   * this profile), else the profile's value. */
  text(field: Field): string {
    const profile = this.#profile();
    if (field === 'epochs' && this.#epochs !== null) return this.#epochs;
    const edits = this.#edits.profileId === (profile?.id ?? null) ? this.#edits.values : {};
    return edits[field] ?? String(profileValue(profile, field));
  }

  set(field: Field, text: string): void {
    if (field === 'epochs') {
      this.#epochs = text;
      return;
    }
    const profileId = this.#profile()?.id ?? null;
    if (this.#edits.profileId !== profileId) this.#edits = { profileId, values: {} };
    this.#edits.values[field] = text;
  }

  value(field: Field): number | null {
    return parseField(this.text(field), RULES[field]);
  }

  /** What is wrong with an invalid field, in words (with its bounds), else null. */
  problem(field: Field): string | null {
    if (this.value(field) !== null) return null;
    const { message, min, max } = RULES[field];
    return t(message, { min, max });
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
