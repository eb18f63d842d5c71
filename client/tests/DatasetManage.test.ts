import { createEvent, fireEvent, render, screen, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../src/lib/api';
import DatasetActions from '../src/lib/components/DatasetActions.svelte';
import DatasetPreview from '../src/lib/components/DatasetPreview.svelte';
import TrainingPanel from '../src/lib/components/TrainingPanel.svelte';
import type { DatasetInfo } from '../src/lib/contracts.gen';
import { CatalogStore } from '../src/lib/stores/catalog.svelte';
import { TrainingHistoryStore } from '../src/lib/stores/history.svelte';
import { TrainingJob } from '../src/lib/stores/training.svelte';
import { dataset, datasets } from './fixtures';
import { fakeBackend } from './helpers';

const mine = dataset({
  id: 'my-chats',
  name: 'My chats',
  description: 'Greetings',
  source: 'user',
  examples: 3,
  tokens: 745,
  tokens_exact: false,
  detected_format: 'chat',
});

function actions(item: DatasetInfo, answers: Parameters<typeof fakeBackend>[0] = {}) {
  const backend = fakeBackend(answers);
  const onchanged = vi.fn();
  const ondeleted = vi.fn();
  render(DatasetActions, { dataset: item, call: backend.call, onchanged, ondeleted });
  return { backend, onchanged, ondeleted };
}

describe('DatasetActions', () => {
  it('renames and describes one of your own datasets', async () => {
    const renamed = { ...mine, name: 'Hello chats', description: 'Three greetings' };
    const { backend, onchanged } = actions(mine, { update_dataset: renamed });

    const rename = screen.getByRole('button', { name: 'Rename' });
    expect(rename).toHaveAttribute('aria-expanded', 'false');
    await fireEvent.click(rename);
    const form = screen.getByRole('form', { name: 'Rename My chats' });
    expect(within(form).getByLabelText('Name')).toHaveValue('My chats');
    await fireEvent.input(within(form).getByLabelText('Name'), { target: { value: ' Hello chats ' } });
    await fireEvent.input(within(form).getByLabelText('Description'), { target: { value: 'Three greetings' } });
    await fireEvent.click(within(form).getByRole('button', { name: 'Save' }));

    await vi.waitFor(() => expect(onchanged).toHaveBeenCalledWith(renamed));
    expect(backend.callsOf('update_dataset')).toEqual([
      { id: 'my-chats', name: 'Hello chats', description: 'Three greetings' },
    ]);
    expect(screen.queryByRole('form')).not.toBeInTheDocument();
  });

  it('keeps the form and shows why when the rename is refused', async () => {
    const { onchanged } = actions(mine, { update_dataset: new ApiError('invalid_argument', 'name: too long') });
    await fireEvent.click(screen.getByRole('button', { name: 'Rename' }));
    const form = screen.getByRole('form', { name: 'Rename My chats' });
    expect(within(form).getByRole('button', { name: 'Save' })).toBeEnabled();
    await fireEvent.input(within(form).getByLabelText('Name'), { target: { value: '  ' } });
    expect(within(form).getByRole('button', { name: 'Save' })).toBeDisabled();
    await fireEvent.input(within(form).getByLabelText('Name'), { target: { value: 'x' } });
    await fireEvent.click(within(form).getByRole('button', { name: 'Save' }));
    expect(await within(form).findByRole('alert')).toHaveTextContent('name: too long');
    expect(onchanged).not.toHaveBeenCalled();
  });

  it('deletes only after the in-page question is answered Yes', async () => {
    const { backend, ondeleted } = actions(mine, { delete_dataset: { ok: true } });

    await fireEvent.click(screen.getByRole('button', { name: 'Delete' }));
    const question = screen.getByRole('group', { name: /Delete My chats\? .*stay in History/ });
    await fireEvent.click(within(question).getByRole('button', { name: 'Keep it' }));
    expect(backend.callsOf('delete_dataset')).toHaveLength(0);

    await fireEvent.click(screen.getByRole('button', { name: 'Delete' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Yes, delete' }));
    await vi.waitFor(() => expect(ondeleted).toHaveBeenCalledWith('my-chats'));
    expect(backend.callsOf('delete_dataset')).toEqual([{ id: 'my-chats' }]);
  });

  it('says why a delete failed', async () => {
    const { ondeleted } = actions(mine, { delete_dataset: new ApiError('unknown_dataset', "no dataset 'my-chats'") });
    await fireEvent.click(screen.getByRole('button', { name: 'Delete' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Yes, delete' }));
    expect(await screen.findByRole('alert')).toHaveTextContent("no dataset 'my-chats'");
    expect(ondeleted).not.toHaveBeenCalled();
  });

  it('offers a shipped dataset only its preview', () => {
    actions(datasets[1]);
    const group = screen.getByRole('group', { name: 'Lumen identity: actions' });
    expect(within(group).getByRole('button', { name: 'Preview' })).toBeInTheDocument();
    expect(within(group).queryByRole('button', { name: 'Rename' })).not.toBeInTheDocument();
    expect(within(group).queryByRole('button', { name: 'Delete' })).not.toBeInTheDocument();
    expect(within(group).getByText('Ships with the app')).toBeVisible();
  });

  it('toggles the preview of the first rows', async () => {
    const { backend } = actions(mine, {
      preview_dataset: {
        id: 'my-chats',
        total: 3,
        rows: [{ line: 1, messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }], text: null }],
      },
    });
    const toggle = screen.getByRole('button', { name: 'Preview' });
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    await fireEvent.click(toggle);
    expect(toggle).toHaveAttribute('aria-expanded', 'true');
    expect(toggle).toHaveTextContent('Hide preview');
    const region = await screen.findByRole('region', { name: 'First rows of My chats' });
    expect(await within(region).findByText('Hello')).toBeVisible();
    expect(backend.callsOf('preview_dataset')).toEqual([{ id: 'my-chats', limit: 5 }]);

    await fireEvent.click(toggle);
    expect(screen.queryByRole('region')).not.toBeInTheDocument();
  });
});

function preview(item: DatasetInfo, rows: unknown[], total = rows.length) {
  const backend = fakeBackend({ preview_dataset: { id: item.id, rows, total } as never });
  render(DatasetPreview, { dataset: item, call: backend.call });
  return backend;
}

/** The (label, text) pairs of the preview's rows, in order. */
function pairs(): string[][] {
  return screen.getAllByRole('listitem').map((row) =>
    Array.from(row.querySelectorAll('dt')).map((dt) => `${dt.textContent}: ${dt.nextElementSibling?.textContent}`),
  );
}

describe('DatasetPreview', () => {
  it('shows chat rows by role, with the line and how many there are', async () => {
    preview(
      mine,
      [
        {
          line: 1,
          messages: [
            { role: 'system', content: 'Be brief.' },
            { role: 'user', content: 'Who are you?' },
            { role: 'assistant', content: 'Lumen.' },
          ],
          text: null,
        },
        { line: 3, messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }], text: null },
      ],
      12,
    );
    expect(await screen.findByText('The first 2 of 12 examples')).toBeVisible();
    expect(pairs()).toEqual([
      ['System: Be brief.', 'User: Who are you?', 'Assistant: Lumen.'],
      ['User: Hi', 'Assistant: Hello'],
    ]);
    expect(screen.getByText('Line 3')).toBeVisible();
  });

  it('words alpaca, prompt/completion and text rows by their own fields', async () => {
    preview(dataset({ id: 'a', name: 'A', detected_format: 'alpaca' }), [
      { line: 1, messages: [{ role: 'user', content: 'Add 2+2' }, { role: 'assistant', content: '4' }], text: null },
    ]);
    await screen.findByText('4');
    expect(pairs()).toEqual([['Instruction: Add 2+2', 'Output: 4']]);
  });

  it('words prompt/completion rows', async () => {
    preview(dataset({ id: 'p', name: 'P', detected_format: 'prompt_completion' }), [
      { line: 1, messages: [{ role: 'user', content: 'Once' }, { role: 'assistant', content: 'upon' }], text: null },
    ]);
    await screen.findByText('upon');
    expect(pairs()).toEqual([['Prompt: Once', 'Completion: upon']]);
  });

  it('cuts long texts, and "Show all" shows the whole row', async () => {
    const long = `${'word '.repeat(100)}END`;
    preview(dataset({ id: 't', name: 'T', detected_format: 'text' }), [{ line: 1, messages: null, text: long }]);
    const shown = await screen.findByText(/^Text$/);
    const value = shown.nextElementSibling as HTMLElement;
    expect(value.textContent?.length).toBeLessThan(300);
    expect(value.textContent).toMatch(/…$/);
    const more = screen.getByRole('button', { name: 'Show all' });
    expect(more).toHaveAttribute('aria-expanded', 'false');
    await fireEvent.click(more);
    expect(value).toHaveTextContent(long);
    expect(screen.getByRole('button', { name: 'Show less' })).toHaveAttribute('aria-expanded', 'true');
  });

  it('says when there are no rows, and why it could not read them', async () => {
    preview(mine, []);
    expect(await screen.findByText('This file has no examples.')).toBeVisible();
  });

  it("shows the backend's message when the rows cannot be read, with Try again", async () => {
    let answer: unknown = new ApiError('unknown_dataset', "no dataset 'my-chats'");
    const backend = fakeBackend({ preview_dataset: () => answer });
    render(DatasetPreview, { dataset: mine, call: backend.call });
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent("no dataset 'my-chats'");
    answer = { id: 'my-chats', total: 1, rows: [{ line: 1, messages: null, text: 'Back again' }] };
    await fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText('Back again')).toBeVisible();
  });
});

describe('TrainingPanel: the dataset card', () => {
  function panel(answers: Parameters<typeof fakeBackend>[0] = {}) {
    const backend = fakeBackend({ list_datasets: [...datasets, mine], ...answers });
    const catalog = new CatalogStore(backend.call);
    render(TrainingPanel, {
      catalog,
      job: new TrainingJob(backend.call),
      history: new TrainingHistoryStore(backend.call),
    });
    return { backend, catalog };
  }

  it('marks estimated token counts as "about", with why', async () => {
    panel();
    const estimate = await screen.findByText('about 745');
    expect(estimate).toHaveAttribute('title', expect.stringContaining('estimate'));
    // An exact count is a plain number.
    expect(screen.getByText('1,234')).not.toHaveAttribute('title');
  });

  it('gives every dataset a Preview and your own ones Rename and Delete', async () => {
    panel();
    const own = await screen.findByRole('group', { name: 'My chats: actions' });
    expect(within(own).getByRole('button', { name: 'Rename' })).toBeInTheDocument();
    const shipped = screen.getByRole('group', { name: 'Lumen identity: actions' });
    expect(within(shipped).getByRole('button', { name: 'Preview' })).toBeInTheDocument();
    expect(within(shipped).queryByRole('button', { name: 'Delete' })).not.toBeInTheDocument();
    // The controls do not pick the dataset.
    await fireEvent.click(within(shipped).getByRole('button', { name: 'Preview' }));
    expect(screen.getByRole('radio', { name: 'Lumen identity' })).not.toBeChecked();
  });

  it('a deleted dataset leaves the list and the selection', async () => {
    let listed = [...datasets, mine];
    const { backend, catalog } = panel({
      list_datasets: () => listed,
      delete_dataset: () => {
        listed = [...datasets];
        return { ok: true };
      },
    });
    await fireEvent.click(await screen.findByRole('radio', { name: 'My chats' }));
    expect(catalog.selectedDataset?.id).toBe('my-chats');

    const own = screen.getByRole('group', { name: 'My chats: actions' });
    await fireEvent.click(within(own).getByRole('button', { name: 'Delete' }));
    await fireEvent.click(within(own).getByRole('button', { name: 'Yes, delete' }));
    await vi.waitFor(() => expect(screen.queryByRole('radio', { name: 'My chats' })).not.toBeInTheDocument());
    expect(catalog.selectedDataset).toBeNull();
    expect(backend.callsOf('list_datasets')).toHaveLength(2);
  });

  it('a .jsonl file dropped on the card opens the form with it', async () => {
    panel();
    const card = await screen.findByTestId('dataset-drop');
    const file = new File(['{"text": "hello"}\n'], 'notes.jsonl');
    const transfer = { files: [file], types: ['Files'], dropEffect: 'none' };
    const over = createEvent.dragOver(card, { dataTransfer: transfer });
    await fireEvent(card, over);
    expect(over.defaultPrevented).toBe(true);
    await fireEvent.drop(card, { dataTransfer: transfer });
    expect(await screen.findByLabelText('Id')).toHaveValue('notes');
    expect(screen.getByText('Add notes.jsonl as')).toBeVisible();
  });

  it('a file dropped beside the card is not opened in place of the app', async () => {
    panel();
    await screen.findByTestId('dataset-drop');
    const heading = screen.getByRole('heading', { level: 1, name: 'Training' });
    const transfer = { files: [new File(['x'], 'notes.jsonl')], types: ['Files'], dropEffect: 'copy' };
    const drop = createEvent.drop(heading, { dataTransfer: transfer });
    await fireEvent(heading, drop);
    expect(drop.defaultPrevented).toBe(true);
    expect(screen.queryByLabelText('Id')).not.toBeInTheDocument();
  });
});
