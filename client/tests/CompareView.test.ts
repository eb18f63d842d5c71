import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/lib/api';
import { alignRuns } from '../src/lib/components/CompareChart.svelte';
import CompareView from '../src/lib/components/CompareView.svelte';
import type { ComparedRun, CompareResult, RunScores } from '../src/lib/contracts.gen';
import { point, summary } from './fixtures';
import { fakeBackend, findAlert } from './helpers';

function scores(passed: number, kept: number): RunScores {
  return {
    learned: passed / 4,
    learned_rows: Array.from({ length: 4 }, (_, i) => ({ prompt: `q${i}`, answer: 'a', expected: 'a', learned: i < passed, kind: null })),
    kept: kept / 20,
    kept_rows: Array.from({ length: 20 }, (_, i) => ({
      prompt: `p${i}`, before: 'b', after: 'b', kept: i < kept, agrees: i < kept, leaked: [], base_right: true,
    })),
    markers: [],
    replay_examples: 0,
    pairs: 0,
    pairs_before: null,
    pairs_after: null,
    kept_of: 20,
  };
}

function run(id: string, fields: Partial<ComparedRun>): ComparedRun {
  return {
    training_id: id,
    summary: summary({ training_id: id }),
    settings: {},
    metrics: [],
    scores: null,
    samples: [],
    ...fields,
  };
}

const result: CompareResult = {
  runs: [
    run('r1', {
      summary: summary({ training_id: 'r1', name: 'short', final_loss: 1.5 }),
      settings: { epochs: 1, learning_rate: 0.001, 'lora.r': 16 },
      metrics: [point(1, 1, { loss: 2.5, tokens: 100 }), point(2, 1, { loss: 2.0, tokens: 200 })],
      scores: scores(3, 18),
      samples: [{ prompt: 'Who are you?', before: 'An AI.', after: 'I am Quill.', prompt_text: null, after_tokens: [], expected: null, source: 'dataset' }],
    }),
    run('r2', {
      summary: summary({ training_id: 'r2', name: 'long', final_loss: 0.5 }),
      settings: { epochs: 3, learning_rate: 0.001, 'lora.r': 8 },
      metrics: [point(1, 1, { loss: 2.4 }), point(3, 1, { loss: 1.0 })],
      scores: null,
      samples: [{ prompt: 'Who are you?', before: 'An AI.', after: 'Quill, at your service.', prompt_text: null, after_tokens: [], expected: null, source: 'dataset' }],
    }),
  ],
  settings: ['epochs', 'learning_rate', 'lora.r'],
  differing: ['epochs', 'lora.r'],
};

describe('alignRuns', () => {
  it('puts every run on the union of the x values, null where a run has no point', () => {
    const runs = result.runs.map((r, i) => ({ label: r.training_id, mark: 'AB'[i], color: '#000', dash: [], points: r.metrics }));
    expect(alignRuns(runs, 'step')).toEqual({ xs: [1, 2, 3], columns: [[2.5, 2.0, null], [2.4, null, 1.0]] });
    expect(alignRuns(runs, 'tokens')).toEqual({ xs: [100, 200], columns: [[2.5, 2.0], [null, null]] });
  });
});

describe('CompareView', () => {
  it('shows the runs side by side: legend, settings with the differing one marked, scores and answers', async () => {
    const backend = fakeBackend({ compare_runs: result });
    render(CompareView, { ids: ['r1', 'r2'], call: backend.call });

    expect(screen.getByRole('heading', { level: 1, name: 'Compare runs' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: /Training/ })).toHaveAttribute('href', '#/training');
    const legend = await screen.findByRole('list', { name: 'Runs' });
    expect(within(legend).getAllByRole('listitem').map((li) => li.textContent?.replace(/\s+/g, ' ').trim())).toEqual([
      'A short',
      'B long',
    ]);
    expect(screen.getByTestId('compare-chart')).toHaveAttribute('data-series', '2');
    expect(backend.callsOf('compare_runs')).toEqual([{ training_ids: ['r1', 'r2'] }]);

    const settings = screen.getByRole('region', { name: 'Settings' });
    // Settings in words; only the differing ones until "Differences only" is unticked.
    const epochs = within(settings).getByRole('rowheader', { name: /^Epochs/ }).closest('tr')!;
    expect(epochs).toHaveAttribute('data-differs', 'true');
    expect(within(epochs).getByText('differs')).toBeInTheDocument();
    expect(within(epochs).getAllByRole('cell').map((c) => c.textContent)).toEqual(['1', '3']);
    expect(within(settings).getAllByRole('rowheader')).toHaveLength(2);
    const only = within(settings).getByRole('checkbox', { name: 'Differences only' });
    expect(only).toBeChecked();
    await fireEvent.click(only);
    const rate = within(settings).getByRole('rowheader', { name: /^Learning rate/ }).closest('tr')!;
    expect(rate).not.toHaveAttribute('data-differs');
    expect(within(rate).queryByText('differs')).not.toBeInTheDocument();
    expect(settings).toHaveTextContent('2 of 3 settings differ');
    // The differing settings come first.
    expect(within(settings).getAllByRole('rowheader').map((h) => h.textContent?.trim())).toEqual([
      'Epochs differs',
      'LoRA rank (r) differs',
      'Learning rate',
    ]);

    const results = screen.getByRole('region', { name: 'Scores and answers' });
    expect(screen.getAllByTestId('compare-learned').map((c) => c.textContent)).toEqual(['3/4', '—']);
    expect(screen.getAllByTestId('compare-kept').map((c) => c.textContent)).toEqual(['18/20 (90 %)', '—']);
    const answers = within(results).getByRole('rowheader', { name: 'Answer: Who are you?' }).closest('tr')!;
    expect(within(answers).getAllByRole('cell').map((c) => c.textContent)).toEqual(['I am Quill.', 'Quill, at your service.']);
  });

  it('switches the curves to tokens and names the runs without token counts', async () => {
    render(CompareView, { ids: ['r1', 'r2'], call: fakeBackend({ compare_runs: result }).call });
    await screen.findByRole('list', { name: 'Runs' });

    await fireEvent.click(screen.getByRole('radio', { name: 'By tokens' }));

    const chart = screen.getByTestId('compare-chart');
    expect(chart).toHaveAttribute('data-axis', 'tokens');
    expect(chart).toHaveAttribute('data-series', '1');
    expect(chart).toHaveTextContent('no token counts recorded): B long');
  });

  it('shows the backend message when the runs cannot be compared', async () => {
    render(CompareView, {
      ids: ['r1', 'gone'],
      call: fakeBackend({ compare_runs: new ApiError('unknown_training', "no training run 'gone'") }).call,
    });
    await findAlert(["no training run 'gone'", 'The runs could not be compared']);
  });

  it('asks for two runs when the link names fewer', () => {
    const backend = fakeBackend({ compare_runs: result });
    render(CompareView, { ids: ['r1'], call: backend.call });
    expect(screen.getByText('Choose at least two runs in History to compare them.')).toBeInTheDocument();
    expect(backend.callsOf('compare_runs')).toEqual([]);
  });
});
