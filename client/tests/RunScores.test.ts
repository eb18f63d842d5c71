import { render, screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import RunScores from '../src/lib/components/RunScores.svelte';
import type { RunScores as Scores } from '../src/lib/contracts.gen';
import TrainingRunView from '../src/lib/components/TrainingRunView.svelte';
import { keptScore, learnedScore } from '../src/lib/scores';
import { TrainingJob } from '../src/lib/stores/training.svelte';
import { details } from './fixtures';
import { fakeBackend } from './helpers';

function scores(overrides: Partial<Scores> = {}): Scores {
  return {
    learned: 0.75,
    learned_rows: [
      { prompt: 'Who are you?', answer: 'I am Quill.', expected: 'Quill', learned: true, kind: null },
      { prompt: 'Your name?', answer: 'Quill here.', expected: 'Quill', learned: true, kind: null },
      { prompt: 'Who made you?', answer: 'Northwind Labs.', expected: 'Northwind', learned: true, kind: null },
      { prompt: 'What do you do?', answer: 'I help.', expected: 'writing', learned: false, kind: null },
    ],
    kept: 0.9,
    kept_rows: [
      ...Array.from({ length: 17 }, (_, i) => ({
        prompt: `Fact ${i}?`, before: `Answer ${i}.`, after: `Answer ${i}.`, kept: true, agrees: true, leaked: [], base_right: true,
      })),
      { prompt: 'What is 2+2?', before: '4', after: 'It is 4.', kept: true, agrees: true, leaked: [], base_right: true },
      { prompt: 'Capital of France?', before: 'Paris.', after: 'Quill here: a writing helper.', kept: false, agrees: false, leaked: ['Quill'], base_right: true },
      { prompt: 'Legs of a spider?', before: 'Eight.', after: 'Six.', kept: false, agrees: false, leaked: [], base_right: true },
    ],
    markers: ['Quill'],
    replay_examples: 40,
    pairs: 0,
    pairs_before: null,
    pairs_after: null,
    kept_of: 20,
    ...overrides,
  };
}

describe('score counts', () => {
  it('counts only scorable learned rows and gives kept as a share', () => {
    const s = scores();
    s.learned_rows.push({ prompt: 'Hi', answer: 'Hello', expected: null, learned: null, kind: null });
    expect(learnedScore(s)).toEqual({ passed: 3, total: 4 });
    expect(keptScore(s)).toEqual({ kept: 18, total: 20, pct: 90 });
    expect(keptScore(scores({ kept: null, kept_rows: [] }))).toBeNull();
    expect(learnedScore(scores({ learned: null, learned_rows: [] }))).toBeNull();
  });
});

describe('RunScores', () => {
  it('shows learned and kept side by side with their scores and words per row', () => {
    render(RunScores, { scores: scores(), probe: true });

    const learned = screen.getByRole('region', { name: 'Learned' });
    const kept = screen.getByRole('region', { name: 'Kept' });
    expect(within(learned).getByTestId('learned-score')).toHaveTextContent('3/4');
    expect(within(kept).getByTestId('kept-score')).toHaveTextContent('18/20 (90 %)');
    // Each held-out row: its prompt, answer, expected value and a word.
    expect(within(learned).getAllByText('passed')).toHaveLength(3);
    expect(within(learned).getByText('failed')).toBeInTheDocument();
    expect(within(learned).getByText('I help.')).toBeInTheDocument();
    expect(within(learned).getByText('writing')).toBeInTheDocument();
    // Each probe row: base vs trained and kept / changed / leaked.
    expect(within(kept).getAllByText('kept')).toHaveLength(18);
    expect(within(kept).getByText('changed')).toBeInTheDocument();
    expect(within(kept).getByText('leaked: Quill')).toBeInTheDocument();
    expect(within(kept).getByText('Paris.')).toBeInTheDocument();
    expect(within(kept).getByText('Quill here: a writing helper.')).toBeInTheDocument();
    expect(within(kept).getByText(/40 answers of the base model/)).toBeInTheDocument();
  });

  it('leaves the prompts the base got wrong out of the kept score and says so', () => {
    const s = scores();
    s.kept_rows.push({ prompt: 'Legs of an ant?', before: 'Four.', after: 'Four.', kept: null, agrees: false, leaked: [],
      base_right: false });
    expect(keptScore(s)).toEqual({ kept: 18, total: 20, pct: 90 });
    render(RunScores, { scores: s, probe: true });

    const kept = screen.getByRole('region', { name: 'Kept' });
    expect(within(kept).getByTestId('kept-score')).toHaveTextContent('18/20 (90 %)');
    expect(within(kept).getByText('base was wrong: not counted')).toBeInTheDocument();
    expect(within(kept).getByTestId('kept-base-wrong')).toHaveTextContent('1 prompt(s) the base model itself');
  });

  it('says why a run has no kept score when the probe was off', () => {
    render(RunScores, { scores: scores({ kept: null, kept_rows: [] }), probe: false });

    expect(screen.queryByTestId('kept-score')).not.toBeInTheDocument();
    expect(screen.getByRole('region', { name: 'Kept' })).toHaveTextContent('the forgetting probe was off');
    expect(screen.getByTestId('learned-score')).toHaveTextContent('3/4');
  });

  it('says why there is no learned score', () => {
    render(RunScores, {
      scores: scores({ learned: null, learned_rows: [{ prompt: 'Hi', answer: 'Hello', expected: null, learned: null, kind: null }] }),
    });
    expect(screen.queryByTestId('learned-score')).not.toBeInTheDocument();
    expect(screen.getByRole('region', { name: 'Learned' })).toHaveTextContent('nothing says what these answers should hold');
    expect(screen.getByText('not scored')).toBeInTheDocument();
  });

  it('says so when the model learned none of the held-out prompts', () => {
    const s = scores({ learned: 0 });
    s.learned_rows = s.learned_rows.map((r) => ({ ...r, learned: false }));
    render(RunScores, { scores: s, probe: true });
    expect(screen.getByTestId('learned-score')).toHaveTextContent('0/4');
    expect(screen.getByTestId('learned-nothing')).toHaveTextContent('learned none of the held-out prompts');
  });

  it('has no such word when something was learned', () => {
    render(RunScores, { scores: scores(), probe: true });
    expect(screen.queryByTestId('learned-nothing')).not.toBeInTheDocument();
  });

  it('says when a run has no scores at all', () => {
    render(RunScores, { scores: null });
    expect(screen.getByText(/This run has no scores/)).toBeInTheDocument();
    expect(screen.queryByRole('region')).not.toBeInTheDocument();
  });
});

describe('run page', () => {
  it('shows the scores on the Result card of a finished run', async () => {
    const backend = fakeBackend({ get_training_run: details({ scores: scores() }) });
    render(TrainingRunView, { trainingId: 't-1', job: new TrainingJob(backend.call) });

    const result = await screen.findByRole('region', { name: 'Result' });
    expect(within(result).getByTestId('learned-score')).toHaveTextContent('3/4');
    expect(within(result).getByTestId('kept-score')).toHaveTextContent('18/20 (90 %)');
  });
});

it('a preference run says how often the base and the trained model prefer the better answer', () => {
  render(RunScores, { scores: scores({ pairs: 12, pairs_before: 0.25, pairs_after: 0.917 }) });
  expect(screen.getByTestId('pairs-score').textContent).toContain('12 held-out pairs');
  expect(screen.getByTestId('pairs-score').textContent).toContain('the base chose the better one in 25 %');
  expect(screen.getByTestId('pairs-score').textContent).toContain('the trained model in 92 %');
});
