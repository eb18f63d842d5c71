import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../src/lib/api';
import DocumentsImport from '../src/lib/components/DocumentsImport.svelte';
import type { DocumentsJobState, DocumentsPreview, DocumentsReport, TeacherModelList } from '../src/lib/contracts.gen';
import { dataset, datasets } from './fixtures';
import { fakeBackend, findAlert } from './helpers';

afterEach(() => {
  delete window.pywebview;
});

const teachers: TeacherModelList = {
  host: 'http://127.0.0.1:11434',
  reachable: true,
  message: '2 model(s) in Ollama at http://127.0.0.1:11434',
  models: [
    { name: 'llama3.2:latest', size_bytes: 2_000_000_000, family: 'llama', parameter_size: '3.2B', quantization: 'Q4_K_M' },
    { name: 'qwen2.5:7b', size_bytes: 4_000_000_000, family: 'qwen2', parameter_size: '7.6B', quantization: 'Q4_K_M' },
  ],
};

const unreachable: TeacherModelList = {
  host: 'http://127.0.0.1:11434',
  reachable: false,
  message: 'Ollama is not reachable at http://127.0.0.1:11434',
  models: [],
};

const source = { file: 'ferry.pdf', pages: [1], sections: [], chunk_id: 'c1', quote: null, label: 'ferry.pdf p. 1' };

const preview: DocumentsPreview = {
  teacher: 'llama3.2:latest',
  chunks: 3,
  pairs: [
    {
      question: 'When does the ferry leave?',
      answer: 'At seven every morning.',
      quote: 'The ferry leaves at seven every morning.',
      source,
    },
    {
      question: 'Who keeps the lighthouse?',
      answer: 'The harbour master.',
      quote: 'The harbour master keeps the lighthouse.',
      source: { ...source, file: 'notes.md', pages: [], label: 'notes.md > Pier notes' },
    },
  ],
  rejected: { quote_not_in_chunk: 2, duplicate_question: 1 },
  skipped: [{ file: 'locked.pdf', reason: 'encrypted PDF (needs a password)' }],
};

const report: DocumentsReport = {
  mode: 'qa',
  source_dir: '/home/me/docs',
  output_dir: '/data/datasets/harbour',
  documents: 4,
  pages: 6,
  chunks: 9,
  duplicate_chunks: 0,
  chunk_tokens: 256,
  overlap_tokens: 32,
  tokenizer: 'smollm2',
  teacher: 'llama3.2:latest',
  pairs_per_chunk: 3,
  prompt_version: 'v1',
  pairs_kept: 21,
  rejected: { quote_not_in_chunk: 4, broken_json: 1 },
  teacher_calls: 6,
  cached_chunks: 3,
  train_rows: 17,
  held_out_rows: 4,
  held_out_documents: ['notes.md'],
  files: [],
  skipped: [],
  ignored_files: 0,
  started_at: '2025-01-05T10:00:00Z',
  finished_at: '2025-01-05T10:01:15Z',
  duration_s: 75,
  notes: [],
};

const harbour = dataset({ id: 'harbour', name: 'Harbour papers', source: 'user', format: 'chat', examples: 17 });

function jobState(over: Partial<DocumentsJobState>): DocumentsJobState {
  return {
    job_id: 'docs-20250105-100000-abc123',
    dataset_id: 'harbour',
    status: 'running',
    mode: 'qa',
    teacher: 'llama3.2:latest',
    progress: null,
    started_at: '2025-01-05T10:00:00Z',
    finished_at: null,
    error_code: null,
    error: null,
    notes: [],
    report: null,
    dataset: null,
    ...over,
  };
}

const running = jobState({
  progress: {
    chunks_done: 3,
    chunks_total: 9,
    pairs_kept: 7,
    pairs_rejected: 2,
    from_cache: 3,
    elapsed_s: 5,
    eta_s: 10,
    file: 'ferry.pdf',
    rejected: { quote_not_in_chunk: 2 },
  },
});

const done = jobState({
  status: 'done',
  progress: { ...running.progress!, chunks_done: 9, pairs_kept: 21, eta_s: 0 },
  finished_at: '2025-01-05T10:01:15Z',
  report,
  notes: ['1 of 4 documents are held out whole; their questions are asked before and after training.'],
  dataset: harbour,
});

