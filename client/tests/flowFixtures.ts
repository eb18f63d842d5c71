import type { FlowInfo, FlowRun, FlowStepRun } from '../src/lib/contracts.gen';

export const flowList: FlowInfo[] = [
  {
    id: 'quick-demo',
    name: 'Quick demo',
    description: 'Train the Lumen identity, then export it',
    inputs: {},
    input_kinds: {},
    steps: [
      { id: 'train', cmd: 'TRAIN', args: { profile_id: 'quick', dataset_id: 'lumen' }, continue_on_error: false },
      { id: 'export', cmd: 'EXPORT', args: { training_id: '${steps.train.training_id}' }, continue_on_error: true },
    ],
    file: 'automation/flows/quick-demo.json',
    source: 'builtin',
    error: null,
  },
  {
    id: 'docs',
    name: 'Train on documents',
    description: 'Index a folder, then train on it',
    inputs: { folder: null, epochs: 2 },
    input_kinds: { folder: 'folder', epochs: 'number' },
    steps: [
      { id: 'index', cmd: 'INDEX', args: { folder: '${inputs.folder}' }, continue_on_error: false },
      { id: 'train', cmd: 'TRAIN', args: { dataset_id: '${steps.index.dataset_id}' }, continue_on_error: false },
    ],
    file: 'automation/flows/docs.json',
    source: 'builtin',
    error: null,
  },
  {
    id: 'broken',
    name: 'broken',
    description: '',
    inputs: {},
    input_kinds: {},
    steps: [],
    file: '/home/me/.ollama-trainer/flows/broken.json',
    source: 'user',
    error: 'broken.json: not valid JSON (line 3, column 5)',
  },
];

export function stepRun(overrides: Partial<FlowStepRun> = {}): FlowStepRun {
  return {
    id: 'train',
    cmd: 'TRAIN',
    status: 'pending',
    args: {},
    continue_on_error: false,
    started_at: null,
    finished_at: null,
    duration_s: null,
    outputs: {},
    error: null,
    training_id: null,
    ...overrides,
  };
}

export function flowRun(overrides: Partial<FlowRun> = {}): FlowRun {
  return {
    flow_run_id: 'fr-1',
    flow_id: 'quick-demo',
    flow_name: 'Quick demo',
    status: 'done',
    inputs: {},
    started_at: '2025-03-01T10:00:00Z',
    finished_at: '2025-03-01T10:01:15Z',
    duration_s: 75,
    steps: [],
    error: null,
    ...overrides,
  };
}
