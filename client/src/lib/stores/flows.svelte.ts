// Flows: the flow files the backend found, the flow runs (running first, then newest first),
// and one flow run followed live with the training status of its running TRAIN steps.
import { type ApiError, type Invoke, invoke, toApiError } from '../api';
import { FLOW_TERMINAL_STATES, type FlowInfo, type FlowRun, type FlowStepRun, type TrainingStatus } from '../contracts.gen';
import { localized, shippedText } from '../i18n';
import { poller } from '../poller';
import { isTerminal, type LiveTraining, liveTraining } from './liveTraining.svelte';
import { Loadable, PagedList } from './loadable.svelte';

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

/** A flow run's flow, named as its flow card names it (a shipped flow in the window's language). */
export function flowRunName(run: Pick<FlowRun, 'flow_id' | 'flow_name'>): string {
  return run.flow_name ? shippedText('flow', run.flow_id, 'name', run.flow_name) : run.flow_id;
}

/** The Flows view's lists: flow files and flow runs. */
export class FlowsStore {
  readonly flows: Loadable<FlowInfo[]>;
  readonly runs: PagedList<FlowRun>;
  /** The flow being started, and the refusal of the last start per flow id. */
  starting: string | null = $state(null);
  startErrors: Record<string, ApiError> = $state.raw({});

  #call: Invoke;

  constructor(call: Invoke = invoke) {
    this.#call = call;
    this.flows = new Loadable(async () => (await call('list_flows')).map((f) => localized('flow', f)), []);
    this.runs = new PagedList((limit) => call('get_flow_runs', { limit }), RUNS_PAGE);
  }

  get valid(): FlowInfo[] {
    return this.flows.value.filter((f) => !f.error);
  }

  get broken(): FlowInfo[] {
    return this.flows.value.filter((f) => !!f.error);
  }

  get anyRunning(): boolean {
    return this.runs.value.some(isFlowRunning);
  }

  load(): Promise<void> {
    return Promise.all([this.flows.load(), this.runs.load()]).then(() => undefined);
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
      void this.runs.refresh();
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
    return poller.follow(this.runs, () => (this.anyRunning ? this.runs.refresh() : undefined), intervalMs);
  }
}

/** One flow run, followed live; its TRAIN steps show their training's live snapshot (the same
 * LiveTraining the training views follow, so a training is fetched once per tick). */
export class FlowRunStore {
  /** Cancel was accepted; the run stops at the next safe point. */
  cancelRequested = $state(false);

  readonly #run = new Loadable<FlowRun | null>(null, null);
  readonly #cancel = new Loadable<FlowRun | null>(null, null);
  #call: Invoke;
  #id: string | null = null;
  #watchers = 0;
  /** training_id -> stop, for the running TRAIN steps while the run is watched. */
  #follows = new Map<string, () => void>();

  constructor(call: Invoke = invoke) {
    this.#call = call;
  }

  get run(): FlowRun | null {
    return this.#run.value;
  }

  /** Opening failed (nothing to show). */
  get error(): ApiError | null {
    return this.#run.loaded ? null : this.#run.error;
  }

  /** The last poll failed (what is shown may be old); cleared by the next good one. */
  get pollError(): ApiError | null {
    return this.#run.loaded ? this.#run.error : null;
  }

  get cancelling(): boolean {
    return this.#cancel.loading;
  }

  get cancelError(): ApiError | null {
    return this.#cancel.error;
  }

  get running(): boolean {
    return isFlowRunning(this.run);
  }

  /** The last snapshot of a TRAIN step's training, if one was fetched. */
  training(trainingId: string): TrainingStatus | null {
    return this.#live(trainingId).status;
  }

  async open(flowRunId: string): Promise<void> {
    this.#id = flowRunId;
    this.cancelRequested = false;
    this.#run.reset(null);
    this.#cancel.reset(null);
    if (await this.#run.run(() => this.#fetch(flowRunId))) await this.#trainings(false);
  }

  /** Fetch the run again, and the trainings of its TRAIN steps that are still going. */
  poll(): Promise<void> {
    return this.#poll(false);
  }

  async cancel(): Promise<void> {
    const id = this.#id;
    if (!id || this.cancelling) return;
    const ok = await this.#cancel.run(() => this.#call('cancel_flow_run', { flow_run_id: id }));
    if (ok && this.#id === id) {
      this.#run.set(this.#cancel.value);
      this.cancelRequested = true;
    }
  }

  /** Poll every `intervalMs` while the run is running, and follow its running TRAIN steps'
   * trainings through the shared poller; returns the stop function. */
  watch(intervalMs = FLOW_POLL_MS): () => void {
    const stop = poller.follow(this, () => (this.running ? this.#poll(true) : undefined), intervalMs);
    this.#watchers += 1;
    this.#syncFollows();
    return () => {
      stop();
      this.#watchers -= 1;
      this.#syncFollows();
    };
  }

  async #fetch(flowRunId: string): Promise<FlowRun> {
    const run = await this.#call('get_flow_run', { flow_run_id: flowRunId });
    // Each TRAIN step's LiveTraining exists before the view reads it: made while the view
    // renders, its state would not be tracked by that render.
    for (const step of run.steps) if (step.training_id) this.#live(step.training_id);
    return run;
  }

  async #poll(skipFollowed: boolean): Promise<void> {
    const id = this.#id;
    if (!id) return;
    if (await this.#run.run(() => this.#fetch(id), { keepError: true })) await this.#trainings(skipFollowed);
  }

  #live(trainingId: string): LiveTraining {
    return liveTraining(this.#call, trainingId);
  }

  /** The TRAIN steps' trainings: each one whose step runs or whose last snapshot had not ended
   * is fetched, but not one the shared poller follows already (`skipFollowed`) once it has a
   * snapshot. */
  async #trainings(skipFollowed: boolean): Promise<void> {
    this.#syncFollows();
    const wanted = (this.run?.steps ?? []).flatMap((step) => {
      if (step.cmd !== 'TRAIN' || !step.training_id) return [];
      const live = this.#live(step.training_id);
      if (!live.status) return [live];
      if (skipFollowed && this.#follows.has(step.training_id)) return [];
      return step.status === 'running' || !isTerminal(live.status.status) ? [live] : [];
    });
    await Promise.all(wanted.map((live) => live.poll(false)));
  }

  /** Follow exactly the running TRAIN steps' trainings while watched. */
  #syncFollows(): void {
    const running = new Set(
      this.#watchers > 0 ? (this.run?.steps ?? []).filter(isTrainRunning).map((s) => s.training_id as string) : [],
    );
    for (const [id, stop] of this.#follows) {
      if (!running.has(id)) {
        stop();
        this.#follows.delete(id);
      }
    }
    for (const id of running) {
      if (!this.#follows.has(id)) this.#follows.set(id, this.#live(id).follow({ points: false }));
    }
  }
}

function isTrainRunning(step: FlowStepRun): boolean {
  return step.cmd === 'TRAIN' && !!step.training_id && step.status === 'running';
}

/** A loss in a one-line status: 0.5234 -> "0.52", 0.01234 -> "0.012". */
export function compactLoss(loss: number | null | undefined): string | null {
  if (loss == null || !Number.isFinite(loss)) return null;
  return Math.abs(loss) >= 0.1 ? loss.toFixed(2) : loss.toPrecision(2);
}

/** The app-wide lists: coming back to Flows shows the last ones while they refresh. */
export const flows = new FlowsStore();
