import { fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../src/lib/api';
import DatasetImport from '../src/lib/components/DatasetImport.svelte';
import { datasets } from './fixtures';

const invokeMock = vi.hoisted(() => vi.fn());

vi.mock('../src/lib/api', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/lib/api')>();
  return { ...actual, invoke: invokeMock };
});

beforeEach(() => {
  invokeMock.mockReset();
});
afterEach(() => {
  delete window.pywebview;
});

describe('DatasetImport', () => {
  it('imports the typed path and reports the dataset', async () => {
    invokeMock.mockResolvedValue(datasets[1]);
    const onimported = vi.fn();
    render(DatasetImport, { onimported });
    expect(screen.queryByRole('button', { name: 'Browse…' })).not.toBeInTheDocument();

    await fireEvent.input(screen.getByLabelText('Path to a .jsonl file'), {
      target: { value: ' /data/lumen.jsonl ' },
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Import' }));

    expect(invokeMock).toHaveBeenCalledWith('import_dataset', { path: '/data/lumen.jsonl' });
    expect(await screen.findByText('Imported Lumen identity.')).toBeInTheDocument();
    expect(onimported).toHaveBeenCalledWith(datasets[1]);
  });

  it('shows the backend message when the file is refused', async () => {
    invokeMock.mockImplementation(async () => {
      throw new ApiError('invalid_dataset', 'chats.jsonl:4: not JSON');
    });
    render(DatasetImport, { onimported: vi.fn() });

    await fireEvent.input(screen.getByLabelText('Path to a .jsonl file'), { target: { value: 'chats.jsonl' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Import' }));

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('chats.jsonl:4: not JSON');
    expect(alert).toHaveTextContent('invalid_dataset');
  });

  it('offers the native file dialog in the desktop window and survives its failure', async () => {
    window.pywebview = { api: {} };
    invokeMock.mockResolvedValueOnce({ path: '/home/me/picked.jsonl' });
    render(DatasetImport, { onimported: vi.fn() });

    await fireEvent.click(screen.getByRole('button', { name: 'Browse…' }));
    expect(invokeMock).toHaveBeenCalledWith('pick_dataset_file');
    await vi.waitFor(() =>
      expect(screen.getByLabelText('Path to a .jsonl file')).toHaveValue('/home/me/picked.jsonl'),
    );

    invokeMock.mockRejectedValueOnce(new ApiError('unknown_command', 'no pick_dataset_file'));
    await fireEvent.click(screen.getByRole('button', { name: 'Browse…' }));
    expect(screen.getByLabelText('Path to a .jsonl file')).toHaveValue('/home/me/picked.jsonl');
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });
});
