import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../src/lib/api';
import CloseDialog from '../src/lib/components/CloseDialog.svelte';
import { fakeBackend } from './helpers';

afterEach(() => cleanup());

function askToClose() {
  // What the desktop app's CloseGuard runs in the page when the window is closed during a job.
  window.dispatchEvent(new CustomEvent('ot-close-requested'));
}

function setup(answers: Parameters<typeof fakeBackend>[0] = { close_app: { ok: true } }) {
  const backend = fakeBackend(answers);
  render(CloseDialog, { call: backend.call });
  return backend;
}

describe('CloseDialog', () => {
  it('shows nothing until the app asks', () => {
    setup();
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('opens a labelled modal dialog on ot-close-requested, focus on its first choice', async () => {
    setup();
    askToClose();
    const dialog = await screen.findByRole('dialog', { name: 'A training job is running' });
    expect(dialog).toHaveAttribute('aria-modal', 'true');
    await waitFor(() =>
      expect(screen.getByRole('button', { name: 'Keep it running in the background' })).toHaveFocus(),
    );
  });

  it('Keep it running sends close_app with keep_running true', async () => {
    const backend = setup();
    askToClose();
    await fireEvent.click(await screen.findByRole('button', { name: 'Keep it running in the background' }));
    await waitFor(() => expect(backend.callsOf('close_app')).toEqual([{ keep_running: true }]));
  });

  it('Stop it sends close_app with keep_running false', async () => {
    const backend = setup();
    askToClose();
    await fireEvent.click(await screen.findByRole('button', { name: 'Stop it and save a checkpoint' }));
    await waitFor(() => expect(backend.callsOf('close_app')).toEqual([{ keep_running: false }]));
  });

  it('Cancel closes the dialog and sends nothing', async () => {
    const backend = setup();
    askToClose();
    await fireEvent.click(await screen.findByRole('button', { name: 'Cancel (don’t close)' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(backend.callsOf('close_app')).toEqual([]);
  });

  it('Escape is Cancel: the window stays open', async () => {
    const backend = setup();
    askToClose();
    await screen.findByRole('dialog');
    await fireEvent.keyDown(window, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(backend.callsOf('close_app')).toEqual([]);
  });

  it('keeps Tab inside the dialog', async () => {
    setup();
    askToClose();
    const keep = await screen.findByRole('button', { name: 'Keep it running in the background' });
    const cancel = screen.getByRole('button', { name: 'Cancel (don’t close)' });
    cancel.focus();
    await fireEvent.keyDown(window, { key: 'Tab' });
    expect(keep).toHaveFocus();
    await fireEvent.keyDown(window, { key: 'Tab', shiftKey: true });
    expect(cancel).toHaveFocus();
  });

  it('shows the backend refusal and stays open', async () => {
    setup({ close_app: new ApiError('not_available', 'closing is only asked in the desktop window') });
    askToClose();
    await fireEvent.click(await screen.findByRole('button', { name: 'Stop it and save a checkpoint' }));
    expect(await screen.findByText('closing is only asked in the desktop window')).toBeInTheDocument();
    expect(screen.getByRole('dialog')).toBeInTheDocument();
  });
});
