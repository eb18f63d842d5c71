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
        summary({ training_id: 'a1', status: 'done', final_loss: 0.5, duration_s: 65 }),
        summary({ training_id: 'b 2', status: 'error', final_loss: null, duration_s: null }),
      ],
    });

    const rows = within(screen.getByRole('table')).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    expect(within(rows[0]).getByRole('link')).toHaveAttribute('href', '#/training/a1');
    expect(within(rows[1]).getByRole('link')).toHaveAttribute('href', '#/training/b%202');
    expect(within(rows[0]).getByText('Teach an identity')).toBeInTheDocument();
    expect(within(rows[0]).getByText('lumen')).toBeInTheDocument();
    expect(within(rows[0]).getByText('done')).toBeInTheDocument();
    expect(within(rows[0]).getByText('0.5000')).toBeInTheDocument();
    expect(within(rows[0]).getByText('1:05')).toBeInTheDocument();
    expect(within(rows[1]).getByText('error')).toBeInTheDocument();
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

  it('shows the backend message when the history cannot be read', async () => {
    const { ApiError } = await import('../src/lib/api');
    await show({ get_training_history: new ApiError('internal_error', 'runs.jsonl is not readable') });

    expect(await screen.findByRole('alert')).toHaveTextContent('runs.jsonl is not readable');
  });
});
