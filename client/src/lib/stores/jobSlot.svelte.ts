// The machine's one training slot: which job trains now (started here, from the command line or
// by a flow, in any process), and which wait in line. Checked in the background through the
// shared poller; the sidebar shows it on every page and the Flows view says when a TRAIN step
// would wait. The running job's progress is read from its LiveTraining, the very object the run
// card polls, so the sidebar and the card never disagree.
import type { ApiError, Invoke } from '../api';
import { invoke } from '../api';
import type { JobSlotInfo, TrainingStatus } from '../contracts.gen';
import { poller } from '../poller';
import { type LiveTraining, liveTraining } from './liveTraining.svelte';
import { Loadable } from './loadable.svelte';

/** A calm rate: the slot changes when a job starts or ends, not every second. */
export const JOB_SLOT_CHECK_MS = 3000;

export class JobSlotStore {
  readonly #slot: Loadable<JobSlotInfo | null>;
  readonly #call: Invoke;
  #live: LiveTraining | null = $state.raw(null);

  constructor(call: Invoke = invoke) {
    this.#call = call;
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

  /** The queued runs this app started (after a reload, the Training view shows its own again). */
  get queuedHere(): TrainingStatus[] {
    const here = new Set(this.#slot.value?.queued_here ?? []);
    return this.queued.filter((status) => here.has(status.training_id));
  }

  /** The running job's live state (the object every view of that run shares) while it is
   * followed; null before. */
  get runningLive(): LiveTraining | null {
    const live = this.#live;
    return live && live.id === this.running?.training_id ? live : null;
  }

  /** Follow the running job's live state every tick, as its card does (one poll serves both),
   * and check the slot again the moment it ends; returns the stop function. */
  followRunning(running: TrainingStatus): () => void {
    const live = liveTraining(this.#call, running.training_id);
    if (!live.status) void live.accept(running);
    this.#live = live;
    const stop = live.follow({ points: false });
    const unlisten = live.onFinish(() => void this.check());
    return () => {
      stop();
      unlisten();
      if (this.#live === live) this.#live = null;
    };
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
