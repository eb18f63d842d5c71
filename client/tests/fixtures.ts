import type { AppInfo, DatasetInfo, TrainingProfile } from '../src/lib/contracts.gen';

export const profiles: TrainingProfile[] = [
  {
    id: 'quick',
    name: 'Quick test',
    description: 'A short run to see that everything works',
    base_model: 'smollm2-135m-instruct',
    ollama_base: 'smollm2:135m',
    default_epochs: 1,
  },
  {
    id: 'identity',
    name: 'Teach an identity',
    description: 'Three epochs on a small chat set',
    base_model: 'smollm2-135m-instruct',
    ollama_base: 'smollm2:135m',
    default_epochs: 3,
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
