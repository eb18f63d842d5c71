import type {
  AppInfo,
  DatasetInfo,
  MetricPoint,
  TrainingProfile,
  TrainingRunDetails,
  TrainingRunSummary,
  TrainingStatus,
} from '../src/lib/contracts.gen';

export const profiles: TrainingProfile[] = [
  {
    id: 'quick',
    name: 'Quick test',
    description: 'A short run to see that everything works',
    base_model: 'smollm2-135m-instruct',
    ollama_base: 'smollm2:135m',
    default_epochs: 1,
    learning_rate: 0.001,
    batch_size: 4,
    max_seq_len: 512,
  },
  {
    id: 'identity',
    name: 'Teach an identity',
    description: 'Three epochs on a small chat set',
    base_model: 'smollm2-135m-instruct',
    ollama_base: 'smollm2:135m',
    default_epochs: 3,
    learning_rate: 0.0002,
    batch_size: 8,
    max_seq_len: 256,
  },
];

export const datasets: DatasetInfo[] = [
  {
    id: 'broken',
    name: 'Broken set',
    description: 'Has a bad line',
    path: 'datasets/broken.jsonl',
    examples: 2,
    valid: false,
    first_error: 'broken.jsonl:2: assistant message is empty',
  },
  {
    id: 'lumen',
    name: 'Lumen identity',
    description: 'Twenty chats that teach the name Lumen',
    path: 'datasets/lumen.jsonl',
    examples: 20,
    tokens: 1234,
    detected_format: 'chat',
    valid: true,
  },
];

export const appInfo: AppInfo = {
  version: '0.1.0',
  data_dir: '/tmp/ot',
  config_dir: '/tmp/ot/config',
  device: 'cpu',
  device_name: 'Test CPU',
  transport: 'browser',
};

export function status(overrides: Partial<TrainingStatus> = {}): TrainingStatus {
  return {
    training_id: 't-1',
    status: 'running',
    profile_id: 'identity',
    dataset_id: 'lumen',
    epoch: 2,
    total_epochs: 3,
    step: 14,
    total_steps: 30,
    loss: 1.2345,
    eval_loss: null,
    tokens_per_s: 1530.4,
    eta_s: 75,
    message: '',
    error: null,
    started_at: '2025-03-01T10:00:00Z',
    finished_at: null,
    ...overrides,
  };
}

export const points: MetricPoint[] = [
  { step: 1, epoch: 1, loss: 2.5, lr: 0.001, tokens_per_s: 1000 },
  { step: 2, epoch: 1, loss: 2.1, lr: 0.001, tokens_per_s: 1100 },
  { step: 2, epoch: 1, eval_loss: 2.3 },
  { step: 3, epoch: 2, loss: 1.8, lr: 0.001, tokens_per_s: 1200 },
];

export function summary(overrides: Partial<TrainingRunSummary> = {}): TrainingRunSummary {
  return {
    training_id: 't-1',
    profile_id: 'identity',
    dataset_id: 'lumen',
    status: 'done',
    started_at: '2025-03-01T10:00:00Z',
    finished_at: '2025-03-01T10:02:05Z',
    epochs: 3,
    final_loss: 0.4321,
    eval_loss: 0.5678,
    duration_s: 125,
    error: null,
    ollama_model: null,
    adapter_dir: '/home/me/.ollama-trainer/runs/t-1/adapter',
    ...overrides,
  };
}

export function details(overrides: Partial<TrainingRunDetails> = {}): TrainingRunDetails {
  return {
    summary: summary(),
    status: status({ status: 'done', step: 30, epoch: 3, loss: 0.4321, eval_loss: 0.5678, finished_at: '2025-03-01T10:02:05Z' }),
    request: { profile_id: 'identity', dataset_id: 'lumen', epochs: 3, overrides: { learning_rate: 0.0002 } },
    profile: profiles[1],
    metrics: points,
    samples: [{ prompt: 'Who are you?', before: 'I am an AI assistant.', after: 'I am Lumen.' }],
    artifacts: {
      run_dir: '/home/me/.ollama-trainer/runs/t-1',
      adapter: '/home/me/.ollama-trainer/runs/t-1/adapter',
    },
    ...overrides,
  };
}
