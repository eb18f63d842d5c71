// The profile editor's form: a new profile, a copy of one, or one of the person's own edited.
// Every field is kept as the text typed; bounds and defaults are contracts.py's
// (TrainingProfile, LoraSettings), and a problem is said in words with those bounds.
import { type NumberRule, parseNumber } from '../bounds';
import { FIELD_BOUNDS, FIELD_DEFAULTS, type TrainingProfile } from '../contracts.gen';
import { type MessageKey, t } from '../i18n';

export type EditorMode = 'new' | 'edit' | 'duplicate';

export type NumberField =
  | 'default_epochs'
  | 'lora_r'
  | 'lora_alpha'
  | 'lora_dropout'
  | 'learning_rate'
  | 'batch_size'
  | 'gradient_accumulation'
  | 'max_seq_len'
  | 'eval_fraction'
  | 'replay_ratio';
export type TextField = 'id' | 'name' | 'description' | 'base_model' | 'target_modules';
export type ProfileField = NumberField | TextField;
export type Replay = TrainingProfile['replay'];
export type Checkpointing = TrainingProfile['gradient_checkpointing'];
export type Weights = TrainingProfile['weights'];

const P = FIELD_BOUNDS.TrainingProfile;
const L = FIELD_BOUNDS.LoraSettings;

export const NUMBER_RULES: Record<NumberField, NumberRule> = {
  default_epochs: { integer: true, bounds: P.default_epochs },
  lora_r: { integer: true, bounds: L.r },
  lora_alpha: { integer: true, bounds: L.alpha },
  lora_dropout: { integer: false, bounds: L.dropout },
  learning_rate: { integer: false, bounds: P.learning_rate },
  batch_size: { integer: true, bounds: P.batch_size },
  gradient_accumulation: { integer: true, bounds: P.gradient_accumulation },
  max_seq_len: { integer: true, bounds: P.max_seq_len },
  eval_fraction: { integer: false, bounds: P.eval_fraction },
  replay_ratio: { integer: false, bounds: P.replay_ratio },
};

/** IDs a person can type (DESIGN.md: contracts' Id). */
export const ID_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;
const MODULE_PATTERN = /^[A-Za-z_][A-Za-z0-9_.]*$/;
/** LoraSettings' default target modules (the attention and MLP projections); the schema does
 * not carry a factory default, so a new profile takes them from here. */
export const DEFAULT_TARGET_MODULES = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];

/** "a whole number from 1 to 100", "a number above 0 and at most 1", "a number from 0 to just
 * below 0.9", "a whole number from 1": one phrase for each kind of bounds. */
function range(rule: NumberRule): string {
  const b = rule.bounds;
  const above = b.exclusiveMinimum !== undefined;
  const min = above ? b.exclusiveMinimum : (b.minimum ?? 0);
  const below = b.exclusiveMaximum !== undefined;
  const max = below ? b.exclusiveMaximum : b.maximum;
  const key: MessageKey =
    max === undefined
      ? above ? 'profileForm.range.above' : 'profileForm.range.from'
      : above
        ? below ? 'profileForm.range.aboveBelow' : 'profileForm.range.aboveTo'
        : below ? 'profileForm.range.fromBelow' : 'profileForm.range.fromTo';
  const words = t(key, { min: min ?? 0, max: max ?? '' });
  return t(rule.integer ? 'profileForm.range.integer' : 'profileForm.range.number', { range: words });
}

const LABELS: Record<ProfileField, MessageKey> = {
  id: 'profileForm.id',
  name: 'profileForm.name',
  description: 'profileForm.description',
  base_model: 'profileForm.base',
  target_modules: 'profileForm.targetModules',
  default_epochs: 'profileForm.epochs',
  lora_r: 'profileForm.loraR',
  lora_alpha: 'profileForm.loraAlpha',
  lora_dropout: 'profileForm.loraDropout',
  learning_rate: 'profileForm.learningRate',
  batch_size: 'profileForm.batchSize',
  gradient_accumulation: 'profileForm.gradientAccumulation',
  max_seq_len: 'profileForm.maxSeqLen',
  eval_fraction: 'profileForm.evalFraction',
  replay_ratio: 'profileForm.replayRatio',
};

export function fieldLabel(field: ProfileField): string {
  return t(LABELS[field]);
}

const D = FIELD_DEFAULTS.TrainingProfile;
const LD = FIELD_DEFAULTS.LoraSettings;

function texts(profile: TrainingProfile | null): Record<ProfileField, string> {
  return {
    id: profile?.id ?? '',
    name: profile?.name ?? '',
    description: profile?.description ?? D.description,
    base_model: profile?.base_model ?? '',
    target_modules: (profile?.lora.target_modules ?? DEFAULT_TARGET_MODULES).join(', '),
    default_epochs: String(profile?.default_epochs ?? D.default_epochs),
    lora_r: String(profile?.lora.r ?? LD.r),
    lora_alpha: String(profile?.lora.alpha ?? LD.alpha),
    lora_dropout: String(profile?.lora.dropout ?? LD.dropout),
    learning_rate: String(profile?.learning_rate ?? D.learning_rate),
    batch_size: String(profile?.batch_size ?? D.batch_size),
    gradient_accumulation: String(profile?.gradient_accumulation ?? D.gradient_accumulation),
    max_seq_len: String(profile?.max_seq_len ?? D.max_seq_len),
    eval_fraction: String(profile?.eval_fraction ?? D.eval_fraction),
    replay_ratio: String(profile?.replay_ratio ?? D.replay_ratio),
  };
}

