import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../src/lib/api';
import BasePicker from '../src/lib/components/BasePicker.svelte';
import { fakeBackend } from './helpers';
import { baseList } from './profileFixtures';

function setup(answers: Parameters<typeof fakeBackend>[0] = {}, value = '') {
  const backend = fakeBackend({ list_base_models: baseList, ...answers });
  const onchange = vi.fn();
  render(BasePicker, { value, onchange, call: backend.call });
  return { backend, onchange };
}

afterEach(() => {
  delete window.pywebview;
});

describe('BasePicker', () => {
  it('lists the builtin first, then the store’s models with their facts, and marks what cannot be trained', async () => {
    const { backend } = setup();

    const list = await screen.findByRole('list', { name: 'Base models on this machine' });
    const items = within(list).getAllByRole('listitem');
    expect(items.map((item) => within(item).getByRole('radio').getAttribute('value'))).toEqual([
      'smollm2-135m-instruct',
      'ollama:gemma3:270m',
      'ollama:llava:7b',
    ]);
    expect(within(items[1]).getByText('gemma3 · 268.10M · Q4_K_M · training needs about 1.1 GB here (4-bit on a GPU: 0.9 GB)')).toBeVisible();
    expect(within(items[1]).getByText('Trainable here')).toBeVisible();
    expect(within(items[1]).getByRole('radio')).toBeEnabled();
    // Listed, with the reason, but not selectable.
    expect(within(items[2]).getByRole('radio')).toBeDisabled();
    expect(within(items[2]).getByText('Not trainable here')).toBeVisible();
    expect(within(items[2]).getByText('a vision model: the app trains text models only')).toBeVisible();
    expect(backend.callsOf('list_base_models')).toHaveLength(1);
  });

  it('gives the chosen source, or a typed path', async () => {
    const { onchange } = setup();

    await fireEvent.click(await screen.findByRole('radio', { name: /gemma3:270m/ }));
    expect(onchange).toHaveBeenLastCalledWith('ollama:gemma3:270m');

    const path = screen.getByLabelText('Or the path of a .gguf file or a safetensors folder');
    await fireEvent.input(path, { target: { value: '/models/tiny' } });
    expect(onchange).toHaveBeenLastCalledWith('/models/tiny');
    // No file dialog outside the desktop window.
    expect(screen.queryByRole('button', { name: /Browse/ })).not.toBeInTheDocument();
  });

  it('shows a path that is not a listed base in the path field, and checks a listed one', async () => {
    setup({}, 'ollama:gemma3:270m');
    expect(await screen.findByRole('radio', { name: /gemma3:270m/ })).toBeChecked();
    expect(screen.getByLabelText(/Or the path/)).toHaveValue('');
  });

  it('says why the store is missing', async () => {
    setup({ list_base_models: { ...baseList, bases: [baseList.bases[2]], store: null, note: 'no Ollama model store on this machine' } });
    expect(await screen.findByText(/^No Ollama model store on this machine/)).toBeVisible();
    expect(screen.getAllByRole('radio')).toHaveLength(1);
  });

  it('shows the backend’s failure with Try again', async () => {
    setup({ list_base_models: new ApiError('ollama_store_error', 'manifests unreadable') });
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('manifests unreadable');
    expect(within(alert).getByRole('button', { name: 'Try again' })).toBeVisible();
  });

  it('browses for a file or a folder in the desktop window', async () => {
    window.pywebview = {};
    const { backend, onchange } = setup({ pick_base_model: (args) => ({ path: args.folder ? '/models/folder' : null }) });

    await fireEvent.click(screen.getByRole('button', { name: 'Browse for a folder…' }));
    await vi.waitFor(() => expect(onchange).toHaveBeenCalledWith('/models/folder'));
    await fireEvent.click(screen.getByRole('button', { name: 'Browse for a .gguf file…' }));
    await vi.waitFor(() => expect(backend.callsOf('pick_base_model')).toEqual([{ folder: true }, { folder: false }]));
    // A cancelled dialog changes nothing.
    expect(onchange).toHaveBeenCalledTimes(1);
  });
});
