import { render, within } from '@testing-library/svelte';
import { expect, type Mock } from 'vitest';
import { ApiError } from '../src/lib/api';
import type { CommandResult, Invoke } from '../src/lib/api';
import TrainingPanel from '../src/lib/components/TrainingPanel.svelte';
import type { CommandName } from '../src/lib/contracts.gen';
import { CatalogStore } from '../src/lib/stores/catalog.svelte';
import { TrainingHistoryStore } from '../src/lib/stores/history.svelte';
import { JobSlotStore } from '../src/lib/stores/jobSlot.svelte';
import { TrainingJob } from '../src/lib/stores/training.svelte';
import { datasets, profiles } from './fixtures';

/** A result with every field optional, at any depth: a test names only what it needs. */
type Loose<T> = T extends (infer U)[] ? Loose<U>[] : T extends object ? { [K in keyof T]?: Loose<T[K]> } : T;

/** What a fake command answers: a (loose) result, an Error to throw, or a function of the args
 * that returns either (or a promise of it). */
export type Answer<K extends CommandName> = Loose<CommandResult<K>> | Error | ((args: Record<string, unknown>) => unknown);
export type Answers = { [K in CommandName]?: Answer<K> };

/** A fake `invoke`: each command answers its value, or calls it with the args; an Error
 * value is thrown; an unknown command throws unknown_command. Records every call. */
export function fakeBackend(answers: Answers = {}) {
  const calls: { cmd: CommandName; args: Record<string, unknown> }[] = [];
  const table: Answers = {
    list_training_profiles: profiles,
    list_datasets: datasets,
    get_active_training: null,
    get_training_history: [],
    get_export_state: (args: Record<string, unknown>) => ({ training_id: args.training_id, state: 'idle' }),
    ...answers,
  };
  const call = (async (cmd: CommandName, args: object = {}) => {
    calls.push({ cmd, args: args as Record<string, unknown> });
    if (!(cmd in table)) throw new ApiError('unknown_command', `no ${cmd}`);
    let value: unknown = table[cmd];
    if (typeof value === 'function') value = await (value as (a: object) => unknown)(args);
    if (value instanceof Error) throw value;
    return value;
  }) as Invoke;
  return {
    call,
    calls,
    table,
    callsOf: (cmd: CommandName) => calls.filter((c) => c.cmd === cmd).map((c) => c.args),
  };
}

export type FakeBackend = ReturnType<typeof fakeBackend>;

/** The alert in `container` (the page by default), once it shows, with each of `texts` in it. */
export async function findAlert(texts: (string | RegExp)[], container: HTMLElement = document.body): Promise<HTMLElement> {
  const alert = await within(container).findByRole('alert');
  for (const text of texts) expect(alert).toHaveTextContent(text);
  return alert;
}

/** An answer that has not come yet: a command answers `promise`, and the test calls
 * `resolve(value)` when the answer should arrive. */
export function pending<T = unknown>() {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

/** Render the Training view against `backend`: its stores get their own instances on it, and
 * the test file's mocked `invoke` (what the view's inner parts call by default) answers from it
 * too, with no calls left from an earlier test. */
export function renderTrainingPanel(backend: FakeBackend, invoke: Mock, job = new TrainingJob(backend.call)) {
  invoke.mockReset().mockImplementation(backend.call);
  const history = new TrainingHistoryStore(backend.call);
  const next = new TrainingJob(backend.call);
  const slot = new JobSlotStore(backend.call);
  render(TrainingPanel, { catalog: new CatalogStore(backend.call), job, next, history, slot });
  return { job, next, history, slot };
}
