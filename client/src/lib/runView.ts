// One training run as the views show it. A run's fields come from three places: the request it
// was started with (job.json), the live snapshot (TrainingStatus) and, once it ended, its summary
// (the history line); `runView` picks each field from them in one place, so no component
// chains `request ?? status ?? summary` itself.
import type {
  RunEstimate,
  RunPrecision,
  RunScores,
  SampleAnswer,
  TrainingProfile,
  TrainingRunDetails,
  TrainingStatus,
} from './contracts.gen';

/** What a finished run was expected to take and what it took (RunFigures). */
export interface RunFiguresView {
  estimate: RunEstimate | null;
  duration_s: number | null;
  tokens_per_s: number | null;
  peak_memory_gb: number | null;
  precision: RunPrecision | null;
}

export interface RunView {
  training_id: string;
  state: TrainingStatus['status'];
  profile_id: string | null;
  dataset_id: string | null;
  /** The flow run that started it, if one did. */
  flow_run_id: string | null;
  /** The profile it trained with (its job.json's, overrides applied); null until the details come. */
  profile: TrainingProfile | null;
  epochs: number | null;
  learning_rate: number | null;
  batch_size: number | null;
  max_seq_len: number | null;
  started_at: string | null;
  /** The summary's once it ended, else the last snapshot's. */
  final_loss: number | null;
  eval_loss: number | null;
  /** The step whose adapter is the result (lowest eval loss). */
  best_step: number | null;
  /** Seconds: the summary's, else from the snapshot's start and end. */
  duration_s: number | null;
  /** Where the adapter was written. */
  adapter: string | null;
  /** The Ollama model it was exported as, if it was. */
  ollama_model: string | null;
  /** The run's details (samples, scores) have arrived. */
  has_details: boolean;
  samples: SampleAnswer[];
  scores: RunScores | null;
  /** Whether the profile asks for the probe scores ("kept"). */
  probe: boolean | null;
  /** Estimate vs measured; null until the run has a summary. */
  figures: RunFiguresView | null;
}

/** The first of `values` that is a number. */
function firstNumber(...values: (number | null | undefined)[]): number | null {
  for (const value of values) if (typeof value === 'number') return value;
  return null;
}

function seconds(status: TrainingStatus): number | null {
  const start = status.started_at ? Date.parse(status.started_at) : NaN;
  const end = status.finished_at ? Date.parse(status.finished_at) : NaN;
  return Number.isFinite(start) && Number.isFinite(end) ? (end - start) / 1000 : null;
}

/** The run `status` is a snapshot of, with its details when they have been loaded. */
export function runView(status: TrainingStatus, details: TrainingRunDetails | null): RunView {
  const request = details?.request ?? null;
  const summary = details?.summary ?? null;
  const profile = details?.profile ?? null;
  return {
    training_id: status.training_id,
    state: status.status,
    profile_id: request?.profile_id ?? status.profile_id ?? summary?.profile_id ?? null,
    dataset_id: request?.dataset_id ?? status.dataset_id ?? summary?.dataset_id ?? null,
    flow_run_id: status.flow_run_id ?? summary?.flow_run_id ?? null,
    profile,
    epochs: firstNumber(request?.epochs, status.total_epochs, profile?.default_epochs),
    learning_rate: firstNumber(profile?.learning_rate),
    batch_size: firstNumber(profile?.batch_size),
    max_seq_len: firstNumber(profile?.max_seq_len),
    started_at: status.started_at ?? summary?.started_at ?? null,
    final_loss: summary?.final_loss ?? status.loss ?? null,
    eval_loss: summary?.eval_loss ?? status.eval_loss ?? null,
    best_step: summary?.best_step ?? null,
    duration_s: summary?.duration_s ?? seconds(status),
    adapter: details?.artifacts.adapter ?? summary?.adapter_dir ?? null,
    ollama_model: summary?.ollama_model ?? null,
    has_details: details !== null,
    samples: details?.samples ?? [],
    scores: details?.scores ?? null,
    probe: profile?.probe ?? null,
    figures: summary
      ? {
          // A summary written before a figure was recorded lacks it.
          estimate: status.estimate ?? summary.estimate ?? null,
          duration_s: summary.duration_s ?? null,
          tokens_per_s: summary.tokens_per_s ?? null,
          peak_memory_gb: summary.peak_memory_gb ?? null,
          precision: summary.precision ?? null,
        }
      : null,
  };
}
