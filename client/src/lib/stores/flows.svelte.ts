// Flows: the flow files the backend found, the flow runs (running first, then newest first),
// and one flow run followed live with the training status of its running TRAIN steps.
import { type ApiError, type Invoke, invoke, toApiError } from '../api';
import { FLOW_TERMINAL_STATES, type FlowInfo, type FlowRun, type FlowStepRun, type TrainingStatus } from '../contracts.gen';
import { Loadable } from './loadable.svelte';
import { isTerminal } from './training.svelte';

export const FLOW_POLL_MS = 1000;
export const RUNS_PAGE = 20;

export type FlowRunState = FlowRun['status'];
export type StepState = FlowStepRun['status'];
export type InputValue = string | number | boolean;

/** A flow run that has not reached done / error / cancelled / interrupted. */
export function isFlowRunning(run: FlowRun | null): boolean {
  return !!run && !(FLOW_TERMINAL_STATES as readonly FlowRunState[]).includes(run.status);
}

/** The inputs a person typed, as the backend wants them: a number stays a number when the
 * default is one and the text reads as one; booleans stay booleans. */
export function coerceInputs(
  defaults: Record<string, InputValue | null>,
  values: Record<string, InputValue>,
): Record<string, InputValue> {
  const out: Record<string, InputValue> = {};
  for (const [name, value] of Object.entries(values)) {
    if (typeof value === 'string' && typeof defaults[name] === 'number') {
      const trimmed = value.trim();
      out[name] = trimmed !== '' && Number.isFinite(Number(trimmed)) ? Number(trimmed) : value;
    } else {
      out[name] = value;
    }
  }
  return out;
}

/** The Flows view's lists: flow files and flow runs. */
export class FlowsStore {
  readonly flows: Loadable<FlowInfo[]>;
  runs: FlowRun[] = $state.raw([]);
  runsLoaded = $state(false);
  runsLoading = $state(false);
  runsError: ApiError | null = $state.raw(null);
  runsLimit = $state(RUNS_PAGE);
  /** The flow being started, and the refusal of the last start per flow id. */
  starting: string | null = $state(null);
  startErrors: Record<string, ApiError> = $state.raw({});

  #call: Invoke;
  #generation = 0;

  constructor(call: Invoke = invoke) {
    this.#call = call;
    this.flows = new Loadable(() => call('list_flows'), []);
  }

  get valid(): FlowInfo[] {
    return this.flows.value.filter((f) => !f.error);
  }

  get broken(): FlowInfo[] {
    return this.flows.value.filter((f) => !!f.error);
  }

  get anyRunning(): boolean {
    return this.runs.some(isFlowRunning);
  }

  get hasMoreRuns(): boolean {
    return this.runs.length >= this.runsLimit;
  }

  load(): Promise<void> {
    return Promise.all([this.flows.load(), this.loadRuns()]).then(() => undefined);
  }

