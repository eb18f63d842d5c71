// What a run would be before it starts: the backend's preview_training_run for the chosen
// profile, dataset, epochs and overrides. Asked again (after a pause while the person types)
// whenever one of them changes; the first answer for a dataset takes seconds (the tokens are
// counted by a worker), later ones come from the backend's cache.
import { untrack } from 'svelte';
import { type Invoke, invoke } from '../api';
import type { RunPreview, RunPreviewRequest } from '../contracts.gen';
import { t } from '../i18n';
import { Loadable } from './loadable.svelte';

export class RunPreviewStore {
  readonly result = new Loadable<RunPreview | null>(null, null);
  readonly delayMs: number;
  #call: Invoke;
  /** The request (and what else it depends on) the view wants, as a key. */
  #wanted: string | null = $state(null);
  /** The key whose answer `result` holds; the key whose call failed. */
  #answered: string | null = $state(null);
  #failed: string | null = $state(null);
  /** The key of the call under way (not asked twice). */
  #asking: string | null = null;

  constructor(call: Invoke = invoke, delayMs = 400) {
    this.#call = call;
    this.delayMs = delayMs;
  }

  /** Want the preview of `request` (null: nothing chosen). `context` is what else makes an
   * answer stale (the selected profile's saved values). Called from an `$effect`; the returned
   * cleanup drops a call not made yet, so typing asks only once it pauses. */
  want(request: RunPreviewRequest | null, context: unknown = null): () => void {
    const key = request ? JSON.stringify([request, context]) : null;
    return untrack(() => {
      this.#wanted = key;
      if (!request || key === this.#answered || key === this.#asking) return () => {};
      const timer = setTimeout(() => void this.#fetch(request, key as string), this.delayMs);
      return () => clearTimeout(timer);
    });
  }

  async #fetch(request: RunPreviewRequest, key: string): Promise<void> {
    const call = this.#call;
    this.#asking = key;
    const taken = await this.result.run(() => call('preview_training_run', request));
    if (this.#asking === key) this.#asking = null;
    if (taken) {
      this.#answered = key;
      this.#failed = null;
    } else if (this.result.error) {
      this.#failed = key;
    }
  }

  /** The preview of what is chosen now; null while it is being asked or nothing is chosen. */
  get current(): RunPreview | null {
    return this.#wanted !== null && this.#wanted === this.#answered ? this.result.value : null;
  }

  /** Waiting for the preview of what is chosen now (the pause, then the call). */
  get pending(): boolean {
    return this.#wanted !== null && this.#wanted !== this.#answered && this.#wanted !== this.#failed;
  }

  /** The failure of the preview of what is chosen now. */
  get error() {
    return this.#wanted !== null && this.#wanted === this.#failed ? this.result.error : null;
  }

  /** Why the chosen run cannot start, per the backend; null when it can (or not known yet). */
  get refusal(): string | null {
    const preview = this.current;
    return preview && !preview.can_start ? preview.reason || t('preview.cannotStart') : null;
  }

  /** Ask again (after a failure). */
  retry(request: RunPreviewRequest | null, context: unknown = null): void {
    if (!request) return;
    void this.#fetch(request, JSON.stringify([request, context]));
  }
}
