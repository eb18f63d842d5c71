// The answer to "a job is running, close anyway?" (close_app): keep the job running in the
// background or stop it; the app then closes the window.
import { type ApiError, type Invoke, invoke } from '../api';
import { Loadable } from './loadable.svelte';

export class CloseAppStore {
  readonly #close = new Loadable<null>(null, null);
  #call: Invoke;

  constructor(call: Invoke = invoke) {
    this.#call = call;
  }

  get sending(): boolean {
    return this.#close.loading;
  }

  /** The backend refused or did not answer; the window stays open. */
  get error(): ApiError | null {
    return this.#close.error;
  }

  /** The dialog opens again: the last refusal goes. */
  reset(): void {
    this.#close.reset(null);
  }

  /** Close the app; true when the backend took the answer (it closes the window then). */
  async close(keepRunning: boolean): Promise<boolean> {
    if (this.sending) return false;
    return this.#close.run(async () => {
      await this.#call('close_app', { keep_running: keepRunning });
      return null;
    });
  }
}
