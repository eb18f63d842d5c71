// A training job as a view follows it: which run (a LiveTraining, shared with every other view
// of that run), and the calls a person makes on it: start, open, cancel. The panel uses the
// app-wide `trainingJob`; a run's page makes its own (and shares the run's live state).
import { type ApiError, type Invoke, invoke } from '../api';
import type {
  MetricPoint,
  StartTrainingRequest,
  StartTrainingResult,
  TrainingRunDetails,
  TrainingStatus,
} from '../contracts.gen';
import { isActive, type LiveTraining, liveTraining } from './liveTraining.svelte';
import { Loadable } from './loadable.svelte';

export {
  isActive,
  isTerminal,
  type JobState,
  mergePoints,
  POLL_INTERVAL_MS,
} from './liveTraining.svelte';

/** The snapshot of a job the backend just accepted, until its first poll answers. */
export function preparing(trainingId: string, request: StartTrainingRequest): TrainingStatus {
  return {
    training_id: trainingId,
    status: request.queue ? 'queued' : 'preparing',
    profile_id: request.profile_id,
    dataset_id: request.dataset_id,
    flow_run_id: null,
    queue_position: null,
    resumed_from: request.resume_from ?? null,
    from_run: request.from_run ?? null,
    can_resume: false,
    epoch: 0,
    total_epochs: request.epochs ?? 0,
    step: 0,
    total_steps: 0,
    loss: null,
    eval_loss: null,
    pref_accuracy: null,
    reward_margin: null,
    tokens_per_s: null,
    eta_s: null,
    message: '',
    error: null,
    started_at: null,
    finished_at: null,
    stage: null,
    stage_done: null,
    stage_total: null,
    estimate: null,
  };
}

/** Where a view keeps the id of the run it shows, so that a reload shows that run again. */
export interface RunMemory {
  get(): string | null;
  set(trainingId: string | null): void;
}

/** A RunMemory in the tab's sessionStorage: it survives a reload, not a new tab or window. */
export function sessionMemory(key: string): RunMemory {
  const storage = (): Storage | null => {
    try {
      return typeof sessionStorage === 'undefined' ? null : sessionStorage;
    } catch {
      return null; // storage refused (a locked-down browser): nothing is remembered
    }
  };
  return {
    get: () => storage()?.getItem(key) ?? null,
    set: (id) => (id ? storage()?.setItem(key, id) : storage()?.removeItem(key)),
  };
}

export class TrainingJob {
  #call: Invoke;
  #memory: RunMemory | null;
  #live: LiveTraining | null = $state.raw(null);
  readonly #found = new Loadable<TrainingStatus | null>(null, null);
  readonly #start = new Loadable<StartTrainingResult | null>(null, null);
  readonly #open = new Loadable<TrainingRunDetails | null>(null, null);
  readonly #cancel = new Loadable<TrainingStatus | null>(null, null);
  readonly #resume = new Loadable<StartTrainingResult | null>(null, null);
  /** The last start request (to queue it when it was refused with job_running). */
  #lastStart: StartTrainingRequest | null = null;
  #listeners = new Set<(status: TrainingStatus) => void>();
  #unlisten: (() => void) | null = null;

  /** `memory`: remember the run shown, so that `resume` shows it again after a reload. */
  constructor(call: Invoke = invoke, memory: RunMemory | null = null) {
    this.#call = call;
    this.#memory = memory;
  }

  get id(): string | null {
    return this.#live?.id ?? null;
  }

  /** The last snapshot; null before a job was started or found. */
  get status(): TrainingStatus | null {
    return this.#live?.status ?? null;
  }

  get points(): MetricPoint[] {
    return this.#live?.points ?? [];
  }

  /** The run's details; loaded when it is opened and again when it ends. */
  get details(): TrainingRunDetails | null {
    return this.#live?.details ?? null;
  }

  /** Starting or opening failed; the backend's message. */
  get error(): ApiError | null {
    return this.#start.error ?? this.#open.error;
  }

  /** Cancelling failed. */
  get cancelError(): ApiError | null {
    return this.#cancel.error;
  }

  /** The last poll failed (the job may still be running); cleared by the next good poll. */
  get pollError(): ApiError | null {
    return this.#live?.error ?? this.#found.error;
  }

  get starting(): boolean {
    return this.#start.loading;
  }

  get cancelling(): boolean {
    return this.#cancel.loading;
  }

  /** The backend this job talks to (its result card uses the same one). */
  get call(): Invoke {
    return this.#call;
  }

  get active(): boolean {
    return isActive(this.status);
  }

  /** Called once each time a followed job reaches done / error / cancelled / interrupted. */
  onFinish(listener: (status: TrainingStatus) => void): () => void {
    this.#listeners.add(listener);
    this.#relisten();
    return () => {
      this.#listeners.delete(listener);
      this.#relisten();
    };
  }

