// Ollama in the window: the connection state in the sidebar (checked in the background), the
// address setting, a run's export (started in the background, followed by polling) and the
// "Try it" box that asks the trained model and its base side by side.
import { type ApiError, type Invoke, invoke } from '../api';
import type {
  ChatAnswer,
  ExportRequest,
  ExportState,
  FeedbackRequest,
  FeedbackSaved,
  OllamaConnection,
  Settings,
} from '../contracts.gen';
import { poller } from '../poller';
import { Loadable } from './loadable.svelte';
import { shared } from './shared';

/** The model file's type, quantized by the app before the upload; null: the default for the base's size. */
export type QuantizeChoice = NonNullable<ExportRequest['quantize']>;
// A Record over the contract's union: a quantization added to ExportRequest fails the type check
// until it is listed here.
const QUANTIZE: Record<QuantizeChoice, true> = { f16: true, q8_0: true, q4_K_M: true };
export const QUANTIZE_CHOICES = Object.keys(QUANTIZE) as QuantizeChoice[];

export const CONNECTION_CHECK_MS = 30_000;
export const EXPORT_POLL_MS = 500;

export class OllamaConnectionStore {
  /** The saved address ('' = the default); null until the settings were read. */
  host: string | null = $state(null);
  saved = $state(false);

  readonly #connection: Loadable<OllamaConnection | null>;
  readonly #save = new Loadable<Settings | null>(null, null);
  #call: Invoke;

  constructor(call: Invoke = invoke) {
    this.#call = call;
    this.#connection = new Loadable(() => call('get_ollama_connection'), null);
  }

  get connection(): OllamaConnection | null {
    return this.#connection.value;
  }

  /** The check itself failed (the backend, not Ollama). */
  get error(): ApiError | null {
    return this.#connection.error;
  }

  get saving(): boolean {
    return this.#save.loading;
  }

  get saveError(): ApiError | null {
    return this.#save.error;
  }

  get reachable(): boolean {
    return this.connection?.reachable === true;
  }

  /** Ask the backend (which answers within ~2 s); the last state stays until the answer. */
  async check(): Promise<void> {
    await this.#connection.refresh();
  }

  /** Check now and every `intervalMs`; returns the stop function. */
  watch(intervalMs = CONNECTION_CHECK_MS): () => void {
    void this.check();
    return poller.follow(this, () => this.check(), intervalMs);
  }

  async loadSettings(): Promise<void> {
    try {
      const settings = await this.#call('get_settings');
      this.host = settings.ollama_host ?? '';
    } catch {
      this.host = '';
    }
  }

  /** Save the address ('' = back to the default) and check again. */
  async saveHost(text: string): Promise<boolean> {
    this.saved = false;
    const value = text.trim();
    const ok = await this.#save.run(() => this.#call('update_settings', { ollama_host: value || null }));
    if (ok) {
      this.host = this.#save.value?.ollama_host ?? '';
      this.saved = true;
      void this.check();
    }
    return ok;
  }
}

/** The app-wide connection: the sidebar checks it, the "Try it" box reads it. */
export const ollamaConnection = new OllamaConnectionStore();

/** One run's export to Ollama; shared by the views that show the run (see `exportJob`). */
export class ExportJob {
  readonly trainingId: string;
  readonly #state: Loadable<ExportState | null>;
  readonly #start = new Loadable<ExportState | null>(null, null);
  #made: string | null = $state(null);
  #call: Invoke;

  constructor(trainingId: string, call: Invoke = invoke) {
    this.trainingId = trainingId;
    this.#call = call;
    this.#state = new Loadable(() => call('get_export_state', { training_id: trainingId }), null);
  }

  get state(): ExportState | null {
    return this.#state.value;
  }

  /** Starting or reading the state failed. */
  get error(): ApiError | null {
    return this.#start.error ?? this.#state.error;
  }

  get starting(): boolean {
    return this.#start.loading;
  }

  get exporting(): boolean {
    return this.state?.state === 'exporting';
  }

  get failed(): boolean {
    return this.state?.state === 'error';
  }

