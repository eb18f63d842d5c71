// The one async-state helper: a value that comes from a backend call, whether a call for it is
// under way, and how the last one failed. Lists, objects a view follows, answers to a question
// and the calls a person triggers (start, cancel, save) all use it.
import { type ApiError, toApiError } from '../api';

export class Loadable<T> {
  value: T = $state.raw() as T;
  /** A call is under way. */
  loading = $state(false);
  /** A call has answered at least once. */
  loaded = $state(false);
  /** The last call failed (cleared by `load`, replaced by the next answer otherwise). */
  error: ApiError | null = $state.raw(null);

  #fetch: (() => Promise<T>) | null;
  #generation = 0;

  /** `fetch` is what `load` and `refresh` call; null for a value only `run` sets. */
  constructor(fetch: (() => Promise<T>) | null, initial: T) {
    this.#fetch = fetch;
    this.value = initial;
  }

  /** Fetch again for a person who waits: the old error goes at once. */
  load(): Promise<boolean> {
    return this.run(this.#required(), { keepError: false });
  }

  /** Fetch again in the background (a poll): the value and the error stay until the answer. */
  refresh(): Promise<boolean> {
    return this.run(this.#required(), { keepError: true });
  }

  /** Make one call whose answer becomes the value. A newer call wins over an older one that
   * answers late. True when this call's answer was taken. */
  async run(fetch: () => Promise<T>, { keepError = false } = {}): Promise<boolean> {
    const generation = ++this.#generation;
    this.loading = true;
    if (!keepError) this.error = null;
    try {
      const value = await fetch();
      if (generation !== this.#generation) return false;
      this.value = value;
      this.loaded = true;
      this.error = null;
      return true;
    } catch (err) {
      if (generation === this.#generation) this.error = toApiError(err);
      return false;
    } finally {
      if (generation === this.#generation) this.loading = false;
    }
  }

  /** A value known from another call (the answer to a start or a cancel): newer than any
   * fetch under way, whose late answer is dropped instead of putting the older value back. */
  set(value: T): void {
    this.#replace(value, true);
  }

  /** Start over with `initial` (another object is being shown); a late answer is dropped. */
  reset(initial: T): void {
    this.#replace(initial, false);
  }

  #replace(value: T, loaded: boolean): void {
    this.#generation += 1;
    this.value = value;
    this.loading = false;
    this.loaded = loaded;
    this.error = null;
  }

  #required(): () => Promise<T> {
    if (!this.#fetch) throw new Error('this Loadable has no fetch of its own: use run()');
    return this.#fetch;
  }
}

/** A list the backend answers a page at a time: "Show more" asks for `page` more. */
export class PagedList<T> extends Loadable<T[]> {
  /** How many rows are asked for. */
  limit = $state(0);
  readonly page: number;

  constructor(fetch: (limit: number) => Promise<T[]>, page: number) {
    const self: { list?: PagedList<T> } = {};
    super(() => fetch(self.list?.limit ?? page), []);
    self.list = this;
    this.limit = page;
    this.page = page;
  }

  /** Whether the backend may have more than shown (the last page came back full). */
  get hasMore(): boolean {
    return this.value.length >= this.limit;
  }

  showMore(): Promise<boolean> {
    this.limit += this.page;
    return this.load();
  }
}