  /** Pick up the job that is running now (after a reload or reopening the window); with none,
   * the run this job showed before the reload (a finished run keeps its result on screen). */
  async resume(): Promise<void> {
    const call = this.#call;
    if (!(await this.#found.run(() => call('get_active_training')))) return;
    const status = this.#found.value;
    if (!status) return this.#reopen();
    await this.adopt(status);
  }

  /** Follow the run `status` is a snapshot of (a queued run of this app, found after a reload). */
  async adopt(status: TrainingStatus): Promise<void> {
    await this.#show(liveTraining(this.#call, status.training_id)).accept(status);
    await this.poll();
  }

  async #reopen(): Promise<void> {
    const remembered = this.#memory?.get();
    if (!remembered || remembered === this.id) return;
    const live = liveTraining(this.#call, remembered);
    try {
      if (!live.status) await live.load();
    } catch {
      this.#memory?.set(null); // gone (another data folder, say): nothing to show
      return;
    }
    this.#show(live);
  }

  /** Start a job and follow it. Throws nothing: a refusal lands in `error`. */
  async start(request: StartTrainingRequest): Promise<boolean> {
    if (this.starting || this.active) return false;
    this.#lastStart = request;
    const call = this.#call;
    const result = await this.#start.run(async () => {
      const { training_id } = await call('start_training_job', request);
      // Followed at once: the job is active from here, so Start stays disabled.
      await this.#show(liveTraining(call, training_id)).accept(preparing(training_id, request));
      return { training_id };
    });
    if (result) await this.poll();
    return result;
  }

  /** The last start was refused because another job holds the machine: it can wait in line. */
  get canQueue(): boolean {
    return this.#start.error?.code === 'job_running' && this.#lastStart !== null && !this.#lastStart.queue;
  }

  /** Start the refused request again, waiting in line behind the running job. */
  queue(): Promise<boolean> {
    const request = this.#lastStart;
    if (!request || !this.canQueue) return Promise.resolve(false);
    return this.start({ ...request, queue: true });
  }

  /** Continue `trainingId` from its last checkpoint (to `epochs`, when given; in line behind a
   * running job, with `queue`) and follow the new run. Throws nothing: a refusal lands in
   * `resumeError`. The new run's id, or null. */
  async resumeRun(trainingId: string, { epochs = null, queue = false }: { epochs?: number | null; queue?: boolean } = {}): Promise<string | null> {
    if (this.resuming || this.starting || this.active) return null;
    const call = this.#call;
    const ok = await this.#resume.run(async () => {
      const request = { training_id: trainingId, queue, ...(epochs ? { epochs } : {}) };
      const result = await call('resume_training_job', request);
      // Its profile and dataset are the resumed run's: the first poll says which.
      const snapshot = preparing(result.training_id, { profile_id: '', dataset_id: '', epochs, resume_from: trainingId });
      await this.#show(liveTraining(call, result.training_id)).accept({ ...snapshot, profile_id: null, dataset_id: null });
      return result;
    });
    if (ok) await this.poll();
    return ok ? (this.#resume.value?.training_id ?? null) : null;
  }

  get resuming(): boolean {
    return this.#resume.loading;
  }

  /** Resuming was refused; the backend's message. */
  get resumeError(): ApiError | null {
    return this.#resume.error;
  }

  /** Open a run by id: its details, metrics and status; polling continues while it is active. */
  async open(trainingId: string): Promise<void> {
    if (trainingId !== this.id) this.#resume.reset(null);
    const live = this.#show(liveTraining(this.#call, trainingId));
    await this.#open.run(async () => {
      await live.load();
      return live.details;
    });
  }

  /** One poll: status, then the metrics since the last known step. */
  poll(): Promise<void> {
    return this.#live?.poll() ?? Promise.resolve();
  }

  /** Ask the backend to stop the job; the snapshot then says cancelled (or still stopping). */
  async cancel(): Promise<void> {
    const live = this.#live;
    if (!live || this.cancelling) return;
    const call = this.#call;
    await this.#cancel.run(async () => {
      const status = await call('cancel_training_job', { training_id: live.id });
      await live.accept(status);
      return status;
    });
  }

  /** Poll about once a second while the job is active, shared with every other view of the
   * run; returns the stop function. */
  watch(): () => void {
    return this.#live?.follow({ points: true }) ?? (() => {});
  }

  #show(live: LiveTraining): LiveTraining {
    if (live !== this.#live) {
      this.#live = live;
      this.#memory?.set(live.id);
      this.#cancel.reset(null);
      this.#relisten();
    }
    return live;
  }

  /** Pass the followed run's end on to this job's listeners (only while it has some). */
  #relisten(): void {
    this.#unlisten?.();
    this.#unlisten = null;
    const live = this.#live;
    if (live && this.#listeners.size > 0) {
      this.#unlisten = live.onFinish((status) => {
        for (const listener of this.#listeners) listener(status);
      });
    }
  }
}

/** The app-wide job: the Training view and a run's page share it, so the live state survives
 * switching views. */
export const trainingJob = new TrainingJob(invoke, sessionMemory('ollama-trainer.training.shown'));
/** A run queued from the Training view while `trainingJob` runs. */
export const queuedJob = new TrainingJob();