  /** The Ollama model once the export is done. */
  get model(): string | null {
    return this.state?.state === 'done' ? this.state.model : null;
  }

  /** The last model an export of this run made, as far as this window saw; a later failed
   * attempt does not change it (Ollama still has that model). */
  get madeModel(): string | null {
    return this.model ?? this.#made;
  }

  async load(): Promise<void> {
    await this.#state.refresh();
    this.#remember();
  }

  #remember(): void {
    if (this.model) this.#made = this.model;
  }

  async start(modelName?: string, quantize: QuantizeChoice | null = null): Promise<void> {
    if (this.starting || this.exporting) return;
    const name = modelName?.trim();
    const args: ExportRequest = { training_id: this.trainingId };
    if (name) args.model_name = name;
    if (quantize) args.quantize = quantize;
    this.#remember();
    if (await this.#start.run(() => this.#call('export_to_ollama', args))) this.#state.set(this.#start.value);
  }

  /** Poll every `intervalMs` while exporting; returns the stop function. */
  watch(intervalMs = EXPORT_POLL_MS): () => void {
    return poller.follow(this, () => (this.exporting ? this.load() : undefined), intervalMs);
  }
}

/** The export of `trainingId` on this backend: the same object for every view of the run. */
export function exportJob(trainingId: string, call: Invoke = invoke): ExportJob {
  return shared(call, `export:${trainingId}`, () => new ExportJob(trainingId, call));
}

export class ChatSide {
  /** Asked through Ollama (true) or the local worker (false). */
  viaOllama = $state(false);
  readonly #answer = new Loadable<ChatAnswer | null>(null, null);

  get busy(): boolean {
    return this.#answer.loading;
  }

  get answer(): ChatAnswer | null {
    return this.#answer.value;
  }

  get error(): ApiError | null {
    return this.#answer.error;
  }

  async run(viaOllama: boolean, ask: () => Promise<ChatAnswer>): Promise<void> {
    this.#answer.reset(null);
    this.viaOllama = viaOllama;
    await this.#answer.run(ask);
  }
}

/** "Try it": the trained model (through Ollama when it is there) and its base, side by side. */
export class ModelChat {
  readonly trained = new ChatSide();
  readonly base = new ChatSide();
  /** The question both sides answer now. */
  prompt = $state('');
  /** The last mark kept in the run's feedback dataset (null until this answer is marked). */
  readonly #mark = new Loadable<FeedbackSaved | null>(null, null);
  #call: Invoke;

  constructor(call: Invoke = invoke) {
    this.#call = call;
  }

  get busy(): boolean {
    return this.trained.busy || this.base.busy;
  }

  get marking(): boolean {
    return this.#mark.loading;
  }

  get marked(): FeedbackSaved | null {
    return this.#mark.value;
  }

  get markError(): ApiError | null {
    return this.#mark.error;
  }

  /** Keep the trained model's answer as it is (`good`) or as corrected, in the run's feedback
   * dataset; the question and, for a correction, the model's own answer go with it. */
  async keep(trainingId: string, corrected: string | null = null): Promise<void> {
    const answer = this.trained.answer?.answer ?? '';
    const args: FeedbackRequest = corrected
      ? { training_id: trainingId, kind: 'corrected', prompt: this.prompt, answer: corrected, original: answer }
      : { training_id: trainingId, kind: 'good', prompt: this.prompt, answer };
    await this.#mark.run(() => this.#call('add_feedback', args));
  }

  /** Both sides at once; `ollamaModel` only when it is registered and Ollama answers. */
  ask(prompt: string, trainingId: string, ollamaModel: string | null): Promise<void> {
    this.prompt = prompt;
    this.#mark.reset(null);
    const trained = ollamaModel
      ? this.trained.run(true, () => this.#call('ask_ollama', { model: ollamaModel, prompt }))
      : this.trained.run(false, () =>
          this.#call('ask_local_model', { training_id: trainingId, prompt, with_adapter: true }),
        );
    const base = this.base.run(false, () =>
      this.#call('ask_local_model', { training_id: trainingId, prompt, with_adapter: false }),
    );
    return Promise.all([trained, base]).then(() => undefined);
  }
}
