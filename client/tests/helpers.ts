import { ApiError } from '../src/lib/api';
import type { Invoke } from '../src/lib/api';
import { datasets, profiles } from './fixtures';

type Answer = unknown | ((args: Record<string, unknown>) => unknown);

/** A fake `invoke`: each command answers its value, or calls it with the args; an Error
 * value is thrown; an unknown command throws unknown_command. Records every call. */
export function fakeBackend(answers: Record<string, Answer> = {}) {
  const calls: { cmd: string; args: Record<string, unknown> }[] = [];
  const table: Record<string, Answer> = {
    list_training_profiles: profiles,
    list_datasets: datasets,
    get_active_training: null,
    get_training_history: [],
    get_export_state: (args: Record<string, unknown>) => ({ training_id: args.training_id, state: 'idle' }),
    ...answers,
  };
  const call = (async (cmd: string, args: object = {}) => {
    calls.push({ cmd, args: args as Record<string, unknown> });
    if (!(cmd in table)) throw new ApiError('unknown_command', `no ${cmd}`);
    let value = table[cmd];
    if (typeof value === 'function') value = await (value as (a: object) => unknown)(args);
    if (value instanceof Error) throw value;
    return value;
  }) as Invoke;
  return {
    call,
    calls,
    table,
    callsOf: (cmd: string) => calls.filter((c) => c.cmd === cmd).map((c) => c.args),
  };
}
