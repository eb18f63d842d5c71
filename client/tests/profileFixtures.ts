import type { BaseModelInfo, BaseModelList, RunPreview } from '../src/lib/contracts.gen';

/** One base as list_base_models answers it, then `overrides`. */
export function base(overrides: Partial<BaseModelInfo> & Pick<BaseModelInfo, 'source' | 'name'>): BaseModelInfo {
  return {
    kind: 'ollama',
    architecture: 'llama',
    family: 'llama',
    parameter_size: '135M',
    quantization: 'Q4_1',
    trainable: true,
    reason: null,
    chat_format: 'chatml',
    path: null,
    memory_gb: 1.1,
    memory_gb_4bit: 0.9,
    ...overrides,
  };
}

export const baseList: BaseModelList = {
  bases: [
    base({ source: 'ollama:gemma3:270m', name: 'gemma3:270m', family: 'gemma3', parameter_size: '268.10M', quantization: 'Q4_K_M' }),
    base({
      source: 'ollama:llava:7b',
      name: 'llava:7b',
      family: 'llama',
      parameter_size: '7B',
      quantization: 'Q4_0',
      trainable: false,
      reason: 'a vision model: the app trains text models only',
    }),
    base({ source: 'smollm2-135m-instruct', name: 'SmolLM2 135M Instruct', kind: 'builtin' }),
  ],
  store: '/home/me/.ollama/models',
  note: null,
};

/** A preview as preview_training_run answers it, then `overrides`. */
export function runPreview(overrides: Partial<RunPreview> = {}): RunPreview {
  return {
    profile_id: 'quick',
    dataset_id: 'lumen',
    base_model: 'smollm2-135m-instruct',
    device: 'cpu',
    epochs: 1,
    examples: 20,
    train_examples: 18,
    eval_examples: 2,
    replay_examples: 36,
    dropped: 0,
    truncated: 0,
    trainable_tokens: 4321,
    total_tokens: 12345,
    estimate: { duration_s: 95, memory_gb: 1.6, tokens_per_s: 900, tokens: 4321, basis: 'formula', device: 'cpu',
      gradient_checkpointing: false, weights: 'bf16', why: '', fits: true },
    available_memory_gb: 6.2,
    warnings: [],
    small_dataset: null,
    can_start: true,
    reason: null,
    ...overrides,
  };
}
