// What can be trained: the training profiles and datasets the backend knows, and which of
// each the person picked.
import { type Invoke, invoke } from '../api';
import type { DatasetInfo, TrainingProfile } from '../contracts.gen';
import { localized } from '../i18n';
import { Loadable } from './loadable.svelte';

export class CatalogStore {
  readonly profiles: Loadable<TrainingProfile[]>;
  readonly datasets: Loadable<DatasetInfo[]>;
  /** The backend the lists come from (the dataset card's upload, rename, delete and preview). */
  readonly call: Invoke;

  #profileId: string | null = $state(null);
  #datasetId: string | null = $state(null);

  constructor(call: Invoke = invoke) {
    this.call = call;
    // Shipped entries are named in the window's language; the person's own as they wrote them.
    this.profiles = new Loadable(async () => (await call('list_training_profiles')).map((p) => localized('profile', p)), []);
    this.datasets = new Loadable(async () => (await call('list_datasets')).map((d) => localized('dataset', d)), []);
  }

  /** The profile the person picked (none until they pick: a training is a deliberate choice). */
  get selectedProfile(): TrainingProfile | null {
    return this.profiles.value.find((p) => p.id === this.#profileId) ?? null;
  }

  /** The dataset the person picked; an invalid one can't be picked. */
  get selectedDataset(): DatasetInfo | null {
    return this.datasets.value.find((d) => d.id === this.#datasetId && d.valid) ?? null;
  }

  load(): Promise<void> {
    return Promise.all([this.profiles.load(), this.datasets.load()]).then(() => undefined);
  }

  selectProfile(id: string): void {
    this.#profileId = id;
  }

  /** null: none (the picked one was deleted). */
  selectDataset(id: string | null): void {
    this.#datasetId = id;
  }
}

/** The app-wide catalog: views share it, so coming back to Training shows the last lists. */
export const catalog = new CatalogStore();