function setup(answers: Parameters<typeof fakeBackend>[0] = {}, existing = datasets) {
  const backend = fakeBackend({ list_teacher_models: teachers, ...answers });
  const onimported = vi.fn();
  const view = render(DocumentsImport, { onimported, existing, call: backend.call });
  return { backend, onimported, view };
}

async function openForm() {
  await fireEvent.click(screen.getByText('From documents…'));
}

async function fill(folder = '/home/me/Harbour Papers') {
  await fireEvent.input(screen.getByLabelText('Folder of documents'), { target: { value: folder } });
}

const previewButton = () => screen.getByRole('button', { name: 'Preview' });
const runButton = () => screen.getByRole('button', { name: 'Make the dataset' });

describe('DocumentsImport: the form', () => {
  it('lists Ollama’s models as teachers and takes the id and name from the folder', async () => {
    const { backend } = setup();
    await openForm();
    await vi.waitFor(() => expect(screen.getByLabelText('Teacher model')).toHaveValue('llama3.2:latest'));
    const options = within(screen.getByLabelText('Teacher model')).getAllByRole('option');
    expect(options.map((o) => o.textContent?.trim())).toEqual([
      'llama3.2:latest (3.2B)',
      'qwen2.5:7b (7.6B)',
      'None: text chunks',
    ]);
    expect(backend.callsOf('list_teacher_models')).toHaveLength(1);
    expect(previewButton()).toBeDisabled();
    expect(screen.getByText('Choose the folder of documents.')).toBeInTheDocument();

    await fill();
    expect(screen.getByLabelText('New dataset id')).toHaveValue('harbour-papers');
    expect(screen.getByLabelText('Name')).toHaveValue('Harbour Papers');
    expect(previewButton()).toBeEnabled();
    expect(runButton()).toBeEnabled();
    // No folder dialog in a browser: a path field only.
    expect(screen.queryByRole('button', { name: 'Browse…' })).not.toBeInTheDocument();
  });

  it('says when Ollama is not reachable and what documents without a teacher teach', async () => {
    setup({ list_teacher_models: unreachable });
    await openForm();
    const note = await screen.findByTestId('teacher-note');
    await vi.waitFor(() => expect(note).toHaveTextContent('No teacher: Ollama is not reachable at http://127.0.0.1:11434'));
    expect(note).toHaveTextContent('Without a teacher the documents become plain text chunks');
    expect(note).toHaveTextContent('not to answer questions about them');
    expect(screen.getByLabelText('Teacher model')).toHaveValue('');
    await fill('/docs/guide');
    // No preview without a teacher, and it says why; text chunks can still be made, and the
    // teacher's own field is not asked.
    expect(previewButton()).toBeDisabled();
    expect(previewButton()).toHaveAccessibleDescription(/choose a teacher to preview/);
    expect(runButton()).toBeEnabled();
    expect(screen.queryByLabelText('Pairs per chunk')).not.toBeInTheDocument();
  });

  it('checks the id, the chunking bounds and a built-in id before anything is sent', async () => {
    const { backend } = setup();
    await openForm();
    await fill('/docs/guide');
    const id = screen.getByLabelText('New dataset id');
    await fireEvent.input(id, { target: { value: 'Bad Id' } });
    expect(id).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByText(/Use 1-64 lower-case letters/)).toBeInTheDocument();
    expect(runButton()).toBeDisabled();

    await fireEvent.input(id, { target: { value: 'lumen' } });
    expect(screen.getByText(/Lumen identity ships with the app/)).toBeInTheDocument();
    expect(runButton()).toBeDisabled();

    await fireEvent.input(id, { target: { value: 'guide' } });
    expect(runButton()).toBeEnabled();
    await fireEvent.input(screen.getByLabelText('Chunk size (tokens)'), { target: { value: '100' } });
    await fireEvent.input(screen.getByLabelText('Overlap (tokens)'), { target: { value: '60' } });
    expect(screen.getByText('At most half the chunk size: 50.')).toBeInTheDocument();
    expect(runButton()).toBeDisabled();
    await fireEvent.input(screen.getByLabelText('Overlap (tokens)'), { target: { value: '10' } });
    await fireEvent.input(await screen.findByLabelText('Pairs per chunk'), { target: { value: '50' } });
    expect(screen.getByText('A whole number from 1 to 20.')).toBeInTheDocument();
    expect(runButton()).toBeDisabled();
    expect(backend.callsOf('start_documents_job')).toHaveLength(0);
  });
});

