import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/lib/api';
import { FIELD_BOUNDS, FIELD_DEFAULTS, MAX_EPOCHS, type TrainingProfile } from '../src/lib/contracts.gen';
import { mergePoints, TrainingJob } from '../src/lib/stores/training.svelte';
import { parseField, RULES, TrainingForm } from '../src/lib/stores/trainingForm.svelte';
import { details, points, profiles, status } from './fixtures';
import { fakeBackend } from './helpers';

describe('mergePoints', () => {
  it('keeps one point per (step, kind), in step order with eval after train', () => {
    const first = mergePoints([], points.slice(0, 2));
    // since_step is inclusive: step 2 comes again, now with its eval point.
    const merged = mergePoints(first, points.slice(1));
    expect(merged.map((p) => [p.step, p.eval_loss != null ? 'eval' : 'train'])).toEqual([
      [1, 'train'],
      [2, 'train'],
      [2, 'eval'],
      [3, 'train'],
    ]);
    expect(mergePoints(merged, [])).toBe(merged);
  });
});

describe('TrainingJob', () => {
  it('asks for metrics since the last known step and merges them', async () => {
    const backend = fakeBackend({
      get_active_training: status(),
      get_training_status: status(),
      get_training_metrics: ({ since_step }: Record<string, unknown>) => ({
        training_id: 't-1',
        points: points.filter((p) => p.step >= Number(since_step)),
        last_step: 3,
      }),
    });
    const job = new TrainingJob(backend.call);

    await job.resume();
    expect(job.id).toBe('t-1');
    expect(job.active).toBe(true);
    expect(job.points).toHaveLength(4);

    await job.poll();
    expect(backend.callsOf('get_training_metrics').map((a) => a.since_step)).toEqual([0, 3]);
    expect(job.points).toHaveLength(4);
  });

  it('loads the details and tells listeners once when the job ends', async () => {
    const backend = fakeBackend({
      get_active_training: status(),
      get_training_status: status(),
      get_training_metrics: { training_id: 't-1', points: [], last_step: 0 },
      get_training_run: details(),
    });
    const job = new TrainingJob(backend.call);
    const ended: string[] = [];
    job.onFinish((s) => ended.push(s.status));
    await job.resume();
    expect(ended).toEqual([]);

    backend.table.get_training_status = status({ status: 'done' });
    await job.poll();
    await job.poll();

    expect(ended).toEqual(['done']);
    expect(job.active).toBe(false);
    expect(job.details?.samples).toHaveLength(1);
    expect(job.points).toHaveLength(4);
  });

  it('keeps a start refusal with the backend message and starts nothing', async () => {
    const backend = fakeBackend({
      start_training_job: new ApiError('invalid_epochs', 'epochs must be 1..100, got 0'),
    });
    const job = new TrainingJob(backend.call);

    const started = await job.start({ profile_id: 'quick', dataset_id: 'lumen', epochs: 0 });

    expect(started).toBe(false);
    expect(job.error).toMatchObject({ code: 'invalid_epochs', message: 'epochs must be 1..100, got 0' });
    expect(job.status).toBeNull();
  });

  it('keeps following after a failed poll and clears the error on the next good one', async () => {
    const backend = fakeBackend({
      get_active_training: status(),
      get_training_status: status(),
      get_training_metrics: { training_id: 't-1', points: [], last_step: 0 },
    });
    const job = new TrainingJob(backend.call);
    await job.resume();

    backend.table.get_training_status = new ApiError('backend_unreachable', 'Failed to fetch');
    await job.poll();
    expect(job.pollError?.message).toBe('Failed to fetch');
    expect(job.active).toBe(true);

    backend.table.get_training_status = status({ step: 20 });
    await job.poll();
    expect(job.pollError).toBeNull();
    expect(job.status?.step).toBe(20);
  });
});

describe('TrainingForm', () => {
  it('checks bounds', () => {
    expect(parseField('1', RULES.epochs)).toBe(1);
    expect(parseField('100', RULES.epochs)).toBe(100);
    for (const bad of ['0', '101', '', ' ', '1.5', 'abc', '-3']) {
      expect(parseField(bad, RULES.epochs)).toBeNull();
    }
    expect(parseField('0', RULES.learning_rate)).toBeNull();
    expect(parseField('2e-4', RULES.learning_rate)).toBe(0.0002);
    expect(parseField('15', RULES.max_seq_len)).toBeNull();
  });

  it("takes its bounds and its defaults from the contracts", () => {
    expect(RULES.epochs).toMatchObject({ min: 1, max: MAX_EPOCHS });
    expect(RULES.max_seq_len.max).toBe(FIELD_BOUNDS.TrainingOverrides.max_seq_len.maximum);
    expect(RULES.learning_rate).toMatchObject({ min: 0, minExclusive: true, max: 1 });
    const form = new TrainingForm(() => null);
    expect(form.text('epochs')).toBe(String(FIELD_DEFAULTS.TrainingProfile.default_epochs));
    expect(form.text('max_seq_len')).toBe(String(FIELD_DEFAULTS.TrainingProfile.max_seq_len));
    form.set('epochs', String(MAX_EPOCHS + 1));
    expect(form.problem('epochs')).toBe(`Epochs must be a whole number from 1 to ${MAX_EPOCHS}.`);
  });

  it('follows the profile until edited, and only sends overrides that differ', () => {
    let profile: TrainingProfile | null = profiles[0];
    const form = new TrainingForm(() => profile);
    expect(form.text('epochs')).toBe('1');

    form.set('epochs', '5');
    form.set('learning_rate', '0.001');
    expect(form.request('lumen')).toEqual({ profile_id: 'quick', dataset_id: 'lumen', epochs: 5 });

    profile = profiles[1];
    // The typed epochs stay; the learning rate edit stayed with the other profile.
    expect(form.text('epochs')).toBe('5');
    expect(form.text('learning_rate')).toBe('0.0002');
    form.set('max_seq_len', '1024');
    expect(form.request('lumen')).toEqual({
      profile_id: 'identity',
      dataset_id: 'lumen',
      epochs: 5,
      overrides: { max_seq_len: 1024 },
    });
    expect(form.request(null)).toBeNull();

    profile = null;
    expect(form.request('lumen')).toBeNull();
  });

  it('keeps typed epochs across profile switches and drops the other edits', () => {
    let profile: TrainingProfile | null = profiles[1];
    const form = new TrainingForm(() => profile);
    // Untouched epochs follow the profile.
    expect(form.text('epochs')).toBe('3');
    profile = profiles[0];
    expect(form.text('epochs')).toBe('1');

    form.set('epochs', '12');
    form.set('batch_size', '16');
    profile = profiles[1];
    expect(form.text('epochs')).toBe('12');
    expect(form.text('batch_size')).toBe('8');
    expect(form.request('lumen')).toEqual({ profile_id: 'identity', dataset_id: 'lumen', epochs: 12 });

    // Even an invalid entry stays, so its message stays too.
    form.set('epochs', '0');
    profile = profiles[0];
    expect(form.text('epochs')).toBe('0');
    expect(form.valid).toBe(false);
  });
});
