import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import TrainingHistory from '../src/lib/components/TrainingHistory.svelte';
import { TrainingHistoryStore } from '../src/lib/stores/history.svelte';
import { summary } from './fixtures';
import { fakeBackend } from './helpers';

function runs(n: number, from = 0) {
  return Array.from({ length: n }, (_, i) =>
    summary({ training_id: `t-${from + i}`, started_at: `2025-03-0${1 + ((from + i) % 9)}T10:00:00Z` }),
  );
}

async function show(answers: Parameters<typeof fakeBackend>[0]) {
  const backend = fakeBackend(answers);
  const history = new TrainingHistoryStore(backend.call);
  render(TrainingHistory, {
    history,
    profileName: (id: string) => (id === 'identity' ? 'Teach an identity' : id),
  });
  await history.load();
  return { backend, history };
}

describe('TrainingHistory', () => {
  it('says what to do when nothing was trained yet', async () => {
    await show({ get_training_history: [] });

    expect(screen.getByRole('heading', { name: 'History' })).toBeInTheDocument();
    expect(await screen.findByText("You haven't trained a model yet")).toBeInTheDocument();
    expect(
      screen.getByText('Choose a profile and a dataset above, then press Start Training.'),
    ).toBeInTheDocument();
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
  });

  it('lists runs as rows that link to their page', async () => {
    const { backend } = await show({
      get_training_history: [
        summary({ training_id: 'a1', status: 'done', final_loss: 0.5, eval_loss: 0.75, duration_s: 65 }),
        summary({ training_id: 'b 2', status: 'error', final_loss: 0.5, eval_loss: null, duration_s: null }),
      ],
    });

    const rows = within(screen.getByRole('table')).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    expect(within(rows[0]).getByRole('link')).toHaveAttribute('href', '#/training/a1');
    expect(within(rows[1]).getByRole('link')).toHaveAttribute('href', '#/training/b%202');
    for (const cell of ['Teach an identity', 'lumen', 'done', '0.7500', '1:05']) {
      expect(within(rows[0]).getByText(cell)).toBeInTheDocument();
    }
    expect(within(rows[1]).getByText('error')).toBeInTheDocument();
    // The kept adapter's eval loss is the result; without one, the last training loss, labelled.
    expect(within(rows[1]).getByText('0.5000 train')).toBeInTheDocument();
    // Local, readable time, not the raw ISO string.
    expect(within(rows[0]).getByRole('link').textContent).toMatch(/2025/);
    expect(within(rows[0]).getByRole('link').textContent).not.toContain('T10:00:00Z');
    expect(backend.callsOf('get_training_history')).toEqual([{ limit: 10 }]);
    // Fewer than a page: nothing more to show.
    expect(screen.queryByRole('button', { name: 'Show more' })).not.toBeInTheDocument();
  });

  it('loads 10 more with "Show more"', async () => {
    const { backend } = await show({
      get_training_history: ({ limit }: Record<string, unknown>) => runs(Math.min(Number(limit), 15)),
    });
    expect(screen.getAllByRole('link')).toHaveLength(10);

    await fireEvent.click(screen.getByRole('button', { name: 'Show more' }));

    await vi.waitFor(() => expect(screen.getAllByRole('link')).toHaveLength(15));
    expect(backend.callsOf('get_training_history')).toEqual([{ limit: 10 }, { limit: 20 }]);
    expect(screen.queryByRole('button', { name: 'Show more' })).not.toBeInTheDocument();
  });

  it('shows names (a dash when none) and the learned and kept scores', async () => {
    await show({
      get_training_history: [
        summary({ training_id: 'a1', name: 'first try', learned: 0.75, kept: 0.9 }),
        summary({ training_id: 'b2', name: '', learned: null, kept: null }),
      ],
    });
    const [head, first, second] = within(screen.getByRole('table')).getAllByRole('row');
    const headers = within(head).getAllByRole('columnheader').map((h) => h.textContent?.trim());
    expect(headers).toEqual(expect.arrayContaining(['Name', 'Learned', 'Kept']));
    const cells = (row: HTMLElement) => within(row).getAllByRole('cell').map((c) => c.textContent?.trim());
    const col = (name: string) => headers.indexOf(name);
    expect(cells(first)[col('Name')]).toContain('first try');
    expect(cells(first)[col('Learned')]).toBe('75 %');
    expect(cells(first)[col('Kept')]).toBe('90 %');
    expect(cells(second)[col('Name')]).toContain('—');
    expect(cells(second)[col('Learned')]).toBe('—');
  });

  it('renames a run in place: Enter saves, Escape cancels', async () => {
    const { backend } = await show({
      get_training_history: [summary({ training_id: 'a1', name: '' })],
      rename_training_run: ({ training_id, name }: Record<string, unknown>) =>
        summary({ training_id: String(training_id), name: String(name) }),
    });
    const row = within(screen.getByRole('table')).getAllByRole('row')[1];

    // Escape: nothing is sent, the dash stays.
    await fireEvent.click(within(row).getByRole('button', { name: /^Rename run/ }));
    let input = within(row).getByRole('textbox', { name: /^Name of run/ });
    expect(input).toHaveFocus();
    await fireEvent.input(input, { target: { value: 'never saved' } });
    await fireEvent.keyDown(input, { key: 'Escape' });
    expect(within(row).queryByRole('textbox')).not.toBeInTheDocument();
    expect(row.querySelector('.name-text')).toHaveTextContent('—');
    expect(backend.callsOf('rename_training_run')).toEqual([]);

    // Enter: saved, and the row shows the backend's answer.
    await fireEvent.click(within(row).getByRole('button', { name: /^Rename run/ }));
    input = within(row).getByRole('textbox', { name: /^Name of run/ });
    await fireEvent.input(input, { target: { value: '  lr 2e-4  ' } });
    await fireEvent.keyDown(input, { key: 'Enter' });
    await vi.waitFor(() => expect(within(row).queryByRole('textbox')).not.toBeInTheDocument());
    expect(backend.callsOf('rename_training_run')).toEqual([{ training_id: 'a1', name: 'lr 2e-4' }]);
    expect(within(row).getByText('lr 2e-4')).toBeInTheDocument();
    expect(within(row).getByRole('button', { name: 'Rename run lr 2e-4' })).toBeInTheDocument();
  });

  it('keeps the editor open with the backend message when a rename fails', async () => {
    const { ApiError } = await import('../src/lib/api');
    await show({
      get_training_history: [summary({ training_id: 'a1' })],
      rename_training_run: new ApiError('invalid_argument', 'name too long'),
    });
    const row = within(screen.getByRole('table')).getAllByRole('row')[1];
    await fireEvent.click(within(row).getByRole('button', { name: /^Rename run/ }));
    await fireEvent.keyDown(within(row).getByRole('textbox'), { key: 'Enter' });
    expect(await within(row).findByText('name too long')).toBeInTheDocument();
    expect(within(row).getByRole('textbox')).toBeInTheDocument();
  });

  it('opens a run from anywhere on its row, not from its controls', async () => {
    window.location.hash = '#/training';
    await show({ get_training_history: [summary({ training_id: 'a1' }), summary({ training_id: 'b2' })] });
    const rows = within(screen.getByRole('table')).getAllByRole('row').slice(1);

    await fireEvent.click(within(rows[0]).getByRole('checkbox'));
    expect(window.location.hash).toBe('#/training');
    await fireEvent.click(within(rows[1]).getByText('lumen'));
    expect(window.location.hash).toBe('#/training/b2');
  });

  it('compares two or more selected runs', async () => {
    window.location.hash = '#/training';
    await show({ get_training_history: runs(3) });
    const compare = () => screen.getByRole('button', { name: /^Compare \(\d\)$/ });
    expect(compare()).toBeDisabled();
    expect(compare()).toHaveTextContent('Compare (0)');

    const boxes = screen.getAllByRole('checkbox', { name: /^Select run .* to compare$/ });
    await fireEvent.click(boxes[0]);
    expect(compare()).toHaveTextContent('Compare (1)');
    expect(compare()).toBeDisabled();
    await fireEvent.click(boxes[2]);
    expect(compare()).toHaveTextContent('Compare (2)');
    expect(compare()).toBeEnabled();
    await fireEvent.click(boxes[1]);
    await fireEvent.click(boxes[1]);

    await fireEvent.click(compare());
    expect(window.location.hash).toBe('#/compare/t-0,t-2');
  });

  it('shows the backend message when the history cannot be read', async () => {
    const { ApiError } = await import('../src/lib/api');
    await show({ get_training_history: new ApiError('internal_error', 'runs.jsonl is not readable') });

    expect(await screen.findByRole('alert')).toHaveTextContent('runs.jsonl is not readable');
  });
});
