// A dataset's calls from the dataset card: its first rows (preview_dataset), rename and delete
// of the person's own (update_dataset, delete_dataset), and adding one: a file's content
// (upload_dataset), a path on this computer (import_dataset), or the window's file dialog
// (pick_dataset_file). One object per card or form, so each shows its own progress and refusal.
import { type Invoke, invoke } from '../api';
import type { Ack, DatasetInfo, DatasetPreview } from '../contracts.gen';
import { Loadable } from './loadable.svelte';

/** The first rows of a dataset as the trainer reads them. */
export class DatasetPreviewStore {
  readonly preview = new Loadable<DatasetPreview | null>(null, null);
  #call: Invoke;

  constructor(call: Invoke = invoke) {
    this.#call = call;
  }

  load(id: string, limit: number): Promise<boolean> {
    return this.preview.run(() => this.#call('preview_dataset', { id, limit }));
  }
}

/** Rename (name and description) and delete one of the person's datasets. */
export class DatasetEdit {
  readonly saving = new Loadable<DatasetInfo | null>(null, null);
  readonly deleting = new Loadable<Ack | null>(null, null);
  #call: Invoke;

  constructor(call: Invoke = invoke) {
    this.#call = call;
  }

  /** The dataset as saved, or null when refused (see `saving.error`). */
  async rename(id: string, name: string, description: string): Promise<DatasetInfo | null> {
    if (this.saving.loading) return null;
    const ok = await this.saving.run(() => this.#call('update_dataset', { id, name, description }));
    return ok ? this.saving.value : null;
  }

  /** True when it is gone. */
  remove(id: string): Promise<boolean> {
    return this.deleting.run(() => this.#call('delete_dataset', { id }));
  }
}

/** What a new dataset is called: its id (a taken one is refused unless `replace`), name and
 * description. */
export interface DatasetNaming {
  id: string;
  name?: string;
  description?: string;
  replace?: boolean;
}

/** Adding a dataset: the added dataset, or the backend's refusal, in `added`. */
export class DatasetAdd {
  readonly added = new Loadable<DatasetInfo | null>(null, null);
  #call: Invoke;

  constructor(call: Invoke = invoke) {
    this.#call = call;
  }

  /** Send a file's content (a file chosen in the page or dropped on the card). */
  upload(filename: string, content: string, naming: DatasetNaming): Promise<boolean> {
    return this.added.run(() => this.#call('upload_dataset', { filename, content, ...naming }));
  }

  /** Import a file from a path on this computer. */
  importPath(path: string, naming: DatasetNaming): Promise<boolean> {
    return this.added.run(() => this.#call('import_dataset', { path, ...naming }));
  }

  /** The path picked in the window's file dialog; null when none was picked or there is no
   * dialog (an older backend, a closed window: the text field still works). */
  async pickFile(): Promise<string | null> {
    try {
      return (await this.#call('pick_dataset_file')).path ?? null;
    } catch {
      return null;
    }
  }
}
