// The machine's one training slot: which job trains now (started here, from the command line or
// by a flow, in any process), and which wait in line. Checked in the background through the
// shared poller; the sidebar shows it on every page and the Flows view says when a TRAIN step
// would wait.
import type { ApiError, Invoke } from '../api';
import { invoke } from '../api';
import type { JobSlotInfo, TrainingStatus } from '../contracts.gen';
import { poller } from '../poller';
import { Loadable } from './loadable.svelte';

/** A calm rate: the slot changes when a job starts or ends, not every second. */
export const JOB_SLOT_CHECK_MS = 3000;

export class JobSlotStore {
  readonly #slot: Loadable<JobSlotInfo | null>;

  constructor(call: Invoke = invoke) {
    this.#slot = new Loadable(() => call('get_job_slot'), null);
  }

  get value(): JobSlotInfo | null {
    return this.#slot.value;
  }

  /** The job that holds the slot now, or null. */
  get running(): TrainingStatus | null {
    return this.#slot.value?.running ?? null;
  }

  /** The running job was started by this app (else: another process, e.g. the command line). */
  get here(): boolean {
    return this.#slot.value?.here ?? false;
  }

  /** Where the running job was started (window, browser, cli, app), when the slot says. */
  get origin(): string | null {
    return this.#slot.value?.origin ?? null;
  }

  get queued(): TrainingStatus[] {
    return this.#slot.value?.queued ?? [];
  }

  get error(): ApiError | null {
    return this.#slot.error;
  }

  check(): Promise<boolean> {
    return this.#slot.refresh();
  }

  /** Check now and every `intervalMs`; returns the stop function. */
  watch(intervalMs = JOB_SLOT_CHECK_MS): () => void {
    void this.check();
    return poller.follow(this, () => this.check(), intervalMs);
  }
}

/** The app-wide slot, followed by the sidebar. */
export const jobSlot = new JobSlotStore();
