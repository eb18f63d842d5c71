import { fireEvent, screen, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { ApiError, type ApiErrorCode } from '../src/lib/api';
import { datasets, details, profiles, status } from './fixtures';
import { fakeBackend, findAlert, pending, renderTrainingPanel } from './helpers';

const invokeMock = vi.hoisted(() => vi.fn());

vi.mock('../src/lib/api', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/lib/api')>();
  return { ...actual, invoke: invokeMock };
});

/** Render the panel against a fake backend; stores get their own instances. */
function setup(answers: Parameters<typeof fakeBackend>[0] = {}) {
  const backend = fakeBackend(answers);
  return { backend, ...renderTrainingPanel(backend, invokeMock) };
}

/** Pick a profile and a dataset, as a person must before Start is enabled. */
async function choose(profile = 'Quick test', dataset = 'Lumen identity') {
  await fireEvent.click(await screen.findByRole('radio', { name: profile }));
  await fireEvent.click(await screen.findByRole('radio', { name: dataset }));
}

const startButton = () => screen.getByRole('button', { name: 'Start Training' });
const epochsInput = () => screen.getByLabelText('Epochs') as HTMLInputElement;

describe('TrainingPanel: catalog', () => {
  it('lists the profiles and datasets the backend returns', async () => {
    const { backend } = setup();

    expect(screen.getByRole('heading', { level: 1, name: 'Training' })).toBeInTheDocument();
    const profileGroup = await screen.findByRole('group', { name: 'Profile' });
    expect(within(profileGroup).getAllByRole('radio')).toHaveLength(2);
    // Nothing is picked for the person: a training is a deliberate choice.
    expect(within(profileGroup).getByRole('radio', { name: 'Quick test' })).not.toBeChecked();
    expect(within(profileGroup).getByText('A short run to see that everything works')).toBeVisible();
    expect(within(profileGroup).getAllByText('smollm2-135m-instruct')).toHaveLength(2);

    const datasetGroup = await screen.findByRole('group', { name: 'Dataset' });
    // The invalid dataset is listed, disabled, with its error.
    expect(within(datasetGroup).getByRole('radio', { name: 'Lumen identity' })).not.toBeChecked();
    expect(within(datasetGroup).getByRole('radio', { name: 'Broken set' })).toBeDisabled();
    expect(within(datasetGroup).getByText('Has errors')).toBeVisible();
    expect(within(datasetGroup).getByText('broken.jsonl:2: assistant message is empty')).toBeVisible();
    expect(within(datasetGroup).getByText('chat')).toBeVisible();
    expect(within(datasetGroup).getByText('1,234')).toBeVisible();

    expect(backend.callsOf('list_training_profiles')).toHaveLength(1);
    expect(backend.callsOf('list_datasets')).toHaveLength(1);
    expect(backend.callsOf('get_active_training')).toHaveLength(1);
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('shows loading states until the lists arrive', async () => {
    const answer = pending();
    setup({ list_training_profiles: () => answer.promise });

    expect(screen.getByText('Loading training profiles…')).toHaveAttribute('role', 'status');
    answer.resolve(profiles);
    expect(await screen.findByRole('group', { name: 'Profile' })).toBeInTheDocument();
    expect(screen.queryByText('Loading training profiles…')).not.toBeInTheDocument();
  });

  it('changes the selection when another card is picked', async () => {
    setup();

    await choose();
    const identity = await screen.findByRole('radio', { name: 'Teach an identity' });
    await fireEvent.click(identity);

    expect(identity).toBeChecked();
    expect(screen.getByText('Selected: Teach an identity on Lumen identity')).toBeInTheDocument();
  });

  it('shows the backend message in an alert and retries', async () => {
    const { backend } = setup({
      list_training_profiles: new ApiError('invalid_catalog', "training_profiles.json line 3: 'id' is missing"),
    });

    const alert = await findAlert(["training_profiles.json line 3: 'id' is missing", 'invalid_catalog']);
    expect(await screen.findByRole('radio', { name: 'Lumen identity' })).toBeInTheDocument();

    backend.table.list_training_profiles = profiles;
    await fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('radio', { name: 'Quick test' })).toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('says what to do when there is nothing to list', async () => {
    setup({ list_training_profiles: [], list_datasets: [] });

    expect(await screen.findByText(/No training profiles yet/)).toBeInTheDocument();
    expect(await screen.findByText(/No datasets yet/)).toBeInTheDocument();
  });
});

describe('TrainingPanel: starting', () => {
  it('enables Start Training once a profile, a valid dataset and valid epochs are there', async () => {
    setup();
    await fireEvent.click(await screen.findByRole('radio', { name: 'Quick test' }));
    expect(startButton()).toBeDisabled(); // no dataset yet
    expect(screen.getByText('Choose a profile and a dataset to start.')).toBeInTheDocument();
    await fireEvent.click(screen.getByRole('radio', { name: 'Lumen identity' }));
    expect(startButton()).toBeEnabled();
  });

  it('keeps Start disabled without a profile', async () => {
    setup({ list_training_profiles: [] });
    await screen.findByText(/No training profiles yet/);
    await screen.findByRole('radio', { name: 'Lumen identity' });
    expect(startButton()).toBeDisabled();
    expect(screen.getByText('Choose a profile and a dataset to start.')).toBeInTheDocument();
  });

  it('keeps Start disabled without a valid dataset', async () => {
    setup({ list_datasets: datasets.filter((d) => !d.valid) });
    expect(await screen.findByRole('radio', { name: 'Broken set' })).toBeDisabled();
    expect(screen.getByRole('radio', { name: 'Broken set' })).not.toBeChecked();
    expect(startButton()).toBeDisabled();
  });

  it.each(['0', '101', '', '2.5'])('keeps Start disabled for epochs %j with an inline message', async (value) => {
    setup();
    await choose();
    expect(startButton()).toBeEnabled();

    await fireEvent.input(epochsInput(), { target: { value } });

    expect(startButton()).toBeDisabled();
    expect(epochsInput()).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByText('Epochs must be a whole number from 1 to 100.')).toBeInTheDocument();

    await fireEvent.input(epochsInput(), { target: { value: '100' } });
    expect(startButton()).toBeEnabled();
    expect(screen.queryByText('Epochs must be a whole number from 1 to 100.')).not.toBeInTheDocument();
  });

  it('offers Queue it instead of Start while a job runs (found on mount), and follows the queued run apart', async () => {
    const waiting = status({ training_id: 'q-2', status: 'queued', queue_position: 1, epoch: 0, step: 0, total_steps: 0,
      message: 'waiting for the running job to end (place 1 in line)' });
    const { backend } = setup({
      get_active_training: status(),
      get_training_status: (args) => ((args as { training_id: string }).training_id === 'q-2' ? waiting : status()),
      get_training_metrics: (args) => ({ training_id: (args as { training_id: string }).training_id, points: [], last_step: 0 }),
      start_training_job: { training_id: 'q-2' },
    });
    await screen.findByRole('radio', { name: 'Lumen identity' });
    const pill = await screen.findByText('running');
    expect(pill.closest('[role="status"]')).not.toBeNull();
    expect(screen.queryByRole('button', { name: 'Start Training' })).not.toBeInTheDocument();

    await choose();
    const queue = screen.getByRole('button', { name: 'Queue it' });
    expect(queue).toBeEnabled();
    expect(screen.getByText('A training is running: this run waits in line and starts when it ends.')).toBeInTheDocument();
    await fireEvent.click(queue);

    await vi.waitFor(() => expect(backend.callsOf('start_training_job')).toHaveLength(1));
    expect(backend.callsOf('start_training_job')[0]).toMatchObject({ profile_id: 'quick', dataset_id: 'lumen', queue: true });
    const line = await screen.findByRole('region', { name: 'Waiting in line' });
    expect(await within(line).findByText('Waiting for the running job to end (place 1 in line)')).toBeInTheDocument();
    // the running job stays in its own card, and one run waiting is enough
    expect(within(screen.getByRole('region', { name: 'Current run' })).getByText('running')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Queue it' })).toBeDisabled();
    expect(screen.getByText('A run is already waiting in line: cancel it, or wait until it starts.')).toBeInTheDocument();
  });

  it('follows the profile with epochs and the advanced settings', async () => {
    setup();
    await choose();
    const lr = screen.getByLabelText('Learning rate') as HTMLInputElement;
    expect(epochsInput().value).toBe('1');

    await fireEvent.click(screen.getByRole('radio', { name: 'Teach an identity' }));
    expect(epochsInput().value).toBe('3');
    expect(lr.value).toBe('0.0002');
    expect((screen.getByLabelText('Batch size') as HTMLInputElement).value).toBe('8');
    expect((screen.getByLabelText('Max sequence length') as HTMLInputElement).value).toBe('256');

    await fireEvent.input(epochsInput(), { target: { value: '7' } });
    expect(epochsInput().value).toBe('7');

    await fireEvent.click(screen.getByRole('radio', { name: 'Quick test' }));
    // Typed epochs stay with the person; the advanced settings follow the profile.
    expect(epochsInput().value).toBe('7');
    expect(lr.value).toBe('0.001');
  });

  it('sends the chosen settings and follows the new job', async () => {
    const { backend } = setup({
      start_training_job: { training_id: 't-9' },
      get_training_status: status({ training_id: 't-9', status: 'preparing', step: 0, epoch: 0 }),
      get_training_metrics: { training_id: 't-9', points: [], last_step: 0 },
    });
    await choose('Teach an identity');
    await fireEvent.input(epochsInput(), { target: { value: '4' } });
    await fireEvent.input(screen.getByLabelText('Batch size'), { target: { value: '2' } });

    await fireEvent.click(startButton());

    expect(backend.callsOf('start_training_job')).toEqual([
      { profile_id: 'identity', dataset_id: 'lumen', epochs: 4, overrides: { batch_size: 2 } },
    ]);
    const pill = await screen.findByText('preparing');
    expect(pill.closest('[role="status"]')).not.toBeNull();
    // the run is followed: the next press would queue a run behind it
    expect(screen.queryByRole('button', { name: 'Start Training' })).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Queue it' })).toBeEnabled();
  });

  it.each<[ApiErrorCode, string]>([
    ['job_running', 'A training job is already running: 20250301-100000-ab12'],
    ['invalid_dataset', 'lumen.jsonl:7: assistant message is empty'],
    ['backend_unreachable', 'Cannot reach the Ollama Trainer backend (Failed to fetch). Is the app still running?'],
  ])('shows the backend message when starting fails (%s)', async (code, message) => {
    setup({ start_training_job: new ApiError(code, message) });
    await choose();

    await fireEvent.click(startButton());

    await findAlert(['Training could not start', message, code]);
    expect(startButton()).toBeEnabled();
  });
});

describe('TrainingPanel: a running job', () => {
  const metrics = (points: object[]) => ({ training_id: 't-1', points, last_step: 3 });

  it('shows progress, figures and the loss chart of the running job', async () => {
    setup({
      get_active_training: status(),
      get_training_status: status(),
      get_training_metrics: metrics(details().metrics ?? []),
    });
    await screen.findByText('running');
    const job = await screen.findByRole('region', { name: 'Current run' });

    await vi.waitFor(() =>
      expect(within(job).getByTestId('loss-chart')).toHaveAttribute('data-points', '3'),
    );
    const bar = within(job).getByRole('progressbar', { name: 'Training progress' });
    expect(bar).toHaveAttribute('aria-valuenow', '14');
    expect(within(job).getByText('epoch 2 / 3')).toBeInTheDocument();
    expect(within(job).getByText('step 14 / 30')).toBeInTheDocument();
    expect(within(job).getByText('1.2345')).toBeInTheDocument();
    expect(within(job).getByText('1,530 tokens/s')).toBeInTheDocument();
    expect(within(job).getByText('1:15')).toBeInTheDocument();
    expect(within(job).getByRole('link', { name: 'Open run details' })).toHaveAttribute('href', '#/training/t-1');
  });

  it('quotes the run\'s estimate in the card, in the preview\'s words', async () => {
    const estimate = { duration_s: 169, memory_gb: 1.6, tokens_per_s: 900, tokens: 4321, basis: 'history' as const,
      device: 'cpu', gradient_checkpointing: false, weights: 'bf16' as const, why: '', fits: true };
    setup({ get_active_training: status({ estimate }), get_training_status: status({ estimate }), get_training_metrics: metrics([]) });
    const job = await screen.findByRole('region', { name: 'Current run' });
    expect(await within(job).findByTestId('estimate')).toHaveTextContent('2:49 on CPU (measured on this machine)');
  });

  it('counts a stage outside the steps (the replay answers) with its own bar', async () => {
    const preparing = status({ stage: 'replay', stage_done: 12, stage_total: 40 });
    setup({ get_active_training: preparing, get_training_status: preparing, get_training_metrics: metrics([]) });
    const job = await screen.findByRole('region', { name: 'Current run' });
    const stage = await within(job).findByTestId('job-stage');
    expect(stage).toHaveTextContent('The base answers the general prompts (kept in the training mix): 12 of 40');
    expect(within(stage).getByRole('progressbar', { name: 'Stage progress' })).toHaveAttribute('value', '12');
  });

  it('cancels only after the in-page confirmation', async () => {
    const { backend } = setup({
      get_active_training: status(),
      get_training_status: status(),
      get_training_metrics: metrics([]),
      cancel_training_job: status({ status: 'cancelled', finished_at: '2025-03-01T10:01:00Z' }),
      get_training_run: details({ status: status({ status: 'cancelled' }), summary: null, samples: [] }),
    });
    await fireEvent.click(await screen.findByRole('button', { name: 'Cancel training' }));
    expect(backend.callsOf('cancel_training_job')).toHaveLength(0);

    await fireEvent.click(screen.getByRole('button', { name: 'No, keep training' }));
    expect(backend.callsOf('cancel_training_job')).toHaveLength(0);

    await fireEvent.click(screen.getByRole('button', { name: 'Cancel training' }));
    expect(screen.getByText(/Cancel training\?/)).toBeInTheDocument();
    await fireEvent.click(screen.getByRole('button', { name: 'Yes, cancel' }));

    expect(backend.callsOf('cancel_training_job')).toEqual([{ training_id: 't-1' }]);
    const pill = await screen.findByText('cancelled');
    expect(pill.closest('[role="status"]')).not.toBeNull();
    expect(screen.queryByRole('button', { name: 'Cancel training' })).not.toBeInTheDocument();
    await choose();
    expect(startButton()).toBeEnabled();
  });

  it('shows the error of a job that failed while training', async () => {
    const failed = status({ status: 'error', error: 'CUDA out of memory at step 14' });
    const { job } = setup({
      get_active_training: status(),
      get_training_status: failed,
      get_training_metrics: metrics([]),
      get_training_run: details({ status: failed, summary: null, samples: [] }),
    });
    await screen.findByText('running');

    await job.poll();

    await findAlert(['Training failed', 'CUDA out of memory at step 14']);
    expect(screen.getByText('error', { selector: '[role="status"]' })).toBeInTheDocument();
    expect(screen.queryByRole('heading', { name: 'Result' })).not.toBeInTheDocument();
  });

  it('shows the result card with the answers before and after when the job is done', async () => {
    const done = details();
    const { job, backend } = setup({
      get_active_training: status(),
      get_training_status: done.status,
      get_training_metrics: metrics([]),
      get_training_run: done,
    });
    await screen.findByText('running');
    expect(backend.callsOf('get_training_history')).toHaveLength(1);

    await job.poll();

    const result = await screen.findByRole('region', { name: 'Result' });
    expect(within(result).getByText('0.4321')).toBeInTheDocument();
    expect(within(result).getByText('0.5678')).toBeInTheDocument();
    expect(within(result).getByText('2:05')).toBeInTheDocument();
    expect(within(result).getByText('/home/me/.ollama-trainer/runs/t-1/adapter')).toBeInTheDocument();
    expect(within(result).getByText('Who are you?')).toBeInTheDocument();
    expect(within(result).getByText('I am an AI assistant.')).toBeInTheDocument();
    expect(within(result).getByText('I am Lumen.')).toBeInTheDocument();
    expect(await within(result).findByRole('button', { name: 'Export to Ollama' })).toBeInTheDocument();
    // The history refreshes once the job ended.
    expect(backend.callsOf('get_training_history')).toHaveLength(2);
  });
});

describe('TrainingPanel: after a reload', () => {
  it('shows the run it showed before again, with its Result card, when nothing runs', async () => {
    const { sessionMemory, TrainingJob } = await import('../src/lib/stores/training.svelte');
    const memory = sessionMemory('test.shown');
    memory.set('t-1');
    const done = details();
    const backend = fakeBackend({ get_training_run: done, get_job_slot: { running: null, here: false, queued: [] } });
    renderTrainingPanel(backend, invokeMock, new TrainingJob(backend.call, memory));

    const result = await screen.findByRole('region', { name: 'Result' });
    expect(within(result).getByText('0.4321')).toBeInTheDocument();
    expect(backend.callsOf('get_training_run')).toEqual([{ training_id: 't-1' }]);
    memory.set(null);
  });

  it('forgets a remembered run that is gone, quietly', async () => {
    const { sessionMemory, TrainingJob } = await import('../src/lib/stores/training.svelte');
    const memory = sessionMemory('test.shown');
    memory.set('gone');
    const backend = fakeBackend({ get_training_run: new ApiError('unknown_training', 'no training run gone') });
    renderTrainingPanel(backend, invokeMock, new TrainingJob(backend.call, memory));

    await vi.waitFor(() => expect(memory.get()).toBeNull());
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('shows the run this app queued again, from the job slot', async () => {
    const waiting = status({ training_id: 'q-2', status: 'queued', queue_position: 1, epoch: 0, step: 0, total_steps: 0,
      message: 'waiting for the running job to end (place 1 in line)' });
    const other = status({ training_id: 'q-cli', status: 'queued', queue_position: 2 });
    setup({
      get_active_training: status(),
      get_job_slot: { running: status(), here: true, queued: [waiting, other], queued_here: ['q-2'] },
      get_training_status: (args) => ((args as { training_id: string }).training_id === 'q-2' ? waiting : status()),
      get_training_metrics: (args) => ({ training_id: (args as { training_id: string }).training_id, points: [], last_step: 0 }),
    });

    const line = await screen.findByRole('region', { name: 'Waiting in line' });
    expect(await within(line).findByText('Waiting for the running job to end (place 1 in line)')).toBeInTheDocument();
    expect(within(line).getByRole('link', { name: 'Open run details' })).toHaveAttribute('href', '#/training/q-2');
  });
});
