import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SharedPoller } from '../src/lib/poller';
import { FlowRunStore } from '../src/lib/stores/flows.svelte';
import { TrainingJob } from '../src/lib/stores/training.svelte';
import { status } from './fixtures';
import { flowRun, stepRun } from './flowFixtures';
import { fakeBackend } from './helpers';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('SharedPoller', () => {
  it('ticks once per interval however many follow, and stops with the last one', async () => {
    const poller = new SharedPoller();
    const target = {};
    const tick = vi.fn();
    const stopA = poller.follow(target, tick, 1000);
    const stopB = poller.follow(target, vi.fn(), 1000);
    expect(poller.followers(target)).toBe(2);

    await vi.advanceTimersByTimeAsync(3000);
    expect(tick).toHaveBeenCalledTimes(3);

    stopA();
    stopA(); // twice is harmless: B still follows
    await vi.advanceTimersByTimeAsync(1000);
    expect(tick).toHaveBeenCalledTimes(4);

    stopB();
    expect(poller.followers(target)).toBe(0);
    await vi.advanceTimersByTimeAsync(5000);
    expect(tick).toHaveBeenCalledTimes(4);
  });

  it('skips a tick while the last one has not finished', async () => {
    const poller = new SharedPoller();
    let finish: () => void = () => {};
    const tick = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)));
    const stop = poller.follow({}, tick, 1000);

    await vi.advanceTimersByTimeAsync(3000);
    expect(tick).toHaveBeenCalledTimes(1);
    finish();
    await vi.advanceTimersByTimeAsync(1000);
    expect(tick).toHaveBeenCalledTimes(2);
    stop();
  });
});

describe('a training shown by several views', () => {
  function backend() {
    return fakeBackend({
      get_active_training: status({ training_id: 't-1' }),
      get_training_status: status({ training_id: 't-1' }),
      get_training_metrics: { training_id: 't-1', points: [], last_step: 0 },
      get_training_run: { status: status({ training_id: 't-1' }), metrics: [], samples: [], artifacts: {} },
      get_flow_run: flowRun({ status: 'running', steps: [stepRun({ status: 'running', training_id: 't-1' })] }),
    });
  }

  it('is fetched once per tick for the panel, its run page and a flow page, until all stop', async () => {
    const fake = backend();
    const panel = new TrainingJob(fake.call);
    const page = new TrainingJob(fake.call);
    const flowPage = new FlowRunStore(fake.call);
    await panel.resume();
    await page.open('t-1');
    await flowPage.open('fr-1');
    const before = fake.callsOf('get_training_status').length;
    const metricsBefore = fake.callsOf('get_training_metrics').length;

    const stops = [panel.watch(), page.watch(), flowPage.watch()];
    await vi.advanceTimersByTimeAsync(3000);
    expect(fake.callsOf('get_training_status').length - before).toBe(3);
    // The views that draw the loss curve share one metrics call per tick as well.
    expect(fake.callsOf('get_training_metrics').length - metricsBefore).toBe(3);
    expect(fake.callsOf('get_flow_run')).toHaveLength(1 + 3);
    expect(panel.status).toBe(page.status);
    expect(flowPage.training('t-1')).toBe(panel.status);

    stops[0]();
    stops[1]();
    await vi.advanceTimersByTimeAsync(1000);
    expect(fake.callsOf('get_training_status').length - before).toBe(4);

    stops[2]();
    const after = fake.calls.length;
    await vi.advanceTimersByTimeAsync(5000);
    expect(fake.calls.length).toBe(after);
  });

  it('follows without the metrics when no view draws the curve', async () => {
    const fake = backend();
    const flowPage = new FlowRunStore(fake.call);
    await flowPage.open('fr-1');
    const stop = flowPage.watch();
    const metrics = fake.callsOf('get_training_metrics').length;

    await vi.advanceTimersByTimeAsync(2000);

    expect(fake.callsOf('get_training_metrics').length).toBe(metrics);
    expect(fake.callsOf('get_training_status').length).toBe(1 + 2);
    stop();
  });
});
