import { describe, expect, it } from 'vitest';
import { Loadable } from '../src/lib/stores/loadable.svelte';

describe('Loadable', () => {
  it('keeps the newer of two answers that arrive out of order', async () => {
    const answers: Array<(v: string) => void> = [];
    const list = new Loadable(() => new Promise<string>((resolve) => answers.push(resolve)), 'first');
    const older = list.refresh();
    const newer = list.refresh();
    answers[1]('new');
    answers[0]('old');
    expect(await newer).toBe(true);
    expect(await older).toBe(false);
    expect(list.value).toBe('new');
  });

  it('takes a value set from another call over a fetch that was under way', async () => {
    let answer = (_v: string): void => undefined;
    const state = new Loadable(() => new Promise<string>((resolve) => (answer = resolve)), 'idle');
    const reading = state.refresh();
    state.set('exporting'); // the answer to the start, newer than the read
    answer('idle');
    expect(await reading).toBe(false);
    expect(state.value).toBe('exporting');
    expect(state.loading).toBe(false);
    expect(state.loaded).toBe(true);
  });
});
