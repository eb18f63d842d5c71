import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../src/lib/api';
import ResumeRun from '../src/lib/components/ResumeRun.svelte';
import TrainingRunView from '../src/lib/components/TrainingRunView.svelte';
import { JobSlotStore } from '../src/lib/stores/jobSlot.svelte';
import { TrainingJob } from '../src/lib/stores/training.svelte';
import { details, status, summary } from './fixtures';
import { fakeBackend } from './helpers';

const cancelled = status({ status: 'cancelled', epoch: 1, total_epochs: 3, step: 4, total_steps: 12, can_resume: true, eta_s: null });

function open(answers: Parameters<typeof fakeBackend>[0]) {
  const backend = fakeBackend({
    get_training_run: details({ status: cancelled, summary: summary({ status: 'cancelled' }), samples: [] }),
    resume_training_job: { training_id: 't-2' },
    get_training_status: (args) =>
      status({ training_id: String(args.training_id), status: 'running', epoch: 1, step: 5, resumed_from: 't-1' }),
    get_training_metrics: { training_id: 't-2', points: [], last_step: 4 },
    ...answers,
  });
  const job = new TrainingJob(backend.call);
  render(TrainingRunView, { trainingId: 't-1', job });
  return { backend, job };
}

afterEach(() => {
  window.location.hash = '';
});

describe('ResumeRun on a run page', () => {
  it('continues a cancelled run with its own epochs and opens the new run', async () => {
    const { backend, job } = open({});
    const resume = await screen.findByRole('button', { name: 'Resume' });
    expect(screen.getByLabelText('Train to epochs')).toHaveValue(3);
    await fireEvent.click(resume);
    await waitFor(() => expect(backend.callsOf('resume_training_job')).toEqual([{ training_id: 't-1', queue: false }]));
    await waitFor(() => expect(window.location.hash).toBe('#/training/t-2'));
    expect(job.id).toBe('t-2');
  });

  it('sends the epochs a person typed, within the contract bounds', async () => {
    const { backend } = open({});
    const epochs = await screen.findByLabelText('Train to epochs');
    await fireEvent.input(epochs, { target: { value: '101' } });
    expect(screen.getByRole('button', { name: 'Resume' })).toBeDisabled();
    expect(screen.getByText('Epochs must be a whole number from 1 to 100.')).toBeInTheDocument();
    await fireEvent.input(epochs, { target: { value: '6' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Resume' }));
    await waitFor(() =>
      expect(backend.callsOf('resume_training_job')).toEqual([{ training_id: 't-1', queue: false, epochs: 6 }]),
    );
  });

  it('shows the refusal, and offers the queue when another job trains', async () => {
    const { backend } = open({
      resume_training_job: (args) =>
        args.queue ? { training_id: 't-2' } : new ApiError('job_running', 'a training job is already running (cli-run)'),
    });
    await fireEvent.click(await screen.findByRole('button', { name: 'Resume' }));
    expect(await screen.findByText('a training job is already running (cli-run)')).toBeInTheDocument();
    await fireEvent.click(screen.getByRole('button', { name: 'Queue it' }));
    await waitFor(() => expect(backend.callsOf('resume_training_job')[1]).toEqual({ training_id: 't-1', queue: true }));
  });

  it('reads Queue it while another job holds the machine, and queues the new run at once', async () => {
    const backend = fakeBackend({
      get_training_run: details({ status: cancelled, summary: summary({ status: 'cancelled' }), samples: [] }),
      get_job_slot: { running: status({ training_id: 'cli-run' }), here: false, origin: 'cli', queued: [] },
      resume_training_job: { training_id: 't-2' },
      get_training_status: status({ training_id: 't-2', status: 'queued', queue_position: 1 }),
      get_training_metrics: { training_id: 't-2', points: [], last_step: 0 },
    });
    const job = new TrainingJob(backend.call);
    await job.open('t-1');
    const slot = new JobSlotStore(backend.call);
    await slot.check();
    render(ResumeRun, { job, slot, openNew: true });

    expect(screen.queryByRole('button', { name: 'Resume' })).not.toBeInTheDocument();
    expect(screen.getByText(/Training cli-run holds this machine/)).toBeInTheDocument();
    await fireEvent.click(screen.getByRole('button', { name: 'Queue it' }));
    await waitFor(() => expect(backend.callsOf('resume_training_job')).toEqual([{ training_id: 't-1', queue: true }]));
    await waitFor(() => expect(window.location.hash).toBe('#/training/t-2'));
  });

  it('offers no Resume for a run without a checkpoint, or one that finished', async () => {
    open({
      get_training_run: details({
        status: { ...cancelled, can_resume: false },
        summary: summary({ status: 'cancelled' }),
        samples: [],
      }),
    });
    expect(await screen.findByText('cancelled', { selector: '[role="status"]' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Resume' })).not.toBeInTheDocument();
  });

  it('links a cancelled run forward to the run that continues it', async () => {
    open({
      get_training_run: details({
        status: { ...cancelled, can_resume: false },
        summary: summary({ status: 'cancelled' }),
        samples: [],
        continued_by: 't-2',
      }),
    });
    const line = await screen.findByTestId('continued-by');
    expect(line).toHaveTextContent('Continued in t-2');
    expect(line.querySelector('a')).toHaveAttribute('href', '#/training/t-2');
  });

  it('links a run that continues another to it', async () => {
    open({ get_training_run: details({ status: status({ status: 'done', step: 30, epoch: 3, resumed_from: 't-0' }) }) });
    const line = await screen.findByTestId('resumed-from');
    expect(line).toHaveTextContent('Continues t-0');
    expect(line.querySelector('a')).toHaveAttribute('href', '#/training/t-0');
  });
});
