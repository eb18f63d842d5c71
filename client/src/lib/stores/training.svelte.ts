// One training run as the window follows it: its PULSE snapshot, its loss points (fetched
// incrementally), and, once it ended, its details (result, samples, artifacts). The panel
// uses the app-wide `trainingJob`; a run's page makes its own.
import { type ApiError, type Invoke, invoke, toApiError } from '../api';
import {
  type MetricPoint,
  type StartTrainingRequest,
  TERMINAL_STATES,
  type TrainingRunDetails,
  type TrainingStatus,
} from '../contracts.gen';

export type JobState = TrainingStatus['status'];

export const POLL_INTERVAL_MS = 1000;

export function isTerminal(state: JobState): boolean {
  return (TERMINAL_STATES as readonly JobState[]).includes(state);
}

/** A snapshot of a job that is still going (preparing, running, exporting). */
export function isActive(status: TrainingStatus | null | undefined): boolean {
  return !!status && status.status !== 'idle' && !isTerminal(status.status);
}

/** The snapshot of a job the backend just accepted, until its first poll answers. */
export function preparing(trainingId: string, request: StartTrainingRequest): TrainingStatus {
  return {
    training_id: trainingId,
    status: 'preparing',
    profile_id: request.profile_id,
    dataset_id: request.dataset_id,
    flow_run_id: null,
    queue_position: null,
    resumed_from: request.resume_from ?? null,
    can_resume: false,
    epoch: 0,
    total_epochs: request.epochs ?? 0,
    step: 0,
    total_steps: 0,
    loss: null,
    eval_loss: null,
    tokens_per_s: null,
    eta_s: null,
    message: '',
    error: null,
    started_at: null,
    finished_at: null,
  };
}

function pointKey(point: MetricPoint): string {
  return `${point.step}:${point.eval_loss != null ? 'eval' : 'train'}`;
}

/** Add `incoming` to `known`, one point per (step, kind), in step order (eval after train). */
export function mergePoints(known: MetricPoint[], incoming: MetricPoint[]): MetricPoint[] {
  if (incoming.length === 0) return known;
  const byKey = new Map(known.map((p) => [pointKey(p), p]));
  for (const point of incoming) byKey.set(pointKey(point), point);
  return [...byKey.values()].sort(
    (a, b) => a.step - b.step || Number(a.eval_loss != null) - Number(b.eval_loss != null),
  );
}

export class TrainingJob {
  /** The last snapshot; null before a job was started or found. */
  status: TrainingStatus | null = $state.raw(null);
  points: MetricPoint[] = $state.raw([]);
  /** The run's details; loaded when it is opened and again when it ends. */
  details: TrainingRunDetails | null = $state.raw(null);
  /** Starting or opening failed; the backend's message. */
  error: ApiError | null = $state.raw(null);
  /** Cancelling failed. */
  cancelError: ApiError | null = $state.raw(null);
  /** The last poll failed (the job may still be running); cleared by the next good poll. */
  pollError: ApiError | null = $state.raw(null);
  starting = $state(false);
  cancelling = $state(false);
  loading = $state(false);

  #call: Invoke;
  #polling = false;
  #listeners = new Set<(status: TrainingStatus) => void>();

  constructor(call: Invoke = invoke) {
    this.#call = call;
  }

  get id(): string | null {
    return this.status?.training_id ?? null;
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
    return () => this.#listeners.delete(listener);
  }

  /** Pick up the job that is running now (after a reload or reopening the window). */
  async resume(): Promise<void> {
    try {
      const status = await this.#call('get_active_training');
      if (!status) return;
      if (status.training_id !== this.id) this.#follow(status);
      else this.status = status;
      await this.poll();
    } catch (err) {
      this.pollError = toApiError(err);
    }
  }

  /** Start a job and follow it. Throws nothing: a refusal lands in `error`. */
  async start(request: StartTrainingRequest): Promise<boolean> {
    if (this.starting || this.active) return false;
    this.starting = true;
    this.error = null;
    try {
      const { training_id } = await this.#call('start_training_job', request);
      this.#follow(preparing(training_id, request));
      await this.poll();
      return true;
    } catch (err) {
      this.error = toApiError(err);
      return false;
    } finally {
      this.starting = false;
    }
  }

  /** Open a run by id: its details, metrics and status; polling continues while it is active. */
  async open(trainingId: string): Promise<void> {
    this.loading = true;
    this.error = null;
    try {
      const details = await this.#call('get_training_run', {
        training_id: trainingId,
      });
      this.status = details.status;
      this.points = mergePoints([], details.metrics);
      this.details = details;
    } catch (err) {
      this.error = toApiError(err);
    } finally {
      this.loading = false;
    }
  }

  /** One poll: status, then the metrics since the last known step. Overlapping calls are skipped. */
  async poll(): Promise<void> {
    const id = this.id;
    if (!id || this.#polling) return;
    this.#polling = true;
    const wasActive = this.active;
    try {
      const status = await this.#call('get_training_status', { training_id: id });
      if (this.id !== id) return;
      const since = this.points.length ? this.points[this.points.length - 1].step : 0;
      const metrics = await this.#call('get_training_metrics', {
        training_id: id,
        since_step: since,
      });
      if (this.id !== id) return;
      this.points = mergePoints(this.points, metrics.points);
      this.status = status;
      this.pollError = null;
      if (wasActive && isTerminal(status.status)) await this.#finished(status);
    } catch (err) {
      if (this.id === id) this.pollError = toApiError(err);
    } finally {
      this.#polling = false;
    }
  }

  /** Ask the backend to stop the job; the snapshot then says cancelled (or still stopping). */
  async cancel(): Promise<void> {
    const id = this.id;
    if (!id || this.cancelling) return;
    this.cancelling = true;
    this.cancelError = null;
    try {
      const status = await this.#call('cancel_training_job', { training_id: id });
      const wasActive = this.active;
      if (this.id === id) this.status = status;
      if (wasActive && isTerminal(status.status)) await this.#finished(status);
    } catch (err) {
      this.cancelError = toApiError(err);
    } finally {
      this.cancelling = false;
    }
  }

  /** Run `poll` every `intervalMs` while the job is active; returns the stop function. */
  watch(intervalMs = POLL_INTERVAL_MS): () => void {
    const timer = setInterval(() => {
      if (this.active) void this.poll();
    }, intervalMs);
    return () => clearInterval(timer);
  }

  #follow(status: TrainingStatus): void {
    this.status = status;
    this.points = [];
    this.details = null;
    this.pollError = null;
    this.cancelError = null;
  }

  async #finished(status: TrainingStatus): Promise<void> {
    try {
      const details = await this.#call('get_training_run', {
        training_id: status.training_id,
      });
      if (this.id === status.training_id) {
        this.details = details;
        if (details.metrics.length) this.points = mergePoints(this.points, details.metrics);
      }
    } catch (err) {
      this.pollError = toApiError(err);
    }
    for (const listener of this.#listeners) listener(status);
  }
}

/** The app-wide job: the Training view and a run's page share it, so the live state survives
 * switching views. */
export const trainingJob = new TrainingJob();