describe('DocumentsImport: preview', () => {
  it('shows the first chunks’ pairs with their source and what was rejected, and goes stale when the form changes', async () => {
    const { backend } = setup({ preview_documents: preview });
    await openForm();
    await vi.waitFor(() => expect(screen.getByLabelText('Teacher model')).toHaveValue('llama3.2:latest'));
    await fill('/home/me/harbour');
    await fireEvent.input(screen.getByLabelText('Pairs per chunk'), { target: { value: '2' } });
    await fireEvent.click(previewButton());

    const table = await screen.findByRole('table');
    expect(backend.callsOf('preview_documents')).toEqual([
      {
        source_dir: '/home/me/harbour',
        dataset_id: 'harbour',
        name: 'harbour',
        teacher: 'llama3.2:latest',
        chunk_tokens: 256,
        overlap_tokens: 32,
        pairs_per_chunk: 2,
      },
    ]);
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(3);
    expect(within(rows[1]).getAllByRole('cell').map((c) => c.textContent)).toEqual([
      'When does the ferry leave?',
      'At seven every morning.',
      '“The ferry leaves at seven every morning.”',
      'ferry.pdf p. 1',
    ]);
    expect(within(rows[2]).getByText('notes.md > Pier notes')).toBeInTheDocument();
    expect(screen.getByText('2 pairs kept from the first 3 chunks, written by llama3.2:latest.')).toBeInTheDocument();
    const rejected = screen.getByTestId('documents-rejected');
    expect(within(rejected).getByText(/quoting text that is not in the chunk/)).toHaveTextContent('2');
    expect(within(rejected).getByText(/repeating a question already kept/)).toHaveTextContent('1');
    expect(screen.getByText(/encrypted PDF/)).toBeInTheDocument();

    // Another chunk size: the pairs shown are no longer what a run would make.
    await fireEvent.input(screen.getByLabelText('Chunk size (tokens)'), { target: { value: '128' } });
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
  });

  it('shows the backend’s error in a banner', async () => {
    setup({ preview_documents: new ApiError('documents_not_found', "folder '/nope' not found") });
    await openForm();
    await vi.waitFor(() => expect(screen.getByLabelText('Teacher model')).toHaveValue('llama3.2:latest'));
    await fill('/nope');
    await fireEvent.click(previewButton());
    await findAlert(['No preview', "folder '/nope' not found", 'documents_not_found']);
  });
});

