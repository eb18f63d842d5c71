"""What a run would train on, counted with the base's own tokenizer and chat format, without
loading its weights: `python -m ollama_trainer.training.worker preview --job FILE` (a JobSpec)
prints one JSON line (protocol.PreviewReply).

Imports transformers (the tokenizer): worker process only.
"""

from __future__ import annotations

from pathlib import Path

from ollama_trainer import chat_formats, datasets
from ollama_trainer.protocol import JobSpec, PreviewReply
from ollama_trainer.training.worker import base_answers, base_models, batching, train_data
from ollama_trainer.training.worker.preference import Pair
from ollama_trainer.training.worker.probe import PROBE_TOKENS

REPLAY_TOKENS_GUESS = 40  # a replay answer not generated yet: about this many tokens


def tokenizer_for(job: JobSpec):
    from transformers import AutoTokenizer

    base = job.base
    converted = None
    if base is not None and base.gguf:
        final = (Path(job.models_dir) / base_models.BUILTIN_ID if base.kind == "builtin"
                 else Path(job.models_dir) / "converted" / f"{base.architecture or 'model'}-{base.key}")
        converted = final if (final / "config.json").is_file() else None
    if base is not None and base.gguf and converted is None:  # not converted yet: the GGUF's own tokenizer
        tokenizer = AutoTokenizer.from_pretrained(str(Path(base.gguf).parent), gguf_file=Path(base.gguf).name)
    else:
        source, base = base_models.resolve(job.profile.base_model, Path(job.models_dir), base)
        tokenizer = AutoTokenizer.from_pretrained(str(source))
    jinja = chat_formats.training_jinja(chat_formats.FORMATS.get((base.chat_format if base else None) or ""))
    if jinja is not None:
        tokenizer.chat_template = jinja
    elif not getattr(tokenizer, "chat_template", None):
        tokenizer.chat_template = chat_formats.CHATML_JINJA
    return tokenizer


def preview(job_path: Path) -> PreviewReply:
    job = JobSpec.read(job_path)
    p = job.profile
    loaded = datasets.load(job.dataset.path, job.dataset.format)
    if not loaded.valid:
        return PreviewReply(error="; ".join(loaded.report_lines()[:3]) or "the dataset has no examples")
    tokenizer = tokenizer_for(job)
    kept, kept_examples, dropped, lengths = [], [], [], {}  # (trained tokens, all tokens) of each example that trains
    for ex in loaded.examples:
        whole = train_data.encode_example(tokenizer, p, ex, 10**9)
        parts = [whole.chosen, whole.rejected] if isinstance(whole, Pair) else [whole]  # a pair: both answers
        lengths[id(ex)] = max(len(x.input_ids) for x in parts)
        # what training reads: encode() cuts the same encoding at max_seq_len
        cut = [batching.Encoded(x.input_ids[:p.max_seq_len], x.labels[:p.max_seq_len]) for x in parts]
        if any(e.trained_tokens == 0 for e in cut):
            dropped.append(f"{job.dataset.path}, {train_data.left_out(ex, cut, p.max_seq_len)}")
            continue
        kept.append((sum(e.trained_tokens for e in cut), sum(len(e.input_ids) for e in cut)))
        kept_examples.append(ex)
    before = len(loaded.warnings)
    datasets.check_lengths(loaded, lambda ex: lengths[id(ex)], p.max_seq_len)  # a warning per long line
    long_lines = [issue.render(job.dataset.path) for issue in loaded.warnings[before:]]
    # the recipe splits the examples that train (train_data.build: held-out prompts, else batching.split_eval)
    train_idx, eval_idx = (train_data.held_out_split(kept_examples, job.dataset.held_out_prompts)
                           or (batching.split_eval(len(kept), p.eval_fraction, p.seed) if kept else ([], [])))
    n = len(loaded.examples)
    replay = base_answers.replay_count(job, n)
    replay_examples, replay_tokens, replay_cached = _replay(job, tokenizer, replay)
    return PreviewReply(
        examples=n, train_examples=len(train_idx), eval_examples=len(eval_idx), replay_examples=replay_examples,
        replay_cached=replay_cached,
        probe_cached=base_answers.cached(job, [x.prompt for x in job.probe], system=p.system_prompt,
                                         max_new_tokens=PROBE_TOKENS),
        dropped=len(dropped), dropped_lines=dropped[:5], truncated=sum(n > p.max_seq_len for n in lengths.values()), long_lines=long_lines[:5],
        trainable_tokens=sum(kept[i][0] for i in train_idx), longest=max((k[1] for k in kept), default=0),
        total_tokens=sum(kept[i][1] for i in train_idx),
        replay_tokens=replay_tokens)


def _replay(job: JobSpec, tokenizer, count: int) -> tuple[int, int, bool]:
    """(replay examples, their tokens, all cached) as training will have them: counted exactly
    from the base's cached answers, and with a guessed answer length for those not made yet."""
    p = job.profile
    prompts = job.replay_prompts[:count]
    cached = base_answers.cached_answers(job, prompts, system=p.system_prompt,
                                         max_new_tokens=base_answers.REPLAY_TOKENS)
    examples = tokens = 0
    for prompt in prompts:
        answer = cached.get(prompt)
        example = base_answers.replay_example(prompt, answer) if answer is not None else \
            base_answers.replay_example(prompt, "x.")
        if example is None:
            continue
        encoded = batching.encode(tokenizer, example, p.max_seq_len, p.system_prompt)
        if encoded.trained_tokens == 0:
            continue
        extra = 0 if answer is not None else REPLAY_TOKENS_GUESS
        examples += 1
        tokens += min(p.max_seq_len, len(encoded.input_ids) + extra)
    return examples, tokens, len(cached) == len(set(prompts))


def main(job_path: str) -> int:
    try:
        reply = preview(Path(job_path))
    except Exception as exc:  # noqa: BLE001 - one reply line either way
        reply = PreviewReply(error=f"{type(exc).__name__}: {exc}")
    print(reply.model_dump_json(), flush=True)
    return 1 if reply.error else 0
