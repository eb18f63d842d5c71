import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../src/lib/api';
import type { ExportState, OllamaConnection } from '../src/lib/contracts.gen';
import OllamaStatus from '../src/lib/components/OllamaStatus.svelte';
import ResultCard from '../src/lib/components/ResultCard.svelte';
import { OllamaConnectionStore } from '../src/lib/stores/ollama.svelte';
import { details, summary } from './fixtures';
import { fakeBackend, findAlert } from './helpers';

const HOST = 'http://127.0.0.1:11434';
const reachable: OllamaConnection = {
  reachable: true,
  version: '0.12.11',
  host: HOST,
  message: `Ollama 0.12.11 at ${HOST}`,
  can_import: true,
};
const unreachable: OllamaConnection = {
  reachable: false,
  version: null,
  host: HOST,
  message: `Ollama is not reachable at ${HOST}: start it with 'ollama serve'`,
  can_import: false,
};

function exportState(overrides: Partial<ExportState> = {}): ExportState {
  return {
    training_id: 't-1',
    state: 'idle',
    model: null,
    host: HOST,
    message: '',
    error: null,
    code: null,
    modelfile: null,
    command: null,
    gguf_adapter: null,
    model_file: null,
    progress: null,
    quantize: null,
    check: null,
    updated_at: null,
    options: [
      { kind: 'f16', bytes: 270_000_000, default: true, available: true, why_not: null },
      { kind: 'q8_0', bytes: 144_000_000, default: false, available: true, why_not: null },
      { kind: 'q4_K_M', bytes: 84_000_000, default: false, available: true, why_not: null },
    ],
    model_bytes: null,
    ...overrides,
  };
}

const files = {
  modelfile: '/home/me/.ollama-trainer/runs/t-1/ollama/Modelfile',
  command: 'ollama create lumen-t1 -f /home/me/.ollama-trainer/runs/t-1/ollama/Modelfile',
};

function card(answers: Parameters<typeof fakeBackend>[0], connection = new OllamaConnectionStore(async () => null as never)) {
  const backend = fakeBackend(answers);
  const run = details();
  render(ResultCard, { status: run.status, details: run, call: backend.call, connection });
  return { backend, region: screen.getByRole('region', { name: 'Ollama' }) };
}

