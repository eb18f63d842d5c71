import { render, screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import RunFigures from '../src/lib/components/RunFigures.svelte';
import { summary } from './fixtures';

const estimate = { duration_s: 95, memory_gb: 1.6, tokens_per_s: 900, tokens: 4321, basis: 'formula' as const, device: 'cpu',
  gradient_checkpointing: false, weights: 'bf16' as const, why: '', fits: true };

function row(name: string) {
  const cells = within(screen.getByRole('row', { name: new RegExp(`^${name}`) })).getAllByRole('cell');
  return cells.map((cell) => cell.textContent?.trim());
}

describe('RunFigures', () => {
  it('puts the estimate next to the measured figures', () => {
    render(RunFigures, { figures: summary({ estimate, duration_s: 125, tokens_per_s: 1234.6, peak_memory_gb: 1.94 }) });

    expect(screen.getByRole('heading', { name: 'Estimated vs measured' })).toBeVisible();
    expect(screen.getByRole('columnheader', { name: 'Estimated' })).toBeVisible();
    expect(screen.getByRole('columnheader', { name: 'Measured' })).toBeVisible();
    expect(row('Duration')).toEqual(['1:35', '2:05']);
    expect(row('Training speed')).toEqual(['900 tokens/s', '1,235 tokens/s']);
    expect(row('Peak memory')).toEqual(['1.6 GB', '1.9 GB']);
    expect(row('Precision')).toEqual(['16-bit weights', '—']); // a run from before it was recorded
    expect(screen.getByTestId('estimate')).toHaveTextContent('1:35 on CPU (first guess)');
  });

  it('quotes the run\'s one estimate with its basis, as the preview and the run card do', () => {
    render(RunFigures, { figures: summary({ estimate: { ...estimate, basis: 'history' }, duration_s: 60 }) });
    expect(screen.getByText(/The run’s estimate, made before Start:/)).toBeVisible();
    expect(screen.getByTestId('estimate')).toHaveTextContent('1:35 on CPU (measured on this machine)');
  });

  it('shows the precision planned and the one the run used', () => {
    const planned = { ...estimate, weights: 'nf4' as const, gradient_checkpointing: true };
    render(RunFigures, { figures: summary({ estimate: planned, duration_s: 60,
      precision: { weights: 'nf4', compute: 'bfloat16', gradient_checkpointing: true } }) });
    expect(row('Precision')).toEqual(['4-bit weights (NF4), gradient checkpointing',
      'nf4 weights, bfloat16 compute, gradient checkpointing']);
  });

  it('shows dashes for what was not measured, and says when there was no estimate', () => {
    render(RunFigures, { figures: summary({ estimate: null, duration_s: 60, tokens_per_s: null, peak_memory_gb: null }) });
    expect(row('Duration')).toEqual(['—', '1:00']);
    expect(row('Peak memory')).toEqual(['—', '—']);
    expect(screen.getByText('This run was started without an estimate.')).toBeVisible();
  });

  it('is not there without a summary or any figure', () => {
    render(RunFigures, { figures: null });
    expect(screen.queryByTestId('run-figures')).not.toBeInTheDocument();
    render(RunFigures, { figures: summary({ estimate: null, duration_s: null }) });
    expect(screen.queryByTestId('run-figures')).not.toBeInTheDocument();
  });
});
