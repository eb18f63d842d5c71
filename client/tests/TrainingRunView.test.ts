import { render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/lib/api';
import TrainingRunView from '../src/lib/components/TrainingRunView.svelte';
import { CatalogStore } from '../src/lib/stores/catalog.svelte';
import { TrainingJob } from '../src/lib/stores/training.svelte';
import { details, status, summary } from './fixtures';
import { fakeBackend, findAlert } from './helpers';

function open(answers: Parameters<typeof fakeBackend>[0], id = 't-1') {
  const backend = fakeBackend(answers);
  const job = new TrainingJob(backend.call);
  render(TrainingRunView, { trainingId: id, job, catalog: new CatalogStore(backend.call) });
  return { backend, job };
}

describe('TrainingRunView', () => {
  it('shows parameters, the loss curve and the result of a finished run', async () => {
    const { backend } = open({ get_training_run: details() });

    const params = await screen.findByRole('region', { name: 'Parameters' });
    const value = (label: string) => within(params).getByText(label).nextElementSibling?.textContent;
    // Names, not ids (the ids in the tooltip), and the LoRA it trained with.
    expect(value('Profile')).toBe('Teach an identity');
    await waitFor(() => expect(value('Dataset')).toBe('Lumen identity'));
    expect(within(params).getByText('Lumen identity')).toHaveAttribute('title', 'lumen');
    expect(value('LoRA rank / alpha / dropout')).toBe('16 / 32 / 0');
    expect(value('LoRA target modules')).toBe('q_proj, v_proj');
    expect(value('Epochs')).toBe('3');
    expect(value('Learning rate')).toBe('2e-4');
    expect(value('Batch size')).toBe('8');
    expect(value('Max sequence length')).toBe('256');

    expect(screen.getByTestId('loss-chart')).toHaveAttribute('data-points', '3');
    expect(screen.getByText('done', { selector: '[role="status"]' })).toBeInTheDocument();
    const result = screen.getByRole('region', { name: 'Result' });
    expect(within(result).getByText('I am Lumen.')).toBeInTheDocument();
    expect(backend.callsOf('get_training_run')).toEqual([{ training_id: 't-1' }]);
  });

  it('shows the error of a failed run', async () => {
    const failed = status({ status: 'error', error: 'dataset lumen.jsonl:3: not JSON' });
    open({
      get_training_run: details({ status: failed, summary: summary({ status: 'error' }), samples: [] }),
    });

    await findAlert(['Training failed', 'dataset lumen.jsonl:3: not JSON']);
    expect(screen.queryByRole('region', { name: 'Result' })).not.toBeInTheDocument();
  });

  it('shows the backend message for an unknown id', async () => {
    open({ get_training_run: new ApiError('unknown_training', "no training run 'nope'") }, 'nope');

    expect(screen.getByRole('heading', { level: 1, name: 'Run nope' })).toBeInTheDocument();
    await findAlert(["no training run 'nope'", 'unknown_training']);
  });

  it('updates live while the run is active', async () => {
    const running = status({ step: 5 });
    const { job } = open({
      get_training_run: details({ status: running, summary: null, samples: [], metrics: [] }),
      get_training_status: status({ step: 6 }),
      get_training_metrics: { training_id: 't-1', points: [{ step: 6, epoch: 1, loss: 1.1 }], last_step: 6 },
    });
    expect(await screen.findByText('step 5 / 30')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Cancel training' })).toBeInTheDocument();

    await job.poll();

    expect(await screen.findByText('step 6 / 30')).toBeInTheDocument();
    expect(screen.getByTestId('loss-chart')).toHaveAttribute('data-points', '1');
  });
});
