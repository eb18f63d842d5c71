import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../src/lib/api';
import DatasetImport from '../src/lib/components/DatasetImport.svelte';
import { dataset, datasets } from './fixtures';
import { fakeBackend } from './helpers';

afterEach(() => {
  delete window.pywebview;
});

const CHATS =
  '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}\n';

const mine = dataset({ id: 'my-chats', name: 'My chats', source: 'user', examples: 1 });

function setup(answers: Parameters<typeof fakeBackend>[0] = {}, existing = datasets) {
  const backend = fakeBackend(answers);
  const onimported = vi.fn();
  render(DatasetImport, { onimported, existing, call: backend.call });
  return { backend, onimported };
}

/** Choose `file` in the page's file input, as a person does. */
async function choose(file: File) {
  const input = screen.getByLabelText('Choose a .jsonl file') as HTMLInputElement;
  Object.defineProperty(input, 'files', { value: [file], configurable: true });
  await fireEvent.change(input);
}

const idInput = () => screen.getByLabelText('Id') as HTMLInputElement;
const submit = () => screen.getByRole('button', { name: 'Add dataset' });

describe('DatasetImport: upload from the page', () => {
  it('reads the chosen file, asks for id, name and description, and uploads it', async () => {
    const { backend, onimported } = setup({ upload_dataset: mine });
    expect(submit()).toBeDisabled();

    await choose(new File([CHATS], 'My Chats.jsonl'));
    // The id and the name come from the file name, editable.
    expect(idInput()).toHaveValue('my-chats');
    expect(screen.getByLabelText('Name')).toHaveValue('My Chats');
    await fireEvent.input(screen.getByLabelText('Name'), { target: { value: 'My chats' } });
    await fireEvent.input(screen.getByLabelText('Description (optional)'), { target: { value: 'Greetings' } });
    await fireEvent.click(submit());

    await vi.waitFor(() => expect(onimported).toHaveBeenCalledWith(mine));
    expect(backend.callsOf('upload_dataset')).toEqual([
      { filename: 'My Chats.jsonl', content: CHATS, id: 'my-chats', name: 'My chats', description: 'Greetings' },
    ]);
    expect(backend.callsOf('import_dataset')).toHaveLength(0);
    expect(screen.getByText('Added My chats.')).toHaveAttribute('role', 'status');
    // The form is ready for the next file.
    expect(screen.queryByLabelText('Id')).not.toBeInTheDocument();
  });

  it('checks the id before sending', async () => {
    const { backend } = setup({ upload_dataset: mine });
    await choose(new File([CHATS], 'chats.jsonl'));

    await fireEvent.input(idInput(), { target: { value: 'My Chats!' } });
    expect(idInput()).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByText(/Use 1-64 lower-case letters/)).toBeVisible();
    expect(submit()).toBeDisabled();

    await fireEvent.input(idInput(), { target: { value: 'chats_2' } });
    expect(idInput()).toHaveAttribute('aria-invalid', 'false');
    // An edited id no longer follows the file.
    await choose(new File([CHATS], 'other.jsonl'));
    expect(idInput()).toHaveValue('chats_2');
    await fireEvent.click(submit());
    await vi.waitFor(() => expect(backend.callsOf('upload_dataset')).toHaveLength(1));
    expect(backend.callsOf('upload_dataset')[0]).toMatchObject({ filename: 'other.jsonl', id: 'chats_2' });
  });

  it('shows progress while the file goes up', async () => {
    let answer: (value: unknown) => void = () => {};
    setup({
      upload_dataset: () =>
        new Promise((resolve) => {
          answer = resolve;
        }),
    });
    await choose(new File([CHATS], 'chats.jsonl'));
    await fireEvent.click(submit());

    const progress = await screen.findByText(/Uploading and checking chats\.jsonl/);
    expect(progress.closest('[role="status"]')).not.toBeNull();
    expect(screen.getByRole('progressbar', { name: 'Checking the dataset' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Adding…' })).toBeDisabled();

    answer(mine);
    expect(await screen.findByText('Added My chats.')).toBeInTheDocument();
    expect(screen.queryByRole('progressbar')).not.toBeInTheDocument();
  });

  it('never replaces silently: a taken id is refused, then replaced only on "Replace it"', async () => {
    const existing = [...datasets, mine];
    const { backend, onimported } = setup(
      {
        upload_dataset: (args) =>
          args.replace
            ? { ...mine, examples: 2 }
            : new ApiError('dataset_exists', "you already have a dataset 'my-chats' (My chats); choose another id, or replace it"),
      },
      existing,
    );
    await choose(new File([CHATS], 'my-chats.jsonl'));
    await fireEvent.click(submit());

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent("you already have a dataset 'my-chats'");
    expect(alert).toHaveTextContent('dataset_exists');
    expect(onimported).not.toHaveBeenCalled();
    const offer = screen.getByRole('group', { name: /Replace My chats with this file\?/ });

    await fireEvent.click(within(offer).getByRole('button', { name: 'Replace it' }));
    await vi.waitFor(() => expect(onimported).toHaveBeenCalledTimes(1));
    const sent = backend.callsOf('upload_dataset');
    expect(sent).toHaveLength(2);
    expect(sent[0]).not.toHaveProperty('replace');
    expect(sent[1]).toMatchObject({ id: 'my-chats', replace: true, content: CHATS });
    expect(screen.getByText('Replaced My chats with the new file.')).toBeInTheDocument();
  });

  it('"Change the id" keeps the file and puts the cursor in the id', async () => {
    setup({ upload_dataset: new ApiError('dataset_exists', 'taken') }, [...datasets, mine]);
    await choose(new File([CHATS], 'my-chats.jsonl'));
    await fireEvent.click(submit());
    await fireEvent.click(await screen.findByRole('button', { name: 'Change the id' }));
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(idInput()).toHaveFocus();
    expect(idInput()).toHaveValue('my-chats');
  });

  it('offers no replace for the id of a shipped dataset', async () => {
    setup({ upload_dataset: new ApiError('dataset_exists', "'lumen' is a built-in dataset's id; choose another id") });
    await choose(new File([CHATS], 'lumen.jsonl'));
    await fireEvent.click(submit());
    expect(await screen.findByRole('alert')).toHaveTextContent("built-in dataset's id");
    expect(screen.queryByRole('button', { name: 'Replace it' })).not.toBeInTheDocument();
  });

  it("shows the backend's validation errors (file, line, field) in a banner", async () => {
    setup({
      upload_dataset: new ApiError('invalid_dataset', 'chats.jsonl:2: messages[1].content: assistant message is empty'),
    });
    await choose(new File([CHATS], 'chats.jsonl'));
    await fireEvent.click(submit());
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The dataset was not added');
    expect(alert).toHaveTextContent('chats.jsonl:2: messages[1].content: assistant message is empty');
  });

  it('refuses a file that is not a dataset or too large for the page, without sending it', async () => {
    const { backend } = setup({ upload_dataset: mine });
    await choose(new File(['x'], 'photo.png'));
    expect(screen.getByRole('alert')).toHaveTextContent('photo.png is not a dataset file');
    expect(screen.queryByLabelText('Id')).not.toBeInTheDocument();

    const huge = new File([CHATS], 'huge.jsonl');
    Object.defineProperty(huge, 'size', { value: 40 * 1024 * 1024 });
    await choose(huge);
    await fireEvent.click(submit());
    expect(screen.getByRole('alert')).toHaveTextContent('huge.jsonl is 40 MB');
    expect(backend.callsOf('upload_dataset')).toHaveLength(0);
  });

  it('takes a file handed over by a drop (addFile)', async () => {
    const backend = fakeBackend({ upload_dataset: mine });
    const { component } = render(DatasetImport, { onimported: vi.fn(), existing: datasets, call: backend.call });
    component.addFile(new File([CHATS], 'dropped.jsonl'));
    expect(await screen.findByLabelText('Id')).toHaveValue('dropped');
    expect(screen.getByText('Add dropped.jsonl as')).toBeVisible();
  });
});

describe('DatasetImport: a path on this computer', () => {
  it('imports a typed path with the id made from its file name', async () => {
    const { backend, onimported } = setup({ import_dataset: datasets[1] });
    await fireEvent.input(screen.getByLabelText(/path to a \.jsonl file/i), {
      target: { value: ' /data/lumen-v2.jsonl ' },
    });
    expect(idInput()).toHaveValue('lumen-v2');
    await fireEvent.click(submit());

    await vi.waitFor(() => expect(onimported).toHaveBeenCalledWith(datasets[1]));
    expect(backend.callsOf('import_dataset')).toEqual([
      { path: '/data/lumen-v2.jsonl', id: 'lumen-v2', name: 'lumen-v2', description: undefined },
    ]);
    expect(backend.callsOf('upload_dataset')).toHaveLength(0);
  });

  it('offers the native file dialog in the desktop window and survives its failure', async () => {
    window.pywebview = { api: {} };
    let pick: unknown = { path: '/home/me/picked.jsonl' };
    setup({ pick_dataset_file: () => pick });
    // The window has its dialog, not the page's file input.
    expect(screen.queryByLabelText('Choose a .jsonl file')).not.toBeInTheDocument();

    await fireEvent.click(screen.getByRole('button', { name: 'Browse…' }));
    await vi.waitFor(() => expect(screen.getByLabelText('Path to a .jsonl file')).toHaveValue('/home/me/picked.jsonl'));
    expect(idInput()).toHaveValue('picked');

    pick = new ApiError('unknown_command', 'no pick_dataset_file');
    await fireEvent.click(screen.getByRole('button', { name: 'Browse…' }));
    expect(screen.getByLabelText('Path to a .jsonl file')).toHaveValue('/home/me/picked.jsonl');
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });
});
