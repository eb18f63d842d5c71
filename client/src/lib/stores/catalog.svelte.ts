// What can be trained: the training profiles and datasets the backend knows, and which of
// each the person picked.
import { type Invoke, invoke } from '../api';
import type { DatasetInfo, TrainingProfile } from '../contracts.gen';
import { Loadable } from './loadable.svelte';

export class CatalogStore {
  readonly profiles: Loadable<TrainingProfile[]>;
  readonly datasets: Loadable<DatasetInfo[]>;

  #profileId: string | null = $state(null);
  #datasetId: string | null = $state(null);

  constructor(call: Invoke = invoke) {
    this.profiles = new Loadable(() => call<TrainingProfile[]>('list_training_profiles'), []);
    this.datasets = new Loadable(() => call<DatasetInfo[]>('list_datasets'), []);
  }

  /** The picked profile, or the first one until the person picks. */
  get selectedProfile(): TrainingProfile | null {
    const list = this.profiles.value;
    return list.find((p) => p.id === this.#profileId) ?? list[0] ?? null;
  }

  /** The picked dataset, or the first valid one until the person picks. */
  get selectedDataset(): DatasetInfo | null {
    const list = this.datasets.value;
    return list.find((d) => d.id === this.#datasetId) ?? list.find((d) => d.valid) ?? list[0] ?? null;
  }

  load(): Promise<void> {
    return Promise.all([this.profiles.load(), this.datasets.load()]).then(() => undefined);
  }

  selectProfile(id: string): void {
    this.#profileId = id;
  }

  selectDataset(id: string): void {
    this.#datasetId = id;
  }
}

/** The app-wide catalog: views share it, so coming back to Training shows the last lists. */
export const catalog = new CatalogStore();
