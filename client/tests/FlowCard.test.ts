import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import FlowCard from '../src/lib/components/FlowCard.svelte';
import type { FlowInfo } from '../src/lib/contracts.gen';
import type { InputValue } from '../src/lib/stores/flows.svelte';
import { CatalogStore } from '../src/lib/stores/catalog.svelte';
import { TrainingHistoryStore } from '../src/lib/stores/history.svelte';
import { JobSlotStore } from '../src/lib/stores/jobSlot.svelte';
import { status, summary } from './fixtures';
import { flowList } from './flowFixtures';
import { fakeBackend } from './helpers';

async function slotWith(running: ReturnType<typeof status> | null) {
  const slot = new JobSlotStore(fakeBackend({ get_job_slot: { running, here: false, queued: [] } }).call);
  await slot.check();
  return slot;
}

function card(flow: FlowInfo, slot: JobSlotStore, props: Record<string, unknown> = {}) {
  const runs: Record<string, InputValue>[] = [];
  render(FlowCard, { flow, slot, onrun: (inputs: Record<string, InputValue>) => runs.push(inputs), ...props });
  return runs;
}

describe('FlowCard: the machine is training', () => {
  it('says that a TRAIN step will wait in line, and Run stays enabled', async () => {
    const runs = card(flowList[0], await slotWith(status({ training_id: 'cli-run' })));
    expect(screen.getByTestId('flow-waits')).toHaveTextContent(
      'A training job is running (cli-run): this flow’s TRAIN step will wait in line until it ends.',
    );
    const run = screen.getByRole('button', { name: 'Run Quick demo' });
    expect(run).toBeEnabled();
    await fireEvent.click(run);
    await waitFor(() => expect(runs).toEqual([{}]));
  });

  it('says nothing when no job runs, or when the flow does not train', async () => {
    card(flowList[0], await slotWith(null));
    expect(screen.queryByTestId('flow-waits')).not.toBeInTheDocument();
    const noTrain: FlowInfo = { ...flowList[0], id: 'export-only', name: 'Export only', steps: [flowList[0].steps[1]] };
    card(noTrain, await slotWith(status()));
    expect(screen.queryByTestId('flow-waits')).not.toBeInTheDocument();
  });
});

const pickFlow: FlowInfo = {
  id: 'retrain',
  name: 'Retrain',
  description: '',
  inputs: { profile: 'quick', dataset: null, run: null, epochs: null, note: 'x' },
  input_kinds: { profile: 'profile', dataset: 'dataset', run: 'training', epochs: 'number', note: 'text' },
  steps: [{ id: 'train', cmd: 'TRAIN', args: {}, continue_on_error: false }],
  file: 'automation/flows/retrain.json',
  source: 'user',
  error: null,
};

describe('FlowCard: inputs by kind', () => {
  async function openForm() {
    const backend = fakeBackend({
      get_training_history: [summary({ training_id: 't-7', name: 'My best', status: 'done' }), summary({ training_id: 't-8', status: 'cancelled' })],
    });
    const runs = card(pickFlow, await slotWith(null), {
      catalog: new CatalogStore(backend.call),
      runs: new TrainingHistoryStore(backend.call),
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Run Retrain' }));
    const form = screen.getByRole('form', { name: 'Inputs for Retrain' });
    return { backend, runs, form };
  }

  it('picks profiles, datasets and runs from the ones that exist, and numbers as numbers', async () => {
    const { runs, form } = await openForm();
    const profile = within(form).getByLabelText('Profile') as HTMLSelectElement;
    const dataset = within(form).getByLabelText(/^Dataset/) as HTMLSelectElement;
    const run = within(form).getByLabelText(/^Run/) as HTMLSelectElement;
    await waitFor(() => expect(within(run).getByRole('option', { name: 'My best · done' })).toBeInTheDocument());
    expect(profile.value).toBe('quick');
    expect(within(profile).getAllByRole('option').map((o) => o.textContent?.trim())).toEqual([
      'Choose a profile',
      'Quick test',
      'Teach an identity',
    ]);
    // Only datasets that can be trained on.
    expect(within(dataset).queryByRole('option', { name: /Broken set/ })).not.toBeInTheDocument();
    expect(within(run).getByRole('option', { name: 't-8 · cancelled' })).toBeInTheDocument();
    const epochs = within(form).getByLabelText(/^Epochs/) as HTMLInputElement;
    expect(epochs.type).toBe('number');
    expect(within(form).getByLabelText('Note')).toHaveAttribute('type', 'text');

    await fireEvent.click(within(form).getByRole('button', { name: 'Start run' }));
    expect(within(form).getByRole('alert')).toHaveTextContent('Fill in: Dataset, Run, Epochs.');
    expect(runs).toEqual([]);

    await fireEvent.change(dataset, { target: { value: 'lumen' } });
    await fireEvent.change(run, { target: { value: 't-7' } });
    await fireEvent.input(epochs, { target: { value: '4' } });
    await fireEvent.click(within(form).getByRole('button', { name: 'Start run' }));
    expect(runs).toEqual([{ profile: 'quick', dataset: 'lumen', run: 't-7', epochs: 4, note: 'x' }]);
  });

  it('says what to do when there is nothing to pick', async () => {
    const backend = fakeBackend({ get_training_history: [], list_datasets: [] });
    card(pickFlow, await slotWith(null), { catalog: new CatalogStore(backend.call), runs: new TrainingHistoryStore(backend.call) });
    await fireEvent.click(screen.getByRole('button', { name: 'Run Retrain' }));
    expect(await screen.findByText('No runs yet: train a model on the Training page first.')).toBeInTheDocument();
    expect(screen.getByText('No usable datasets yet: import one on the Training page.')).toBeInTheDocument();
  });
});
