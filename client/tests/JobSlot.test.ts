import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../src/lib/api';
import JobSlotStatus from '../src/lib/components/JobSlotStatus.svelte';
import { JobSlotStore } from '../src/lib/stores/jobSlot.svelte';
import { status } from './fixtures';
import { fakeBackend, renderTrainingPanel } from './helpers';

const invokeMock = vi.hoisted(() => vi.fn());

vi.mock('../src/lib/api', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/lib/api')>();
  return { ...actual, invoke: invokeMock };
});

describe('JobSlotStatus (sidebar)', () => {
  it('shows a job another process runs, linked to its page, and how many wait', async () => {
    const backend = fakeBackend({
      get_job_slot: {
        running: status({ training_id: 'cli-run', epoch: 1, total_epochs: 3 }),
        here: false,
        origin: null,
        queued: [status({ training_id: 'q-1', status: 'queued', queue_position: 1 })],
      },
    });
    render(JobSlotStatus, { store: new JobSlotStore(backend.call) });

    const slot = await screen.findByTestId('job-slot');
    await waitFor(() => expect(slot).toHaveAttribute('data-state', 'running'));
    expect(within(slot).getByRole('link', { name: 'cli-run' })).toHaveAttribute('href', '#/training/cli-run');
    expect(slot).toHaveTextContent('started in another process');
    expect(slot).toHaveTextContent('running · epoch 1 / 3');
    expect(slot).toHaveTextContent('1 waiting in line');
  });

  it('says where a job of another process was started, when the slot knows', async () => {
    const words = { cli: 'started from the command line', window: 'started in another window', browser: 'started in browser mode', app: 'started in another process' };
    for (const [origin, text] of Object.entries(words)) {
      const backend = fakeBackend({ get_job_slot: { running: status({ training_id: 'x' }), here: false, origin, queued: [] } });
      const { unmount } = render(JobSlotStatus, { store: new JobSlotStore(backend.call) });
      const slot = await screen.findByTestId('job-slot');
      await waitFor(() => expect(slot).toHaveTextContent(`(${text})`));
      unmount();
    }
  });

  it('does not call a job of this app "another process"', async () => {
    const backend = fakeBackend({ get_job_slot: { running: status({ training_id: 'mine' }), here: true, queued: [] } });
    render(JobSlotStatus, { store: new JobSlotStore(backend.call) });
    const slot = await screen.findByTestId('job-slot');
    await waitFor(() => expect(within(slot).getByRole('link', { name: 'mine' })).toBeInTheDocument());
    expect(slot).not.toHaveTextContent('another process');
    expect(slot).not.toHaveTextContent('waiting');
  });

  it('says when nothing trains, and when the slot cannot be read', async () => {
    const free = fakeBackend({ get_job_slot: { running: null, here: false, queued: [] } });
    const { unmount } = render(JobSlotStatus, { store: new JobSlotStore(free.call) });
    expect(await screen.findByText('No training running')).toBeInTheDocument();
    unmount();

    const broken = fakeBackend({ get_job_slot: new ApiError('internal_error', 'slot file unreadable') });
    render(JobSlotStatus, { store: new JobSlotStore(broken.call) });
    expect(await screen.findByText('Training state unknown: slot file unreadable')).toBeInTheDocument();
  });
});

describe('JobSlotStatus: the run card\'s own snapshot', () => {
  it('shows the running job as its card polls it, not the slot\'s older snapshot', async () => {
    const backend = fakeBackend({
      get_job_slot: {
        running: status({ training_id: 'mine', status: 'preparing', epoch: 0, total_epochs: 3, step: 0, total_steps: 0 }),
        here: true,
        queued: [],
      },
      get_training_status: status({ training_id: 'mine', status: 'running', epoch: 1, step: 1, total_steps: 48 }),
    });
    const store = new JobSlotStore(backend.call);
    render(JobSlotStatus, { store });

    const progress = await screen.findByTestId('slot-progress');
    await waitFor(() => expect(progress).toHaveTextContent('running · epoch 1 / 3 · step 1 / 48'), { timeout: 3000 });
    // one object: what the card reads is what the sidebar shows
    expect(store.runningLive?.status?.step).toBe(1);
  });

  it('shows a stage with its count and time left, in the card\'s words', async () => {
    const replay = status({
      training_id: 'mine', status: 'preparing', epoch: 0, step: 0, total_steps: 0,
      stage: 'replay', stage_done: 12, stage_total: 40, eta_s: 20,
    });
    const backend = fakeBackend({ get_job_slot: { running: replay, here: true, queued: [] }, get_training_status: replay });
    render(JobSlotStatus, { store: new JobSlotStore(backend.call) });
    expect(await screen.findByTestId('slot-stage')).toHaveTextContent(
      'The base answers the general prompts (kept in the training mix): 12 of 40, 0:20 left',
    );
  });
});

describe('TrainingPanel: Start while another process trains', () => {
  it('offers to queue a start refused with job_running, then follows the queued job', async () => {
    const queued = status({
      training_id: 'q-9',
      status: 'queued',
      queue_position: 1,
      epoch: 0,
      step: 0,
      total_steps: 0,
      message: 'waiting for the running job to end (place 1 in line)',
    });
    const backend = fakeBackend({
      start_training_job: (args) =>
        args.queue
          ? { training_id: 'q-9' }
          : new ApiError('job_running', 'a training job is already running (cli-run, started from cli)'),
      get_training_status: queued,
      get_training_metrics: { training_id: 'q-9', points: [], last_step: 0 },
      cancel_training_job: { ...queued, status: 'cancelled', queue_position: null },
    });
    renderTrainingPanel(backend, invokeMock);

    await fireEvent.click(await screen.findByRole('radio', { name: 'Quick test' }));
    await fireEvent.click(await screen.findByRole('radio', { name: 'Lumen identity' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Start Training' }));

    expect(await screen.findByText(/already running \(cli-run/)).toBeInTheDocument();
    await fireEvent.click(screen.getByRole('button', { name: 'Queue it' }));

    await waitFor(() => expect(backend.callsOf('start_training_job')).toHaveLength(2));
    expect(backend.callsOf('start_training_job')[1]).toMatchObject({ profile_id: 'quick', dataset_id: 'lumen', queue: true });
    expect(await screen.findByText('Waiting for the running job to end (place 1 in line)')).toBeInTheDocument();
    expect(document.querySelector('[role="status"][data-state="queued"]')).toHaveTextContent('queued');
    expect(screen.queryByRole('group', { name: 'Wait in line' })).not.toBeInTheDocument();

    // A queued job can leave the line.
    await fireEvent.click(screen.getByRole('button', { name: 'Cancel training' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Yes, cancel' }));
    await waitFor(() => expect(backend.callsOf('cancel_training_job')).toEqual([{ training_id: 'q-9' }]));
  });

  it('offers no queueing for other refusals', async () => {
    const backend = fakeBackend({ start_training_job: new ApiError('unknown_dataset', 'no dataset lumen') });
    renderTrainingPanel(backend, invokeMock);
    await fireEvent.click(await screen.findByRole('radio', { name: 'Quick test' }));
    await fireEvent.click(await screen.findByRole('radio', { name: 'Lumen identity' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Start Training' }));
    expect(await screen.findByText('no dataset lumen')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Queue it' })).not.toBeInTheDocument();
  });
});
