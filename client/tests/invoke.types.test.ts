// invoke is typed by the generated CommandMap: svelte-check type-checks this file, and each
// `@ts-expect-error` below fails the check when the line it marks stops being an error (a
// command that takes any name, any args or answers anything would do that).
import { describe, expect, it } from 'vitest';
import type { Invoke } from '../src/lib/api';
import type { FlowRun, TrainingStatus } from '../src/lib/contracts.gen';
import { status } from './fixtures';
import { fakeBackend } from './helpers';

/** Calls that must not compile; never run. */
export function misuses(call: Invoke) {
  // @ts-expect-error: not a command
  void call('get_trainig_status', { training_id: 't-1' });
  // @ts-expect-error: the request is missing
  void call('get_training_status');
  // @ts-expect-error: a field the request does not have
  void call('get_training_status', { id: 't-1' });
  // @ts-expect-error: a field of the wrong type
  void call('get_training_history', { limit: '10' });
  // @ts-expect-error: a command without a request takes no args
  void call('list_flows', {});
  // @ts-expect-error: the result is a TrainingStatus, not a FlowRun
  const wrong: Promise<FlowRun> = call('get_training_status', { training_id: 't-1' });
  return wrong;
}

describe('typed invoke', () => {
  it('passes the request and gives back the result type of the command', async () => {
    const backend = fakeBackend({ get_training_status: status({ training_id: 't-2' }) });

    const answer: TrainingStatus = await backend.call('get_training_status', { training_id: 't-2' });
    // Requests whose fields all have defaults may be left out.
    const history = await backend.call('get_training_history');

    expect(answer.training_id).toBe('t-2');
    expect(history).toEqual([]);
    expect(backend.calls.map((c) => c.cmd)).toEqual(['get_training_status', 'get_training_history']);
  });
});
