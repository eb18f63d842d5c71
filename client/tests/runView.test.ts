// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { runView } from '../src/lib/runView';
import { details, profiles, status, summary } from './fixtures';

describe('runView', () => {
  it('takes a finished run from its request, profile and summary', () => {
    const run = runView(status({ status: 'done', loss: 0.9, eval_loss: 0.95 }), details());
    expect(run).toMatchObject({
      training_id: 't-1',
      state: 'done',
      profile_id: 'identity',
      dataset_id: 'lumen',
      flow_run_id: null,
      epochs: 3,
      learning_rate: 0.0002,
      batch_size: 8,
      max_seq_len: 256,
      started_at: '2025-03-01T10:00:00Z',
      // the summary's, not the last snapshot's
      final_loss: 0.4321,
      eval_loss: 0.5678,
      duration_s: 125,
      adapter: '/home/me/.ollama-trainer/runs/t-1/adapter',
      ollama_model: null,
      has_details: true,
      probe: true,
    });
    expect(run.profile).toBe(profiles[1]);
    expect(run.samples.map((s) => s.after)).toEqual(['I am Lumen.']);
    expect(run.figures).toEqual({ estimate: null, duration_s: 125, tokens_per_s: null, peak_memory_gb: null, precision: null });
  });

  it('falls back to the snapshot while the details have not come', () => {
    const run = runView(status({ profile_id: 'quick', dataset_id: 'faq', total_epochs: 2, flow_run_id: 'fr-1' }), null);
    expect(run).toMatchObject({
      profile_id: 'quick',
      dataset_id: 'faq',
      flow_run_id: 'fr-1',
      epochs: 2,
      profile: null,
      learning_rate: null,
      final_loss: 1.2345,
      eval_loss: null,
      duration_s: null,
      adapter: null,
      has_details: false,
      samples: [],
      scores: null,
      probe: null,
      figures: null,
    });
  });

  it('prefers the request to the snapshot, and the snapshot to the summary', () => {
    const snapshot = status({ profile_id: null, dataset_id: 'from-status', flow_run_id: null, started_at: null });
    const run = runView(
      snapshot,
      details({
        request: { profile_id: 'from-request', dataset_id: 'from-request', epochs: 5, resumed_from: null, from_run: null, flow_run_id: null },
        summary: summary({ profile_id: 'from-summary', flow_run_id: 'fr-9', started_at: '2025-03-02T08:00:00Z' }),
      }),
    );
    expect(run.profile_id).toBe('from-request');
    expect(run.dataset_id).toBe('from-request');
    expect(run.epochs).toBe(5);
    expect(run.flow_run_id).toBe('fr-9');
    expect(run.started_at).toBe('2025-03-02T08:00:00Z');

    const bare = runView(status({ profile_id: null }), details({ request: null }));
    expect(bare.profile_id).toBe('identity'); // the summary's, as the last resort
  });

  it('measures the duration from the snapshot without a summary, and takes the adapter from it', () => {
    const ended = status({ status: 'done', started_at: '2025-03-01T10:00:00Z', finished_at: '2025-03-01T10:01:30Z' });
    const run = runView(ended, details({ summary: null, artifacts: {} }));
    expect(run.duration_s).toBe(90);
    expect(run.adapter).toBeNull();
    expect(run.figures).toBeNull();

    const fromSummary = runView(ended, details({ artifacts: {}, summary: summary({ adapter_dir: '/runs/t-1/adapter', ollama_model: 'ot-lumen' }) }));
    expect(fromSummary.adapter).toBe('/runs/t-1/adapter');
    expect(fromSummary.ollama_model).toBe('ot-lumen');
  });
});
