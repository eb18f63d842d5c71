// A folder of documents made into a dataset from the window: the form (folder, dataset id and
// name, teacher, chunking), the teacher list from Ollama, the preview of the first chunks'
// pairs, and the job (started, followed, cancelled). One per backend (`documentsImport`), so a
// job keeps being shown when the person comes back to the Training view.
import { type ApiError, type Invoke, invoke } from '../api';
import { inBounds } from '../bounds';
import {
  type DatasetInfo,
  type DocumentsFolderRequest,
  type DocumentsJobState,
  type DocumentsPreview,
  FIELD_BOUNDS,
  FIELD_DEFAULTS,
  type TeacherModelList,
} from '../contracts.gen';
import { t } from '../i18n';
import { poller } from '../poller';
import { Loadable } from './loadable.svelte';
import { shared } from './shared';

export const DOCUMENTS_POLL_MS = 500;
export const DATASET_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const DOCUMENTS_BOUNDS = FIELD_BOUNDS.DocumentsFolderRequest;
const DEFAULTS = FIELD_DEFAULTS.DocumentsFolderRequest;

export type DocumentsField = 'folder' | 'datasetId' | 'chunkTokens' | 'overlapTokens' | 'pairsPerChunk';
export type NumberField = 'chunkTokens' | 'overlapTokens' | 'pairsPerChunk';

/** Each number field's rule: a whole number within the contract's bounds. */
const RULE_OF: Record<NumberField, { integer: true; bounds: { minimum: number; maximum: number } }> = {
  chunkTokens: { integer: true, bounds: DOCUMENTS_BOUNDS.chunk_tokens },
  overlapTokens: { integer: true, bounds: DOCUMENTS_BOUNDS.overlap_tokens },
  pairsPerChunk: { integer: true, bounds: DOCUMENTS_BOUNDS.pairs_per_chunk },
};

export class DocumentsImportStore {
  readonly call: Invoke;
  readonly teachers: Loadable<TeacherModelList | null>;
  readonly preview = new Loadable<DocumentsPreview | null>(null, null);
  /** The job's last state: from start, a poll or cancel. */
  readonly job = new Loadable<DocumentsJobState | null>(null, null);
  readonly #cancel = new Loadable<DocumentsJobState | null>(null, null);
  #onDone = new Set<(dataset: DatasetInfo) => void>();

  folder = $state('');
  datasetId = $state('');
  name = $state('');
  /** An Ollama model; '' for none (text chunks). */
  teacher = $state('');
  chunkTokens: number = $state(DEFAULTS.chunk_tokens);
  overlapTokens: number = $state(DEFAULTS.overlap_tokens);
  pairsPerChunk: number = $state(DEFAULTS.pairs_per_chunk);
  /** The request the preview shown is of (a changed form makes it stale). */
  #previewKey: string | null = $state(null);
  /** The person picked a teacher (or none): the first model is no longer put in for them. */
  #teacherChosen = false;

  constructor(call: Invoke = invoke) {
    this.call = call;
    this.teachers = new Loadable(() => call('list_teacher_models', {}), null);
  }

