// The Chat page: a conversation with a run's trained model (or a profile's base), the answers
// streamed as they are written (chat_send, then chat_read until done), the base's answer beside
// it when asked, and the marks that teach: Good, Correct it, Another answer (choose the better:
// a preference pair). Marks go into the run's feedback dataset (add_feedback); the feedback list
// and Train on feedback are FeedbackStore's.
import { type ApiError, type Invoke, invoke, toApiError } from '../api';
import type { ChatStream, ChatTurn, FeedbackList, FeedbackRequest, StartTrainingResult } from '../contracts.gen';
import { Loadable } from './loadable.svelte';

export const STREAM_POLL_MS = 120;

/** Whose model answers: a run's (trained, or the base it was trained on) or a profile's base. */
export type ChatModel = { training_id: string } | { profile_id: string };

/** An answer as it is written: the text so far, then whole (or failed). */
export interface Answer {
  text: string;
  done: boolean;
  cut: boolean;
  error: string | null;
}

export type Mark = 'good' | 'corrected' | 'pair';

export interface Turn {
  prompt: string;
  answer: Answer;
  /** The base's answer to the same talk (side by side), when asked for. */
  base: Answer | null;
  /** A second, sampled answer to choose from (Another answer). */
  other: Answer | null;
  /** How this answer was marked (null: not yet). */
  mark: Mark | null;
  /** A correction: what the model had said. */
  original: string | null;
}

function writing(): Answer {
  return { text: '', done: false, cut: false, error: null };
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class ChatSession {
  turns: Turn[] = $state([]);
  /** Ask the base too, beside each answer. */
  sideBySide = $state(false);
  /** The last mark was kept in this dataset, holding this many marks (null until one is). */
  kept: { dataset: string; marks: number } | null = $state(null);
  markError: ApiError | null = $state.raw(null);
  marking = $state(false);
  readonly model: ChatModel;
  #call: Invoke;
  #generation = 0;

  constructor(model: ChatModel, call: Invoke = invoke) {
    this.model = model;
    this.#call = call;
  }

  /** Marks are kept for a run's model (its feedback dataset); a base has none. */
  get canMark(): boolean {
    return 'training_id' in this.model;
  }

  /** An answer is being written: the next question waits for it. */
  get busy(): boolean {
    return this.turns.some((turn) => [turn.answer, turn.base, turn.other].some((a) => a !== null && !a.done));
  }

  /** The talk before turn `index`: each question with the answer it kept. */
  history(index: number): ChatTurn[] {
    return this.turns.slice(0, index).flatMap((turn) => [
      { role: 'user' as const, content: turn.prompt },
      { role: 'assistant' as const, content: turn.answer.text },
    ]);
  }

  /** Ask `prompt` after the talk so far. */
  async send(prompt: string): Promise<void> {
    const text = prompt.trim();
    if (!text || this.busy) return;
    const history = this.history(this.turns.length);
    this.turns.push({
      prompt: text,
      answer: writing(),
      base: this.sideBySide && 'training_id' in this.model ? writing() : null,
      other: null,
      mark: null,
      original: null,
    });
    const index = this.turns.length - 1;
    const generation = this.#generation;
    const asked = [this.#stream(generation, index, 'answer', { history, prompt: text })];
    if (this.turns[index].base) {
      asked.push(this.#stream(generation, index, 'base', { history, prompt: text, with_adapter: false }));
    }
    await Promise.all(asked);
  }

  /** A second, sampled answer to turn `index`, to choose the better of the two. */
  async another(index: number): Promise<void> {
    const turn = this.turns[index];
    if (!turn || this.busy) return;
    turn.other = writing();
    await this.#stream(this.#generation, index, 'other', {
      history: this.history(index),
      prompt: turn.prompt,
      another: true,
    });
  }

  /** Choose answer 1 (the first) or 2 (the other) of turn `index`: a preference pair is kept,
   * and the talk goes on from the chosen one. */
  async choose(index: number, which: 1 | 2): Promise<void> {
    const turn = this.turns[index];
    if (!turn?.other?.done || turn.other.error) return;
    const [chosen, rejected] = which === 1 ? [turn.answer.text, turn.other.text] : [turn.other.text, turn.answer.text];
    const kept = await this.#keep(index, { kind: 'pair', answer: chosen, rejected });
    if (!kept) return;
    if (which === 2) turn.answer = { ...turn.other };
    turn.other = null;
    turn.mark = 'pair';
  }

  /** Keep answer `index` as it is. */
  async good(index: number): Promise<void> {
    if (await this.#keep(index, { kind: 'good', answer: this.turns[index].answer.text })) {
      this.turns[index].mark = 'good';
    }
  }

  /** Keep the person's `text` instead of answer `index`; the talk goes on from it. */
  async correct(index: number, text: string): Promise<void> {
    const turn = this.turns[index];
    const original = turn.answer.text;
    if (!(await this.#keep(index, { kind: 'corrected', answer: text.trim(), original }))) return;
    turn.original = original;
    turn.answer = { text: text.trim(), done: true, cut: false, error: null };
    turn.other = null;
    turn.mark = 'corrected';
  }

  /** Start over (answers being written are no longer followed). */
  clear(): void {
    this.#generation += 1;
    this.turns = [];
    this.kept = null;
    this.markError = null;
  }

  async #keep(index: number, mark: Pick<FeedbackRequest, 'kind' | 'answer' | 'original' | 'rejected'>) {
    if (!('training_id' in this.model)) return false;
    this.marking = true;
    this.markError = null;
    try {
      const saved = await this.#call('add_feedback', {
        training_id: this.model.training_id,
        history: this.history(index),
        prompt: this.turns[index].prompt,
        ...mark,
      });
      this.kept = { dataset: saved.dataset_id, marks: saved.marks };
      return true;
    } catch (err) {
      this.markError = toApiError(err);
      return false;
    } finally {
      this.marking = false;
    }
  }

  async #stream(
    generation: number,
    index: number,
    slot: 'answer' | 'base' | 'other',
    ask: { history: ChatTurn[]; prompt: string; with_adapter?: boolean; another?: boolean },
  ): Promise<void> {
    const set = (stream: Partial<ChatStream>) => {
      if (generation !== this.#generation) return;
      const answer = this.turns[index]?.[slot];
      if (!answer) return;
      if (stream.text !== undefined) answer.text = stream.text;
      if (stream.cut !== undefined) answer.cut = stream.cut;
      if (stream.error !== undefined) answer.error = stream.error;
      if (stream.done) answer.done = true;
    };
    try {
      let stream = await this.#call('chat_send', { ...this.model, ...ask });
      while (!stream.done && generation === this.#generation) {
        set(stream);
        await wait(STREAM_POLL_MS);
        stream = await this.#call('chat_read', { stream_id: stream.stream_id });
      }
      set(stream);
    } catch (err) {
      set({ error: toApiError(err).message, done: true });
    }
  }
}

