// One training run as the backend reports it, shared by every view that shows it (the panel,
// the run's page, a flow run's TRAIN step): its PULSE snapshot, its loss points (fetched
// incrementally) and, once it ended, its details. Views follow it through the shared poller, so
// it is fetched once per tick however many show it.
import { type ApiError, type Invoke, toApiError } from '../api';
import { type MetricPoint, TERMINAL_STATES, type TrainingRunDetails, type TrainingStatus } from '../contracts.gen';
import { poller } from '../poller';
import { shared } from './shared';

export type JobState = TrainingStatus['status'];

export const POLL_INTERVAL_MS = 1000;

export function isTerminal(state: JobState): boolean {
  return (TERMINAL_STATES as readonly JobState[]).includes(state);
}

/** A snapshot of a job that is still going (queued, preparing, running, exporting). */
export function isActive(status: TrainingStatus | null | undefined): boolean {
  return !!status && status.status !== 'idle' && !isTerminal(status.status);
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

export class LiveTraining {
  readonly id: string;
  status: TrainingStatus | null = $state.raw(null);
  points: MetricPoint[] = $state.raw([]);
  /** The run's details (result, samples, artifacts): once it ended, or when a page opened it. */
  details: TrainingRunDetails | null = $state.raw(null);
  /** The last poll failed (the job may still be running); cleared by the next good poll. */
  error: ApiError | null = $state.raw(null);

  #call: Invoke;
  #inflight: Promise<void> | null = null;
  #pointFollowers = 0;
  #listeners = new Set<(status: TrainingStatus) => void>();

  constructor(id: string, call: Invoke) {
    this.id = id;
    this.#call = call;
  }

  get active(): boolean {
    return isActive(this.status);
  }

  /** A snapshot that came another way (the start, a cancel, the active job on a reload). */
  accept(status: TrainingStatus): Promise<void> {
    return this.#take(status);
  }

  /** The status, then (with `points`) the metrics since the last known step. A poll asked for
   * while one is under way joins it. */
  poll(points = true): Promise<void> {
    this.#inflight ??= this.#poll(points).finally(() => {
      this.#inflight = null;
    });
    return this.#inflight;
  }

  /** Everything about the run at once (its page opens with this); throws what the backend said. */
  async load(): Promise<void> {
    const details = await this.#call('get_training_run', { training_id: this.id });
    this.points = mergePoints([], details.metrics);
    this.details = details;
    this.status = details.status;
  }

  /** Poll every tick while the run is active, for as long as the caller follows (call the
   * returned function to stop). `points`: the caller shows the loss curve too. */
  follow({ points }: { points: boolean }): () => void {
    if (points) this.#pointFollowers += 1;
    const stop = poller.follow(
      this,
      () => (this.active ? this.poll(this.#pointFollowers > 0) : undefined),
      POLL_INTERVAL_MS,
    );
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      if (points) this.#pointFollowers -= 1;
      stop();
    };
  }

  /** Called once when the run, seen active, reaches done / error / cancelled / interrupted. */
  onFinish(listener: (status: TrainingStatus) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async #poll(points: boolean): Promise<void> {
    try {
      const status = await this.#call('get_training_status', { training_id: this.id });
      if (points) {
        const since = this.points.length ? this.points[this.points.length - 1].step : 0;
        const metrics = await this.#call('get_training_metrics', { training_id: this.id, since_step: since });
        this.points = mergePoints(this.points, metrics.points);
      }
      this.error = null;
      await this.#take(status);
    } catch (err) {
      this.error = toApiError(err);
    }
  }

  async #take(status: TrainingStatus): Promise<void> {
    const wasActive = this.active;
    this.status = status;
    if (wasActive && isTerminal(status.status)) await this.#ended(status);
  }

  async #ended(status: TrainingStatus): Promise<void> {
    try {
      const details = await this.#call('get_training_run', { training_id: this.id });
      this.details = details;
      this.points = mergePoints(this.points, details.metrics);
    } catch (err) {
      this.error = toApiError(err);
    }
    for (const listener of this.#listeners) listener(status);
  }
}

/** The LiveTraining of `trainingId` on this backend: the same object for every view. */
export function liveTraining(call: Invoke, trainingId: string): LiveTraining {
  return shared(call, `training:${trainingId}`, () => new LiveTraining(trainingId, call));
}
