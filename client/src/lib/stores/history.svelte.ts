// The last training runs, newest first; "Show more" asks for 10 more. A run can be renamed in
// place: its row takes the summary the backend answers.
import { type ApiError, type Invoke, invoke, toApiError } from '../api';
import type { TrainingRunSummary } from '../contracts.gen';
import { PagedList } from './loadable.svelte';

export const HISTORY_PAGE = 10;

export class TrainingHistoryStore extends PagedList<TrainingRunSummary> {
  readonly call: Invoke;

  constructor(call: Invoke = invoke) {
    super((limit) => call('get_training_history', { limit }), HISTORY_PAGE);
    this.call = call;
  }

  /** Give a run a name (empty clears it); null when saved, else why not. */
  async rename(trainingId: string, name: string): Promise<ApiError | null> {
    try {
      const saved = await this.call('rename_training_run', { training_id: trainingId, name: name.trim() });
      this.value = this.value.map((run) => (run.training_id === trainingId ? saved : run));
      return null;
    } catch (err) {
      return toApiError(err);
    }
  }
}

export const trainingHistory = new TrainingHistoryStore();
