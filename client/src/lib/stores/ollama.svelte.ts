// Ollama in the window: the connection state in the sidebar (checked in the background), the
// address setting, a run's export (started in the background, followed by polling) and the
// "Try it" box that asks the trained model and its base side by side.
import { type ApiError, type Invoke, invoke, toApiError } from '../api';
import type { ChatAnswer, ExportRequest, ExportState, OllamaConnection } from '../contracts.gen';

/** What the export may ask Ollama to quantize to; null keeps the F16 model. */
export type QuantizeChoice = NonNullable<ExportRequest['quantize']>;
export const QUANTIZE_CHOICES: QuantizeChoice[] = ['q8_0', 'q4_K_M'];

export const CONNECTION_CHECK_MS = 30_000;
export const EXPORT_POLL_MS = 500;

export class OllamaConnectionStore {
  connection: OllamaConnection | null = $state.raw(null);
  /** The check itself failed (the backend, not Ollama). */
  error: ApiError | null = $state.raw(null);
  checking = $state(false);
  /** The saved address ('' = the default); null until the settings were read. */
  host: string | null = $state(null);
  saving = $state(false);
  saved = $state(false);
  saveError: ApiError | null = $state.raw(null);

  #call: Invoke;
  #generation = 0;

  constructor(call: Invoke = invoke) {
    this.#call = call;
  }

  get reachable(): boolean {
    return this.connection?.reachable === true;
  }

  /** Ask the backend (which answers within ~2 s); a newer check wins over an older one. */
  async check(): Promise<void> {
    const generation = ++this.#generation;
    this.checking = true;
    try {
      const connection = await this.#call('get_ollama_connection');
      if (generation !== this.#generation) return;
      this.connection = connection;
      this.error = null;
    } catch (err) {
      if (generation === this.#generation) this.error = toApiError(err);
    } finally {
      if (generation === this.#generation) this.checking = false;
    }
  }

  /** Check now and every `intervalMs`; returns the stop function. */
  watch(intervalMs = CONNECTION_CHECK_MS): () => void {
    void this.check();
    const timer = setInterval(() => void this.check(), intervalMs);
    return () => clearInterval(timer);
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
    this.saving = true;
    this.saved = false;
    this.saveError = null;
    try {
      const value = text.trim();
      const settings = await this.#call('update_settings', { ollama_host: value || null });
      this.host = settings.ollama_host ?? '';
      this.saved = true;
      void this.check();
      return true;
    } catch (err) {
      this.saveError = toApiError(err);
      return false;
    } finally {
      this.saving = false;
    }
  }
}

/** The app-wide connection: the sidebar checks it, the "Try it" box reads it. */
export const ollamaConnection = new OllamaConnectionStore();

/** One run's export to Ollama. */
export class ExportJob {
  state: ExportState | null = $state.raw(null);
  /** Starting or reading the state failed. */
  error: ApiError | null = $state.raw(null);
  starting = $state(false);

  readonly trainingId: string;
  #call: Invoke;
  #polling = false;

  constructor(trainingId: string, call: Invoke = invoke) {
    this.trainingId = trainingId;
    this.#call = call;
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

  async load(): Promise<void> {
    try {
      this.state = await this.#call('get_export_state', { training_id: this.trainingId });
      this.error = null;
    } catch (err) {
      this.error = toApiError(err);
    }
  }

  async start(modelName?: string, quantize: QuantizeChoice | null = null): Promise<void> {
    if (this.starting || this.exporting) return;
    this.starting = true;
    this.error = null;
    try {
      const name = modelName?.trim();
      const args: { training_id: string; model_name?: string; quantize?: QuantizeChoice } = {
        training_id: this.trainingId,
      };
      if (name) args.model_name = name;
      if (quantize) args.quantize = quantize;
      this.state = await this.#call('export_to_ollama', args);
    } catch (err) {
      this.error = toApiError(err);
    } finally {
      this.starting = false;
    }
  }

  async poll(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      await this.load();
    } finally {
      this.#polling = false;
    }
  }

  /** Poll every `intervalMs` while exporting; returns the stop function. */
  watch(intervalMs = EXPORT_POLL_MS): () => void {
    const timer = setInterval(() => {
      if (this.exporting) void this.poll();
    }, intervalMs);
    return () => clearInterval(timer);
  }
}

export class ChatSide {
  busy = $state(false);
  answer: ChatAnswer | null = $state.raw(null);
  error: ApiError | null = $state.raw(null);
  /** Asked through Ollama (true) or the local worker (false). */
  viaOllama = $state(false);
  #generation = 0;

  async run(viaOllama: boolean, ask: () => Promise<ChatAnswer>): Promise<void> {
    const generation = ++this.#generation;
    this.busy = true;
    this.error = null;
    this.answer = null;
    this.viaOllama = viaOllama;
    try {
      const answer = await ask();
      if (generation === this.#generation) this.answer = answer;
    } catch (err) {
      if (generation === this.#generation) this.error = toApiError(err);
    } finally {
      if (generation === this.#generation) this.busy = false;
    }
  }
}

/** "Try it": the trained model (through Ollama when it is there) and its base, side by side. */
export class ModelChat {
  readonly trained = new ChatSide();
  readonly base = new ChatSide();
  #call: Invoke;

  constructor(call: Invoke = invoke) {
    this.#call = call;
  }

  get busy(): boolean {
    return this.trained.busy || this.base.busy;
  }

  /** Both sides at once; `ollamaModel` only when it is registered and Ollama answers. */
  ask(prompt: string, trainingId: string, ollamaModel: string | null): Promise<void> {
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
