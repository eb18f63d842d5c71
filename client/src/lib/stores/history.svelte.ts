// The last training runs, newest first; "Show more" asks for 10 more.
import { type Invoke, invoke } from '../api';
import type { TrainingRunSummary } from '../contracts.gen';
import { PagedList } from './loadable.svelte';

export const HISTORY_PAGE = 10;

export class TrainingHistoryStore extends PagedList<TrainingRunSummary> {
  constructor(call: Invoke = invoke) {
    super((limit) => call('get_training_history', { limit }), HISTORY_PAGE);
  }
}

export const trainingHistory = new TrainingHistoryStore();