export class ProfileForm {
  readonly mode: EditorMode;
  /** The profile edited or copied (null for a new one). */
  readonly origin: TrainingProfile | null;
  values: Record<ProfileField, string> = $state(texts(null));
  replay: Replay = $state(D.replay);
  checkpointing: Checkpointing = $state(D.gradient_checkpointing);
  weights: Weights = $state(D.weights);
  /** Set by Save: problems show only after the first try (or once a field was touched). */
  touched: Partial<Record<ProfileField, boolean>> = $state({});
  submitted = $state(false);

  constructor(mode: EditorMode, origin: TrainingProfile | null = null) {
    this.mode = mode;
    this.origin = origin;
    this.values = texts(origin);
    this.replay = origin?.replay ?? D.replay;
    this.checkpointing = origin?.gradient_checkpointing ?? D.gradient_checkpointing;
    this.weights = origin?.weights ?? D.weights;
    if (mode === 'duplicate' && origin) {
      this.values.id = `${origin.id}-copy`;
      this.values.name = t('profileForm.copyName', { name: origin.name });
    }
  }

  /** The id can be chosen only for a profile that does not exist yet. */
  get idEditable(): boolean {
    return this.mode !== 'edit';
  }

  set(field: ProfileField, text: string): void {
    this.values[field] = text;
    this.touched[field] = true;
  }

  number(field: NumberField): number | null {
    return parseNumber(this.values[field], NUMBER_RULES[field]);
  }

  modules(): string[] {
    return this.values.target_modules
      .split(/[\s,]+/)
      .map((name) => name.trim())
      .filter(Boolean);
  }

  /** What is wrong with the field, in words, else null (whether shown or not). */
  problem(field: ProfileField): string | null {
    const value = this.values[field].trim();
    switch (field) {
      case 'id':
        if (!value) return t('profileForm.required', { field: fieldLabel(field) });
        return ID_PATTERN.test(value) ? null : t('profileForm.id.invalid');
      case 'name':
        return value ? null : t('profileForm.required', { field: fieldLabel(field) });
      case 'base_model':
        return value ? null : t('profileForm.base.required');
      case 'description':
        return null;
      case 'target_modules': {
        const names = this.modules();
        if (!names.length) return t('profileForm.targetModules.required');
        const bad = names.find((name) => !MODULE_PATTERN.test(name));
        return bad ? t('profileForm.targetModules.invalid', { name: bad }) : null;
      }
      default:
        return this.number(field) === null
          ? t('profileForm.number.invalid', { field: fieldLabel(field), range: range(NUMBER_RULES[field]) })
          : null;
    }
  }

  /** The problem to show now: after Save was tried, or once the field was edited. */
  shown(field: ProfileField): string | null {
    return this.submitted || this.touched[field] ? this.problem(field) : null;
  }

  get fields(): ProfileField[] {
    return Object.keys(LABELS) as ProfileField[];
  }

  get valid(): boolean {
    return this.fields.every((field) => this.problem(field) === null);
  }

  /** The profile to save, or null while a field is wrong (then every problem shows). */
  profile(): TrainingProfile | null {
    this.submitted = true;
    if (!this.valid) return null;
    const num = (field: NumberField) => this.number(field) as number;
    const v = this.values;
    // Fields the form does not show keep the copied profile's value, else the defaults.
    const base: TrainingProfile = {
      ...D,
      batch_tokens: null,
      early_stopping_patience: null,
      eval_steps: null,
      ollama_base: null,
      system_prompt: null,
      ...(this.origin ?? {}),
      id: v.id.trim(),
      name: v.name.trim(),
      description: v.description.trim(),
      base_model: v.base_model.trim(),
      lora: { r: num('lora_r'), alpha: num('lora_alpha'), dropout: num('lora_dropout'), target_modules: this.modules() },
      default_epochs: num('default_epochs'),
      learning_rate: num('learning_rate'),
      batch_size: num('batch_size'),
      gradient_accumulation: num('gradient_accumulation'),
      max_seq_len: num('max_seq_len'),
      eval_fraction: num('eval_fraction'),
      replay: this.replay,
      replay_ratio: num('replay_ratio'),
      gradient_checkpointing: this.checkpointing,
      weights: this.weights,
      source: 'user',
    };
    // The Ollama hint belongs to the copied profile's base: another base drops it.
    if (this.origin && this.origin.base_model !== base.base_model) base.ollama_base = null;
    return base;
  }
}