  async loadRuns(): Promise<void> {
    const generation = ++this.#generation;
    this.runsLoading = true;
    try {
      const runs = await this.#call('get_flow_runs', { limit: this.runsLimit });
      if (generation !== this.#generation) return;
      this.runs = runs;
      this.runsLoaded = true;
      this.runsError = null;
    } catch (err) {
      if (generation === this.#generation) this.runsError = toApiError(err);
    } finally {
      if (generation === this.#generation) this.runsLoading = false;
    }
  }

  showMoreRuns(): Promise<void> {
    this.runsLimit += RUNS_PAGE;
    return this.loadRuns();
  }

  /** Start a flow; the new run's id, or null when the backend refused (see startErrors). */
  async run(flowId: string, inputs?: Record<string, InputValue>): Promise<string | null> {
    if (this.starting) return null;
    this.starting = flowId;
    const { [flowId]: _previous, ...others } = this.startErrors;
    this.startErrors = others;
    try {
      const request = inputs && Object.keys(inputs).length ? { flow_id: flowId, inputs } : { flow_id: flowId };
      const { flow_run_id } = await this.#call('run_flow', request);
      void this.loadRuns();
      return flow_run_id;
    } catch (err) {
      this.startErrors = { ...this.startErrors, [flowId]: toApiError(err) };
      return null;
    } finally {
      this.starting = null;
    }
  }

  /** Refresh the runs every `intervalMs` while one is running; returns the stop function. */
  watch(intervalMs = FLOW_POLL_MS): () => void {
    const timer = setInterval(() => {
      if (this.anyRunning && !this.runsLoading) void this.loadRuns();
    }, intervalMs);
    return () => clearInterval(timer);
  }
}

/** One flow run, followed live; running TRAIN steps bring their training's PULSE snapshot. */
export class FlowRunStore {
  run: FlowRun | null = $state.raw(null);
  error: ApiError | null = $state.raw(null);
  pollError: ApiError | null = $state.raw(null);
  loading = $state(false);
  cancelling = $state(false);
  /** Cancel was accepted; the run stops at the next safe point. */
  cancelRequested = $state(false);
  cancelError: ApiError | null = $state.raw(null);
  /** training_id -> its last snapshot, for TRAIN steps. */
  trainings: Record<string, TrainingStatus> = $state.raw({});

  #call: Invoke;
  #id: string | null = null;
  #polling = false;

  constructor(call: Invoke = invoke) {
    this.#call = call;
  }

  get running(): boolean {
    return isFlowRunning(this.run);
  }

  async open(flowRunId: string): Promise<void> {
    this.#id = flowRunId;
    this.loading = true;
    this.error = null;
    this.run = null;
    this.trainings = {};
    this.cancelRequested = false;
    try {
      const run = await this.#call('get_flow_run', { flow_run_id: flowRunId });
      if (this.#id !== flowRunId) return;
      this.run = run;
      await this.#refreshTrainings(run);
    } catch (err) {
      if (this.#id === flowRunId) this.error = toApiError(err);
    } finally {
      if (this.#id === flowRunId) this.loading = false;
    }
  }

  async poll(): Promise<void> {
    const id = this.#id;
    if (!id || this.#polling) return;
    this.#polling = true;
    try {
      const run = await this.#call('get_flow_run', { flow_run_id: id });
      if (this.#id !== id) return;
      this.run = run;
      this.pollError = null;
      await this.#refreshTrainings(run);
    } catch (err) {
      if (this.#id === id) this.pollError = toApiError(err);
    } finally {
      this.#polling = false;
    }
  }

  async cancel(): Promise<void> {
    const id = this.#id;
    if (!id || this.cancelling) return;
    this.cancelling = true;
    this.cancelError = null;
    try {
      const run = await this.#call('cancel_flow_run', { flow_run_id: id });
      if (this.#id === id) {
        this.run = run;
        this.cancelRequested = true;
      }
    } catch (err) {
      this.cancelError = toApiError(err);
    } finally {
      this.cancelling = false;
    }
  }

  watch(intervalMs = FLOW_POLL_MS): () => void {
    const timer = setInterval(() => {
      if (this.running) void this.poll();
    }, intervalMs);
    return () => clearInterval(timer);
  }

  /** The snapshot of each TRAIN step that is running, or whose last snapshot had not ended. */
  async #refreshTrainings(run: FlowRun): Promise<void> {
    const wanted = run.steps.flatMap((s) => {
      if (s.cmd !== 'TRAIN' || !s.training_id) return [];
      const known = this.trainings[s.training_id];
      return s.status === 'running' || !known || !isTerminal(known.status) ? [s.training_id] : [];
    });
    if (wanted.length === 0) return;
    const answers = await Promise.all(
      wanted.map((id) => this.#call('get_training_status', { training_id: id }).catch(() => null)),
    );
    const next = { ...this.trainings };
    for (const status of answers) if (status) next[status.training_id] = status;
    this.trainings = next;
  }
}

/** A loss in a one-line status: 0.5234 -> "0.52", 0.01234 -> "0.012". */
export function compactLoss(loss: number | null | undefined): string | null {
  if (loss == null || !Number.isFinite(loss)) return null;
  return Math.abs(loss) >= 0.1 ? loss.toFixed(2) : loss.toPrecision(2);
}

/** The app-wide lists: coming back to Flows shows the last ones while they refresh. */
export const flows = new FlowsStore();