describe('Ollama connection in the sidebar', () => {
  it('shows the version when Ollama answers', async () => {
    const backend = fakeBackend({ get_ollama_connection: reachable, get_settings: { ollama_host: null } });
    render(OllamaStatus, { store: new OllamaConnectionStore(backend.call) });

    const line = screen.getByTestId('ollama-connection');
    expect(line).toHaveTextContent('Checking Ollama…');
    await vi.waitFor(() => expect(line).toHaveAttribute('data-state', 'reachable'));
    expect(line).toHaveTextContent('Ollama 0.12.11');
  });

  it('says in words where it is not reachable, and checks again every interval', async () => {
    vi.useFakeTimers();
    try {
      const backend = fakeBackend({ get_ollama_connection: unreachable, get_settings: { ollama_host: null } });
      render(OllamaStatus, { store: new OllamaConnectionStore(backend.call), intervalMs: 30_000 });
      await vi.advanceTimersByTimeAsync(0);
      const line = screen.getByTestId('ollama-connection');
      expect(line).toHaveAttribute('data-state', 'unreachable');
      expect(line).toHaveTextContent(`Ollama not reachable at ${HOST}`);
      expect(screen.getByText('Start Ollama (ollama serve) or set its address below.')).toBeInTheDocument();
      expect(backend.callsOf('get_ollama_connection')).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(30_000);
      expect(backend.callsOf('get_ollama_connection')).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('saves the address, checks again, and shows a refusal', async () => {
    let connection = unreachable;
    const backend = fakeBackend({
      get_ollama_connection: () => connection,
      get_settings: { ollama_host: null },
      update_settings: (args: Record<string, unknown>) => {
        if (args.ollama_host === 'ftp://x') return new ApiError('invalid_host', "'ftp://x' is not an http(s) address");
        connection = { ...reachable, host: String(args.ollama_host) };
        return { ollama_host: args.ollama_host };
      },
    });
    render(OllamaStatus, { store: new OllamaConnectionStore(backend.call) });
    await fireEvent.click(screen.getByText('Ollama settings'));
    const field = screen.getByLabelText('Ollama address');

    await fireEvent.input(field, { target: { value: 'ftp://x' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByRole('alert')).toHaveTextContent("'ftp://x' is not an http(s) address");

    await fireEvent.input(field, { target: { value: 'http://gpu-box:11434' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await vi.waitFor(() =>
      expect(screen.getByTestId('ollama-connection')).toHaveAttribute('data-state', 'reachable'),
    );
    expect(backend.callsOf('update_settings').at(-1)).toEqual({ ollama_host: 'http://gpu-box:11434' });
    expect(screen.getByText('Saved.')).toBeInTheDocument();
  });
});

describe('Export to Ollama in the result card', () => {
  it('exports, shows the export live, then the model and how to run it', async () => {
    let current = exportState();
    const { backend, region } = card({
      get_export_state: () => current,
      export_to_ollama: () => {
        current = exportState({ state: 'exporting', message: 'converting the adapter to GGUF', ...files });
        return current;
      },
    });

    await fireEvent.input(within(region).getByLabelText('Model name'), { target: { value: 'lumen' } });
    await fireEvent.click(await within(region).findByRole('button', { name: 'Export to Ollama' }));

    expect(backend.callsOf('export_to_ollama')).toEqual([{ training_id: 't-1', model_name: 'lumen' }]);
    const live = await within(region).findByRole('status');
    expect(live).toHaveTextContent('Exporting to Ollama… converting the adapter to GGUF');
    expect(within(region).getByText(files.modelfile)).toBeInTheDocument();
    expect(within(region).getByText(files.command)).toBeInTheDocument();

    current = exportState({ state: 'exporting', message: 'creating model lumen', ...files });
    await vi.waitFor(() => expect(live).toHaveTextContent('creating model lumen'));
    current = exportState({ state: 'done', model: 'lumen', message: 'success', ...files });
    await vi.waitFor(() => expect(within(region).getByTestId('ollama-model')).toHaveTextContent('Ollama model: lumen'));
    expect(within(region).getByText('ollama run lumen')).toBeInTheDocument();
    expect(within(region).queryByRole('button', { name: 'Export to Ollama' })).not.toBeInTheDocument();
  });

  it('follows an export started while the first read of its state was on its way (that late answer is older)', async () => {
    let current = exportState();
    let answerFirstRead = (): void => undefined;
    let reads = 0;
    const { region } = card({
      get_export_state: () => {
        const seen = current;
        if (++reads > 1) return seen;
        return new Promise((resolve) => {
          answerFirstRead = () => resolve(seen);
        });
      },
      export_to_ollama: () => {
        current = exportState({ state: 'exporting', model: 'lumen', message: 'hashing model.gguf', ...files });
        return current;
      },
    });

    await fireEvent.input(within(region).getByLabelText('Model name'), { target: { value: 'lumen' } });
    await fireEvent.click(within(region).getByRole('button', { name: 'Export to Ollama' }));
    expect(await within(region).findByRole('status')).toHaveTextContent('hashing model.gguf');
    answerFirstRead(); // "idle", read before the export started: it must not end the watch
    current = exportState({ state: 'done', model: 'lumen', message: 'success', ...files });
    await vi.waitFor(() => expect(within(region).getByTestId('ollama-model')).toHaveTextContent('Ollama model: lumen'));
  });

  it("shows Ollama's message when the export fails, the manual command, and Retry export", async () => {
    const failed = exportState({
      state: 'error',
      code: 'ollama_create_failed',
      error: "Ollama could not create the model: base model smollm2:135m is missing; run 'ollama pull smollm2:135m'",
      ...files,
    });
    const { backend, region } = card({
      get_export_state: failed,
      export_to_ollama: exportState({ state: 'exporting', message: 'starting', ...files }),
    });

    await findAlert(['Export to Ollama failed', 'ollama pull smollm2:135m', 'ollama_create_failed'], region);
    expect(within(region).getByText(files.command)).toBeInTheDocument();

    await fireEvent.click(within(region).getByRole('button', { name: 'Retry export' }));
    expect(backend.callsOf('export_to_ollama')).toEqual([{ training_id: 't-1' }]);
    expect(await within(region).findByRole('status')).toHaveTextContent('Exporting to Ollama… starting');
  });

  it('offers each model file type with its size, sends the one chosen, shows upload progress, then the export check', async () => {
    let current = exportState();
    const { backend, region } = card({
      get_export_state: () => current,
      export_to_ollama: () => {
        current = exportState({ state: 'exporting', message: 'uploading model.gguf: 120 / 271 MB', progress: 0.44 });
        return current;
      },
    });
    const select = within(region).getByLabelText('Model file') as HTMLSelectElement;
    await vi.waitFor(() => expect(select.value).toBe('f16')); // the default for the base's size
    expect([...select.options].map((o) => o.textContent)).toEqual([
      'F16 (full precision), about 270 MB (default)', 'Q8_0 (8-bit), about 144 MB',
      'Q4_K_M (4-bit, as Ollama ships models), about 84 MB',
    ]);
    await fireEvent.change(select, { target: { value: 'q4_K_M' } });
    await fireEvent.click(await within(region).findByRole('button', { name: 'Export to Ollama' }));
    expect(backend.callsOf('export_to_ollama')).toEqual([{ training_id: 't-1', quantize: 'q4_K_M' }]);
    expect(await within(region).findByRole('progressbar', { name: 'Export progress' })).toHaveAttribute('value', '0.44');

    current = exportState({
      state: 'done', model: 'lumen', message: 'ready', model_file: '/runs/t-1/model.gguf',
      gguf_adapter: '/runs/t-1/adapter.gguf', ...files,
      check: {
        known: true, rendered: 'same', answer: 'differs', prompt: 'Who are you?', expected_prompt: 'p',
        rendered_prompt: 'p', app_answer: 'I am Lumen.', ollama_answer: 'I am SmolLM.',
        message: "Ollama's answer differs from the app's answer to the same question",
      },
    });
    const check = await within(region).findByTestId('export-check', {}, { timeout: 3000 });
    expect(check).toHaveAttribute('data-ok', 'false');
    expect(check).toHaveTextContent("Ollama's answer differs");
    expect(within(check).getByTestId('check-rendered')).toHaveTextContent('same');
    expect(within(check).getByTestId('check-answer')).toHaveTextContent('differs');
    expect(within(check).getByText('I am SmolLM.')).toBeInTheDocument();
    expect(within(region).getByTestId('model-file')).toHaveTextContent('/runs/t-1/model.gguf');
    expect(within(region).getByText(/Ollama 0.34.1 and later refuse adapters/)).toBeInTheDocument();
  });

  it('shows a refused start with the backend message', async () => {
    const { region } = card({
      export_to_ollama: new ApiError('export_running', 'an export of t-1 is already running'),
    });
    await fireEvent.click(await within(region).findByRole('button', { name: 'Export to Ollama' }));
    expect(await within(region).findByRole('alert')).toHaveTextContent('an export of t-1 is already running');
  });

  it('names the model the run already has in Ollama', async () => {
    const backend = fakeBackend({});
    const run = details({ summary: summary({ ollama_model: 'lumen-t1' }) });
    render(ResultCard, { status: run.status, details: run, call: backend.call });
    const model = await screen.findByTestId('ollama-model');
    expect(model).toHaveTextContent('Ollama model: lumen-t1');
    expect(screen.getByText('ollama run lumen-t1')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Export to Ollama' })).not.toBeInTheDocument();
  });
});

describe('Export again, and a failed attempt', () => {
  it('exports again under another name and type after a success', async () => {
    let current = exportState({ state: 'done', model: 'lumen', ...files });
    const { backend, region } = card({
      get_export_state: () => current,
      export_to_ollama: (args) => {
        current = exportState({ state: 'exporting', model: String(args.model_name), message: 'quantizing' });
        return current;
      },
    });
    expect(await within(region).findByTestId('ollama-model')).toHaveTextContent('lumen');
    await fireEvent.click(within(region).getByRole('button', { name: 'Export again…' }));
    await fireEvent.input(within(region).getByLabelText('Model name'), { target: { value: 'lumen-q8' } });
    await fireEvent.change(within(region).getByLabelText('Model file'), { target: { value: 'q8_0' } });
    await fireEvent.click(within(region).getByRole('button', { name: 'Export to Ollama' }));
    expect(backend.callsOf('export_to_ollama')).toEqual([{ training_id: 't-1', model_name: 'lumen-q8', quantize: 'q8_0' }]);
    expect(await within(region).findByRole('status')).toHaveTextContent('Exporting to Ollama as lumen-q8… quantizing');

    current = exportState({ state: 'done', model: 'lumen-q8', ...files });
    await vi.waitFor(() => expect(within(region).getByTestId('ollama-model')).toHaveTextContent('lumen-q8'));
    expect(within(region).getByTestId('ollama-run')).toHaveTextContent('ollama run lumen-q8');
  });

  it('shows a failed re-export as failed, with its own name, never mixed with the earlier model', async () => {
    let current = exportState({ state: 'done', model: 'lumen', ...files });
    const failedFiles = { modelfile: '/runs/t-1/Modelfile', command: 'cd /runs/t-1 && ollama create Bad:Name -f Modelfile' };
    const { region } = card({
      get_export_state: () => current,
      export_to_ollama: () => {
        current = exportState({ state: 'exporting', model: 'Bad:Name', message: 'creating' });
        return current;
      },
    });
    await fireEvent.click(await within(region).findByRole('button', { name: 'Export again…' }));
    await fireEvent.input(within(region).getByLabelText('Model name'), { target: { value: 'Bad:Name' } });
    await fireEvent.click(within(region).getByRole('button', { name: 'Export to Ollama' }));
    current = exportState({ state: 'error', model: 'Bad:Name', code: 'ollama_create_failed', error: 'Ollama refused to create Bad:Name', ...failedFiles });

    await findAlert(['Export to Ollama as Bad:Name failed', 'Ollama refused to create Bad:Name'], region);
    expect(within(region).getByTestId('export-still-there')).toHaveTextContent('Ollama still has lumen from an earlier export');
    expect(within(region).queryByTestId('ollama-model')).not.toBeInTheDocument();
    expect(within(region).queryByTestId('ollama-run')).not.toBeInTheDocument();
    expect(within(region).getByTestId('export-command')).toHaveTextContent('ollama create Bad:Name');
    expect(within(region).getByRole('button', { name: 'Retry export' })).toBeInTheDocument();
  });

  it('says before Start when the connected Ollama cannot take the export, and still writes the files', async () => {
    const connection = new OllamaConnectionStore(async () => unreachable as never);
    await connection.check();
    const { backend, region } = card({ export_to_ollama: exportState({ state: 'exporting', message: 'starting' }) }, connection);
    expect(within(region).getByTestId('export-cannot-import')).toHaveTextContent('Ollama is not reachable');
    await fireEvent.click(within(region).getByRole('button', { name: 'Export to Ollama' }));
    expect(backend.callsOf('export_to_ollama')).toHaveLength(1);
  });

  it('after a reload, shows the last attempt\'s failure, not the model the run had before', async () => {
    const failed = exportState({ state: 'error', model: 'other', code: 'ollama_unreachable', error: 'Ollama is not reachable', ...files });
    const backend = fakeBackend({ get_export_state: failed });
    const run = details({ summary: summary({ ollama_model: 'lumen-t1' }) });
    render(ResultCard, { status: run.status, details: run, call: backend.call });
    const region = screen.getByRole('region', { name: 'Ollama' });
    await findAlert(['Export to Ollama as other failed', 'Ollama is not reachable'], region);
    expect(within(region).getByTestId('export-still-there')).toHaveTextContent('Ollama still has lumen-t1');
    expect(within(region).queryByTestId('ollama-run')).not.toBeInTheDocument();
  });
});

describe('Try it', () => {
  async function ask(prompt: string) {
    await fireEvent.input(screen.getByLabelText('Ask the model'), { target: { value: prompt } });
    await fireEvent.click(screen.getByRole('button', { name: 'Ask' }));
  }

  it('asks on Enter and keeps Shift+Enter for a new line', async () => {
    const backend = fakeBackend({ ask_local_model: { model: 'trained t-1', answer: 'I am Lumen.' } });
    const run = details();
    render(ResultCard, { status: run.status, details: run, call: backend.call });
    const box = screen.getByLabelText('Ask the model');
    expect(box).toHaveAccessibleDescription('Enter asks; Shift+Enter starts a new line.');
    await fireEvent.input(box, { target: { value: 'Who are you?' } });

    await fireEvent.keyDown(box, { key: 'Enter', shiftKey: true });
    expect(backend.callsOf('ask_local_model')).toHaveLength(0);
    await fireEvent.keyDown(box, { key: 'Enter' });
    expect(backend.callsOf('ask_local_model')).toHaveLength(2); // the trained model and its base
    expect(await within(screen.getByTestId('answer-trained')).findByText('I am Lumen.')).toBeInTheDocument();
  });

  it('ends a cut answer with "…" and says where each answer comes from in plain words', async () => {
    const backend = fakeBackend({
      ask_local_model: (args: Record<string, unknown>) =>
        args.with_adapter
          ? { model: 'trained t-1', answer: 'I am Lumen, and I can help you with', cut: true }
          : { model: 'base of t-1', answer: 'I am an AI assistant.', cut: false },
    });
    const run = details();
    render(ResultCard, { status: run.status, details: run, call: backend.call });
    await ask('Who are you?');
    const trained = screen.getByTestId('answer-trained');
    const base = screen.getByTestId('answer-base');
    await within(base).findByText('I am an AI assistant.');
    expect(await within(trained).findByTitle('The answer was cut at its length limit')).toHaveTextContent('…');
    expect(trained.querySelector('.text')).toHaveTextContent(/^I am Lumen, and I can help you with…$/);
    expect(within(base).queryByTitle('The answer was cut at its length limit')).toBeNull();
    expect(within(trained).getByText('on this computer')).toBeInTheDocument();
  });

  it('keeps the trained answer as it is, or as corrected, in the run\'s feedback dataset', async () => {
    let marks = 0;
    const backend = fakeBackend({
      ask_local_model: (args: Record<string, unknown>) =>
        args.with_adapter ? { model: 'trained t-1', answer: 'I am Bob.' } : { model: 'base of t-1', answer: 'I am an AI.' },
      add_feedback: () => ({ dataset_id: 'feedback-t-1', marks: ++marks }),
    });
    const run = details();
    render(ResultCard, { status: run.status, details: run, call: backend.call });
    await ask('Who are you?');
    const marksRow = await screen.findByTestId('answer-marks');

    await fireEvent.click(within(marksRow).getByRole('button', { name: 'Good answer' }));
    expect(await within(marksRow).findByRole('status')).toHaveTextContent(
      'Kept in the dataset feedback-t-1 (1 in all): choose it in Training to train on it.',
    );
    await fireEvent.click(within(marksRow).getByRole('button', { name: 'Correct it' }));
    const yours = within(marksRow).getByLabelText('Your answer (kept instead of the model’s)');
    expect(yours).toHaveValue('I am Bob.');
    await fireEvent.input(yours, { target: { value: 'I am Lumen.' } });
    await fireEvent.click(within(marksRow).getByRole('button', { name: 'Keep my answer' }));
    expect(await within(marksRow).findByText(/\(2 in all\)/)).toBeInTheDocument();
    expect(within(marksRow).queryByLabelText('Your answer (kept instead of the model’s)')).toBeNull();
    expect(backend.callsOf('add_feedback')).toEqual([
      { training_id: 't-1', kind: 'good', prompt: 'Who are you?', answer: 'I am Bob.' },
      { training_id: 't-1', kind: 'corrected', prompt: 'Who are you?', answer: 'I am Lumen.', original: 'I am Bob.' },
    ]);
  });

  it('shows the trained and the base answer side by side, each thinking on its own', async () => {
    let answerBase: (value: unknown) => void = () => {};
    const backend = fakeBackend({
      ask_local_model: (args: Record<string, unknown>) =>
        args.with_adapter
          ? { model: 'trained t-1', answer: 'I am Lumen.' }
          : new Promise((resolve) => (answerBase = resolve)),
    });
    const run = details();
    render(ResultCard, { status: run.status, details: run, call: backend.call });

    await ask('Who are you?');

    const trained = screen.getByTestId('answer-trained');
    const base = screen.getByTestId('answer-base');
    expect(within(trained).getByRole('heading', { name: /Trained/ })).toBeInTheDocument();
    expect(within(base).getByRole('heading', { name: /Base/ })).toBeInTheDocument();
    expect(await within(trained).findByText('I am Lumen.')).toBeInTheDocument();
    expect(within(base).getByText('Thinking…')).toBeInTheDocument();
    answerBase({ model: 'base of t-1', answer: 'I am an AI assistant.' });
    expect(await within(base).findByText('I am an AI assistant.')).toBeInTheDocument();
    expect(backend.callsOf('ask_local_model')).toEqual([
      { training_id: 't-1', prompt: 'Who are you?', with_adapter: true },
      { training_id: 't-1', prompt: 'Who are you?', with_adapter: false },
    ]);
  });

  it('asks Ollama for the trained answer when the model is there, and shows errors inline', async () => {
    const backend = fakeBackend({
      get_ollama_connection: reachable,
      ask_ollama: new ApiError('ollama_chat_failed', 'Ollama could not answer: model failed to load'),
      ask_local_model: new ApiError('ask_failed', 'the base model could not be loaded'),
    });
    const connection = new OllamaConnectionStore(backend.call);
    await connection.check();
    const run = details({ summary: summary({ ollama_model: 'lumen-t1' }) });
    render(ResultCard, { status: run.status, details: run, call: backend.call, connection });

    await ask('Who are you?');

    expect(await within(screen.getByTestId('answer-trained')).findByText(/model failed to load/)).toBeInTheDocument();
    expect(await within(screen.getByTestId('answer-base')).findByText(/could not be loaded/)).toBeInTheDocument();
    expect(backend.callsOf('ask_ollama')).toEqual([{ model: 'lumen-t1', prompt: 'Who are you?' }]);
    expect(backend.callsOf('ask_local_model')).toEqual([
      { training_id: 't-1', prompt: 'Who are you?', with_adapter: false },
    ]);
    expect(screen.getByRole('button', { name: 'Ask' })).toBeEnabled();
  });
});