/** A run's feedback dataset as the Chat page lists it, its marks deleted one by one, and
 * Train on feedback. */
export class FeedbackStore {
  readonly list: Loadable<FeedbackList | null>;
  readonly #delete = new Loadable<FeedbackList | null>(null, null);
  readonly #train = new Loadable<StartTrainingResult | null>(null, null);
  readonly trainingId: string;
  #call: Invoke;

  constructor(trainingId: string, call: Invoke = invoke) {
    this.trainingId = trainingId;
    this.#call = call;
    this.list = new Loadable(() => call('list_feedback', { training_id: trainingId }), null);
  }

  get deleting(): boolean {
    return this.#delete.loading;
  }

  get deleteError(): ApiError | null {
    return this.#delete.error;
  }

  async remove(index: number): Promise<void> {
    if (await this.#delete.run(() => this.#call('delete_feedback', { training_id: this.trainingId, index }))) {
      this.list.set(this.#delete.value);
    }
  }

  get starting(): boolean {
    return this.#train.loading;
  }

  get trainError(): ApiError | null {
    return this.#train.error;
  }

  /** Start (or, `queue`, line up) the run that trains this run's model on its feedback; its id. */
  async train(queue = false): Promise<string | null> {
    const ok = await this.#train.run(() => this.#call('train_on_feedback', { training_id: this.trainingId, queue }));
    return ok ? (this.#train.value?.training_id ?? null) : null;
  }
}
