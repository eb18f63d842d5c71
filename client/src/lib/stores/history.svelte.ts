// The last training runs, newest first; "Show more" asks for 10 more.
import { type ApiError, type Invoke, invoke, toApiError } from '../api';
import type { TrainingRunSummary } from '../contracts.gen';

export const HISTORY_PAGE = 10;

export class TrainingHistoryStore {
  runs: TrainingRunSummary[] = $state.raw([]);
  limit = $state(HISTORY_PAGE);
  loading = $state(false);
  loaded = $state(false);
  error: ApiError | null = $state.raw(null);

  #call: Invoke;
  #generation = 0;

  constructor(call: Invoke = invoke) {
    this.#call = call;
  }

  /** Whether the backend may have more than shown (the last page came back full). */
  get hasMore(): boolean {
    return this.runs.length >= this.limit;
  }

  async load(): Promise<void> {
    const generation = ++this.#generation;
    this.loading = true;
    this.error = null;
    try {
      const runs = await this.#call('get_training_history', {
        limit: this.limit,
      });
      if (generation !== this.#generation) return;
      this.runs = runs;
      this.loaded = true;
    } catch (err) {
      if (generation === this.#generation) this.error = toApiError(err);
    } finally {
      if (generation === this.#generation) this.loading = false;
    }
  }

  showMore(): Promise<void> {
    this.limit += HISTORY_PAGE;
    return this.load();
  }
}

export const trainingHistory = new TrainingHistoryStore();
