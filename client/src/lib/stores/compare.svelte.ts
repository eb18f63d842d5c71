// The compare page's runs (compare_runs): 2 to 8 runs side by side.
import { type Invoke, invoke } from '../api';
import type { CompareRequest, CompareResult } from '../contracts.gen';
import { Loadable } from './loadable.svelte';

export class CompareStore {
  readonly result = new Loadable<CompareResult | null>(null, null);
  #call: Invoke;
  #ids: string[] = [];

  constructor(call: Invoke = invoke) {
    this.#call = call;
  }

  /** Show these runs: what was shown goes, and they are asked for (when there are 2 or more). */
  open(ids: string[]): void {
    this.#ids = ids;
    this.result.reset(null);
    this.load();
  }

  /** Ask again (after a failure). */
  load(): void {
    // The request type spells out 2 to 8 ids; the route may hold more: the backend says so.
    const trainingIds = this.#ids as CompareRequest['training_ids'];
    if (trainingIds.length >= 2) void this.result.run(() => this.#call('compare_runs', { training_ids: trainingIds }));
  }
}
