// The base models a profile can train (list_base_models), and the window's dialog to pick a
// .gguf file or a safetensors folder (pick_base_model).
import { type Invoke, invoke } from '../api';
import type { BaseModelList } from '../contracts.gen';
import { Loadable } from './loadable.svelte';

export class BasesStore {
  readonly list: Loadable<BaseModelList | null>;
  /** The dialog's last try (its error, when the window has none). */
  readonly browsing = new Loadable<null>(null, null);
  #call: Invoke;

  constructor(call: Invoke = invoke) {
    this.#call = call;
    this.list = new Loadable(() => call('list_base_models'), null);
  }

  /** Ask the window for a file (or a folder); `onpicked` gets the path the person chose. */
  async browse(folder: boolean, onpicked: (path: string) => void): Promise<void> {
    await this.browsing.run(async () => {
      const picked = await this.#call('pick_base_model', { folder });
      if (picked.path) onpicked(picked.path);
      return null;
    });
  }
}