describe('DocumentsImport: the job', () => {
  it('runs, shows progress, then the report, and hands the new dataset over', async () => {
    const states = [running, done];
    const { backend, onimported } = setup({
      start_documents_job: jobState({}),
      get_documents_job: () => states.shift() ?? done,
    });
    await openForm();
    await vi.waitFor(() => expect(screen.getByLabelText('Teacher model')).toHaveValue('llama3.2:latest'));
    await fill('/home/me/harbour');
    await fireEvent.input(screen.getByLabelText('Name'), { target: { value: 'Harbour papers' } });
    await fireEvent.click(runButton());

    expect(backend.callsOf('start_documents_job')).toEqual([
      expect.objectContaining({ source_dir: '/home/me/harbour', dataset_id: 'harbour', name: 'Harbour papers' }),
    ]);
    const job = await screen.findByTestId('documents-job');
    expect(job).toHaveAttribute('data-state', 'running');
    await vi.waitFor(() => expect(within(job).getByText('3 of 9 chunks (33%)')).toBeInTheDocument(), { timeout: 3000 });
    expect(within(job).getByRole('progressbar', { name: 'Chunks done' })).toHaveAttribute('value', '3');
    expect(within(job).getByTestId('pairs-kept')).toHaveTextContent('7');
    expect(within(job).getByText('0:10')).toBeInTheDocument();
    expect(within(job).getByText(/quoting text that is not in the chunk/)).toBeInTheDocument();
    expect(runButton()).toBeDisabled();

    await vi.waitFor(() => expect(job).toHaveAttribute('data-state', 'done'), { timeout: 3000 });
    expect(onimported).toHaveBeenCalledTimes(1);
    expect(onimported).toHaveBeenCalledWith(harbour);
    const reportRegion = within(job).getByRole('region', { name: 'Report' });
    const facts = Object.fromEntries(
      within(reportRegion)
        .getAllByRole('definition')
        .map((dd) => [dd.previousElementSibling?.textContent, dd.textContent?.trim()]),
    );
    expect(facts).toMatchObject({
      Documents: '4',
      'PDF pages': '6',
      Chunks: '9',
      'Pairs kept': '21',
      Teacher: 'llama3.2:latest',
      'From earlier answers': '3',
      Time: '1:15',
    });
    expect(within(job).queryByTestId('pairs-kept')).not.toBeInTheDocument();
    expect(within(reportRegion).getByText(/chunks answered with broken JSON/)).toHaveTextContent('1');
    expect(within(job).getByText(/held out whole/)).toBeInTheDocument();
    expect(within(job).getByText('Harbour papers was added to the datasets and picked.')).toBeInTheDocument();
    // It stops asking once the job ended.
    const polls = backend.callsOf('get_documents_job').length;
    await new Promise((r) => setTimeout(r, 700));
    expect(backend.callsOf('get_documents_job')).toHaveLength(polls);
  });

  it('cancels after asking, and says how to go on', async () => {
    let cancelled = false;
    const { backend } = setup({
      start_documents_job: running,
      get_documents_job: () =>
        cancelled ? jobState({ ...running, status: 'cancelled', error_code: 'cancelled', error: 'cancelled' }) : running,
      cancel_documents_job: () => {
        cancelled = true;
        return running;
      },
    });
    await openForm();
    await fill('/home/me/harbour');
    await fireEvent.click(runButton());
    const job = await screen.findByTestId('documents-job');
    await fireEvent.click(within(job).getByRole('button', { name: 'Cancel' }));
    expect(backend.callsOf('cancel_documents_job')).toHaveLength(0);
    await fireEvent.click(within(job).getByRole('button', { name: 'Yes, stop' }));
    expect(backend.callsOf('cancel_documents_job')).toEqual([{ job_id: running.job_id }]);
    expect(within(job).getByRole('button', { name: 'Stopping…' })).toBeDisabled();
    await vi.waitFor(() => expect(job).toHaveAttribute('data-state', 'cancelled'), { timeout: 3000 });
    expect(within(job).getByText(/go on where it stopped/)).toBeInTheDocument();
    expect(runButton()).toBeEnabled();
  });

  it('shows a job that failed in a banner', async () => {
    const failed = jobState({ status: 'error', error_code: 'teacher_failing', error: 'the teacher failed 5 chunks in a row' });
    const { onimported } = setup({ start_documents_job: running, get_documents_job: failed });
    await openForm();
    await fill('/home/me/harbour');
    await fireEvent.click(runButton());
    const job = await screen.findByTestId('documents-job');
    await vi.waitFor(() => expect(job).toHaveAttribute('data-state', 'error'), { timeout: 3000 });
    const banner = within(job).getByRole('alert');
    expect(banner).toHaveTextContent('The documents job failed');
    expect(banner).toHaveTextContent('the teacher failed 5 chunks in a row');
    expect(banner).toHaveTextContent('teacher_failing');
    expect(onimported).not.toHaveBeenCalled();
  });

  it('shows a refused start', async () => {
    setup({
      start_documents_job: new ApiError('documents_job_running', "documents are already being read into 'harbour'"),
    });
    await openForm();
    await fill('/home/me/harbour');
    await fireEvent.click(runButton());
    await findAlert(['The documents were not read', "already being read into 'harbour'"]);
  });

  it('uses the window’s folder dialog where there is one', async () => {
    window.pywebview = { api: {} } as unknown as typeof window.pywebview;
    const { backend } = setup({ pick_documents_folder: { path: '/home/me/Manuals' } });
    await openForm();
    await fireEvent.click(screen.getByRole('button', { name: 'Browse…' }));
    await vi.waitFor(() => expect(screen.getByLabelText('Folder of documents')).toHaveValue('/home/me/Manuals'));
    expect(screen.getByLabelText('New dataset id')).toHaveValue('manuals');
    expect(backend.callsOf('pick_documents_folder')).toHaveLength(1);
  });
});
