import { fireEvent, screen, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../src/lib/api';
import { fakeBackend, findAlert, renderTrainingPanel } from './helpers';
import { runPreview } from './profileFixtures';

const invokeMock = vi.hoisted(() => vi.fn());
vi.mock('../src/lib/api', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/lib/api')>();
  return { ...actual, invoke: invokeMock };
});

function setup(answers: Parameters<typeof fakeBackend>[0] = {}) {
  const backend = fakeBackend({ preview_training_run: runPreview(), ...answers });
  renderTrainingPanel(backend, invokeMock);
  return backend;
}

async function choose() {
  await fireEvent.click(await screen.findByRole('radio', { name: 'Quick test' }));
  await fireEvent.click(await screen.findByRole('radio', { name: 'Lumen identity' }));
}

const start = () => screen.getByRole('button', { name: 'Start Training' });
const region = () => screen.getByTestId('run-preview');

describe('RunPreview in the Training view', () => {
  it('asks nothing until a profile and a dataset are chosen, then shows what the run would be', async () => {
    const backend = setup();
    await screen.findByRole('radio', { name: 'Quick test' });
    expect(screen.queryByTestId('run-preview')).not.toBeInTheDocument();

    await choose();
    // While the backend counts, a progress line.
    expect(within(region()).getByRole('status')).toHaveTextContent('Counting the tokens');
    expect(await within(region()).findByText('18 / 2 / 36')).toBeVisible();
    expect(within(region()).getByText('4,321 of 12,345')).toBeVisible();
    expect(within(region()).getByTestId('estimate')).toHaveTextContent('1:35 on CPU (first guess)');
    expect(within(region()).getByText('1.6 GB')).toBeVisible();
    expect(within(region()).getByText('6.2 GB')).toBeVisible();
    expect(within(region()).getByText(/Speed assumed: 900 tokens\/s/)).toBeVisible();
    expect(start()).toBeEnabled();
    expect(backend.callsOf('preview_training_run')).toEqual([{ profile_id: 'quick', dataset_id: 'lumen', epochs: 1 }]);
  });

  it('asks again, once, after the epochs change', async () => {
    const backend = setup();
    await choose();
    await within(region()).findByText('18 / 2 / 36');

    const epochs = screen.getByLabelText('Epochs');
    await fireEvent.input(epochs, { target: { value: '4' } });
    await fireEvent.input(epochs, { target: { value: '5' } });
    await vi.waitFor(() => expect(backend.callsOf('preview_training_run')).toHaveLength(2));
    expect(backend.callsOf('preview_training_run')[1]).toEqual({ profile_id: 'quick', dataset_id: 'lumen', epochs: 5 });
    // An invalid value asks nothing.
    await fireEvent.input(epochs, { target: { value: '0' } });
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(backend.callsOf('preview_training_run')).toHaveLength(2);
  });

  it('shows each warning', async () => {
    setup({
      preview_training_run: runPreview({
        warnings: ['the estimate (9.0 GB) exceeds the free memory (6.2 GB)', '3 examples are cut at max_seq_len 256'],
      }),
    });
    await choose();
    const warnings = await within(region()).findByRole('list', { name: 'Warnings' });
    expect(within(warnings).getAllByRole('listitem')).toHaveLength(2);
    expect(warnings).toHaveTextContent('the estimate (9.0 GB) exceeds the free memory (6.2 GB)');
  });

  it('tells a small dataset the epochs it needs, as a warning when the run has fewer', async () => {
    setup({
      preview_training_run: runPreview({ small_dataset: { train_examples: 13, epochs_needed: 5, epochs: 1 } }),
    });
    await choose();
    const small = await within(region()).findByTestId('small-dataset');
    expect(small).toHaveTextContent(
      'Small dataset 13 examples to train on need about 5 epochs at this learning rate. This run has 1: likely too few ' +
        'to learn anything. Set Epochs to 5 or more.',
    );
    expect(within(small).getByText('Small dataset')).toHaveClass('warn');
  });

  it('says a small dataset has enough epochs without a warning', async () => {
    setup({
      preview_training_run: runPreview({ small_dataset: { train_examples: 19, epochs_needed: 1, epochs: 3 } }),
    });
    await choose();
    const small = await within(region()).findByTestId('small-dataset');
    expect(small).toHaveTextContent(
      '19 examples to train on need about one epoch at this learning rate. This run has 3; more examples teach ' +
        'more than more epochs.',
    );
    expect(within(small).getByText('Small dataset')).not.toHaveClass('warn');
  });

  it('disables Start with the reason when nothing would train', async () => {
    setup({
      preview_training_run: runPreview({
        trainable_tokens: 0,
        can_start: false,
        reason: 'no example has an assistant token within max_seq_len 16',
      }),
    });
    await choose();
    await findAlert(['This run cannot start.', 'no example has an assistant token within max_seq_len 16'], region());
    expect(start()).toBeDisabled();
    expect(screen.getAllByText('no example has an assistant token within max_seq_len 16').length).toBe(2);
  });

  it('shows a failed preview with Try again, and Start stays possible', async () => {
    let fail = true;
    setup({
      preview_training_run: () => (fail ? new ApiError('internal_error', 'token counter crashed') : runPreview()),
    });
    await choose();
    const alert = await findAlert(['The run could not be previewed', 'token counter crashed'], region());
    expect(start()).toBeEnabled();

    fail = false;
    await fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await within(region()).findByText('18 / 2 / 36')).toBeVisible();
  });
});
