import type {
  AppInfo,
  DatasetInfo,
  MetricPoint,
  TrainingProfile,
  TrainingRunDetails,
  TrainingRunSummary,
  TrainingStatus,
} from '../src/lib/contracts.gen';

/** A complete profile: the backend's defaults, then `overrides`. */
export function profile(overrides: Partial<TrainingProfile> & Pick<TrainingProfile, 'id' | 'name'>): TrainingProfile {
  return {
    description: '',
    base_model: 'smollm2-135m-instruct',
    ollama_base: 'smollm2:135m',
    default_epochs: 3,
    lora: { r: 16, alpha: 32, dropout: 0, target_modules: ['q_proj', 'v_proj'] },
    learning_rate: 0.001,
    batch_size: 4,
    batch_tokens: null,
    gradient_accumulation: 1,
    max_seq_len: 512,
    eval_fraction: 0.1,
    warmup_ratio: 0.05,
    seed: 42,
    device: 'auto',
    precision: 'auto',
    gradient_checkpointing: 'auto',
    weights: 'auto',
    system_prompt: null,
    preference_loss: 'dpo',
    beta: 0.1,
    stall_timeout_s: 900,
    auto_export: false,
    replay: 'auto',
    replay_ratio: 2,
    probe: true,
    eval_steps: null,
    early_stopping_patience: null,
    source: 'builtin',
    ...overrides,
  };
}

export const profiles: TrainingProfile[] = [
  profile({
    id: 'quick',
    name: 'Quick test',
    description: 'A short run to see that everything works',
    default_epochs: 1,
  }),
  profile({
    id: 'identity',
    name: 'Teach an identity',
    description: 'Three epochs on a small chat set',
    learning_rate: 0.0002,
    batch_size: 8,
    max_seq_len: 256,
  }),
];

/** A complete dataset entry as list_datasets answers it, then `overrides`. */
export function dataset(overrides: Partial<DatasetInfo> & Pick<DatasetInfo, 'id' | 'name'>): DatasetInfo {
  return {
    description: '',
    path: `datasets/${overrides.id}.jsonl`,
    format: null,
    held_out_prompts: [],
    held_out_checks: [],
    source: 'builtin',
    examples: 0,
    tokens: null,
    tokens_exact: true,
    detected_format: null,
    valid: true,
    errors: [],
    warnings: [],
    first_error: null,
    ...overrides,
  };
}

export const datasets: DatasetInfo[] = [
  dataset({
    id: 'broken',
    name: 'Broken set',
    description: 'Has a bad line',
    examples: 2,
    valid: false,
    first_error: 'broken.jsonl:2: assistant message is empty',
  }),
  dataset({
    id: 'lumen',
    name: 'Lumen identity',
    description: 'Twenty chats that teach the name Lumen',
    examples: 20,
    tokens: 1234,
    detected_format: 'chat',
  }),
];

export const appInfo: AppInfo = {
  version: '0.1.0',
  data_dir: '/tmp/ot',
  config_dir: '/tmp/ot/config',
  device: 'cpu',
  device_name: 'Test CPU',
  transport: 'browser',
};

/** What a run's snapshot and its summary both say about it. */
const run = {
  training_id: 't-1',
  profile_id: 'identity',
  dataset_id: 'lumen',
  started_at: '2025-03-01T10:00:00Z',
  message: '',
  error: null,
  flow_run_id: null,
  resumed_from: null,
  from_run: null,
} as const;

export function status(overrides: Partial<TrainingStatus> = {}): TrainingStatus {
  return {
    ...run,
    status: 'running',
    epoch: 2,
    total_epochs: 3,
    step: 14,
    total_steps: 30,
    loss: 1.2345,
    eval_loss: null,
    pref_accuracy: null,
    reward_margin: null,
    tokens_per_s: 1530.4,
    eta_s: 75,
    finished_at: null,
    queue_position: null,
    stage: null,
    stage_done: null,
    stage_total: null,
    estimate: null,
    can_resume: false,
    ...overrides,
  };
}

/** One logged point: a training loss, or (with eval_loss) an eval. */
export function point(step: number, epoch: number, fields: Partial<MetricPoint> = {}): MetricPoint {
  return { step, epoch, loss: null, eval_loss: null, lr: null, tokens_per_s: null, tokens: null, ...fields };
}

export const points: MetricPoint[] = [
  point(1, 1, { loss: 2.5, lr: 0.001, tokens_per_s: 1000 }),
  point(2, 1, { loss: 2.1, lr: 0.001, tokens_per_s: 1100 }),
  point(2, 1, { eval_loss: 2.3 }),
  point(3, 2, { loss: 1.8, lr: 0.001, tokens_per_s: 1200 }),
];

export function summary(overrides: Partial<TrainingRunSummary> = {}): TrainingRunSummary {
  return {
    ...run,
    status: 'done',
    finished_at: '2025-03-01T10:02:05Z',
    epochs: 3,
    final_loss: 0.4321,
    eval_loss: 0.5678,
    duration_s: 125,
    ollama_model: null,
    adapter_dir: '/home/me/.ollama-trainer/runs/t-1/adapter',
    name: '',
    learned: null,
    kept: null,
    best_step: null,
    stopped_early: false,
    base_model: 'smollm2-135m-instruct',
    base_key: null,
    estimate: null,
    tokens_per_s: null,
    peak_memory_gb: null,
    precision: null,
    ...overrides,
  };
}

export function details(overrides: Partial<TrainingRunDetails> = {}): TrainingRunDetails {
  return {
    summary: summary(),
    status: status({ status: 'done', step: 30, epoch: 3, loss: 0.4321, eval_loss: 0.5678, finished_at: '2025-03-01T10:02:05Z' }),
    request: { profile_id: 'identity', dataset_id: 'lumen', epochs: 3, resumed_from: null, from_run: null, flow_run_id: null },
    continued_by: null,
    trained_further_by: [],
    profile: profiles[1],
    metrics: points,
    samples: [
      {
        prompt: 'Who are you?',
        prompt_text: null,
        before: 'I am an AI assistant.',
        after: 'I am Lumen.',
        after_tokens: [40, 1097, 44, 30313, 13],
        expected: null,
        source: 'dataset',
      },
    ],
    scores: null,
    artifacts: {
      run_dir: '/home/me/.ollama-trainer/runs/t-1',
      adapter: '/home/me/.ollama-trainer/runs/t-1/adapter',
    },
    ...overrides,
  };
}