  /** Ask Ollama for its models; the first becomes the teacher unless one was picked. */
  async loadTeachers(): Promise<void> {
    await this.teachers.load();
    const models = this.teachers.value?.models ?? [];
    if (!models.some((m) => m.name === this.teacher) && (!this.#teacherChosen || this.teacher)) {
      this.teacher = models[0]?.name ?? '';
    }
  }

  /** The window's folder dialog: the folder picked becomes the form's (its path, or null when
   * none was picked). Throws when there is no dialog (browser mode, a closing window). */
  async pickFolder(): Promise<string | null> {
    const picked = await this.call('pick_documents_folder');
    if (picked.path) this.folder = picked.path;
    return picked.path ?? null;
  }

  chooseTeacher(name: string): void {
    this.teacher = name;
    this.#teacherChosen = true;
  }

  /** What is wrong with each field, in words; null where it is fine. */
  get problems(): Record<DocumentsField, string | null> {
    const number = (field: NumberField, value: number) => {
      const rule = RULE_OF[field];
      return inBounds(value, rule) ? null : t('docs.number.invalid', { min: rule.bounds.minimum, max: rule.bounds.maximum });
    };
    let overlap = number('overlapTokens', this.overlapTokens);
    if (!overlap && inBounds(this.chunkTokens, RULE_OF.chunkTokens) && this.overlapTokens * 2 > this.chunkTokens) {
      overlap = t('docs.overlap.tooLarge', { max: Math.floor(this.chunkTokens / 2) });
    }
    return {
      folder: this.folder.trim() ? null : t('docs.folder.required'),
      datasetId: DATASET_ID.test(this.datasetId) ? null : t('docs.id.invalid'),
      chunkTokens: number('chunkTokens', this.chunkTokens),
      overlapTokens: overlap,
      // The teacher's own field: without a teacher it is not asked, nor checked.
      pairsPerChunk: this.teacher ? number('pairsPerChunk', this.pairsPerChunk) : null,
    };
  }

  get valid(): boolean {
    return Object.values(this.problems).every((p) => p === null);
  }

  /** What start_documents_job and preview_documents are sent; null while the form has a problem. */
  request(): DocumentsFolderRequest | null {
    if (!this.valid) return null;
    const request: DocumentsFolderRequest = {
      source_dir: this.folder.trim(),
      dataset_id: this.datasetId,
      teacher: this.teacher || null,
      chunk_tokens: this.chunkTokens,
      overlap_tokens: this.overlapTokens,
      pairs_per_chunk: this.teacher ? this.pairsPerChunk : DEFAULTS.pairs_per_chunk,
    };
    const name = this.name.trim();
    if (name) request.name = name;
    return request;
  }

  /** The preview answered for the form as it is now (null when none, or the form changed). */
  get currentPreview(): DocumentsPreview | null {
    const request = this.request();
    return request && this.#previewKey === previewKey(request) ? this.preview.value : null;
  }

  async runPreview(): Promise<void> {
    const request = this.request();
    if (!request || !request.teacher || this.preview.loading) return;
    const key = previewKey(request);
    if (await this.preview.run(() => this.call('preview_documents', request))) this.#previewKey = key;
  }

  get state(): DocumentsJobState | null {
    return this.job.value;
  }

  get running(): boolean {
    return this.state?.status === 'running';
  }

  get starting(): boolean {
    return this.job.loading && !this.state;
  }

  get cancelling(): boolean {
    return this.#cancel.loading || (this.running && !!this.#cancel.value);
  }

  /** Starting, following or cancelling failed (the job's own failure is its state's error). */
  get error(): ApiError | null {
    return this.#cancel.error ?? this.job.error;
  }

  async start(): Promise<void> {
    const request = this.request();
    if (!request || this.running || this.job.loading) return;
    this.#cancel.reset(null);
    this.job.reset(null);
    await this.job.run(() => this.call('start_documents_job', request));
    this.#finished();
  }

  async poll(): Promise<void> {
    const id = this.state?.job_id;
    if (!id || !this.running) return;
    await this.job.run(() => this.call('get_documents_job', { job_id: id }), { keepError: true });
    this.#finished();
  }

  async cancel(): Promise<void> {
    const id = this.state?.job_id;
    if (!id || !this.running) return;
    if (await this.#cancel.run(() => this.call('cancel_documents_job', { job_id: id }))) {
      this.job.set(this.#cancel.value);
    }
  }

  /** Forget the finished job (the form stays, for another run). */
  dismiss(): void {
    if (this.running) return;
    this.job.reset(null);
    this.#cancel.reset(null);
  }

  /** Poll while the job runs; returns the stop function (call it from an `$effect`). */
  watch(intervalMs = DOCUMENTS_POLL_MS): () => void {
    return poller.follow(this, () => this.poll(), intervalMs);
  }

  /** `listener` gets the registered dataset when a job ends done; returns the unsubscribe. */
  onDone(listener: (dataset: DatasetInfo) => void): () => void {
    this.#onDone.add(listener);
    return () => this.#onDone.delete(listener);
  }

  #announced: string | null = null;

  #finished(): void {
    const state = this.state;
    if (!state || state.status !== 'done' || !state.dataset || this.#announced === state.job_id) return;
    this.#announced = state.job_id;
    for (const listener of this.#onDone) listener(state.dataset);
  }
}

function previewKey(request: DocumentsFolderRequest): string {
  // The name does not change the pairs.
  const { name: _name, ...rest } = request;
  return JSON.stringify(rest);
}

/** The documents import of this backend: the same for every view. */
export function documentsImport(call: Invoke = invoke): DocumentsImportStore {
  return shared(call, 'documents', () => new DocumentsImportStore(call));
}
