import { type ApiError, toApiError } from '../api';

/** One backend list or object: its value, whether it is loading, and the last error. */
export class Loadable<T> {
  value: T = $state.raw() as T;
  loading = $state(false);
  loaded = $state(false);
  error: ApiError | null = $state.raw(null);

  #fetch: () => Promise<T>;
  #generation = 0;

  constructor(fetch: () => Promise<T>, initial: T) {
    this.#fetch = fetch;
    this.value = initial;
  }

  /** Fetch again; a newer load wins over an older one that answers late. */
  async load(): Promise<void> {
    const generation = ++this.#generation;
    this.loading = true;
    this.error = null;
    try {
      const value = await this.#fetch();
      if (generation !== this.#generation) return;
      this.value = value;
      this.loaded = true;
    } catch (err) {
      if (generation !== this.#generation) return;
      this.error = toApiError(err);
    } finally {
      if (generation === this.#generation) this.loading = false;
    }
  }
}
