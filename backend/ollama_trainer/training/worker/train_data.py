"""What a run trains and evaluates on: the dataset's examples encoded for the base's tokenizer,
split (batching.split_eval, a pure function of the seed), with the base's replay answers added
to the training side only.

Imports torch (batching.py): worker process only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ollama_trainer.contracts import TrainingProfile
from ollama_trainer.training.worker import batching
from ollama_trainer.training.worker.batching import Encoded
from ollama_trainer.training.worker.preparation import ConfigError


@dataclass
class TrainData:
    train_set: list[Encoded]  # the training split, then the replay examples
    eval_set: list[Encoded]
    train_examples: list[dict]  # the examples of the splits, as read (the samples' questions)
    eval_examples: list[dict]
    lengths: list[int]  # tokens of each train_set item (the batches, the estimate)
    replay_count: int
    dataset_answers: list[str]  # every assistant turn of the dataset (the learned score)


def build(tokenizer, profile: TrainingProfile, examples: list[dict], replay: list[dict],
          notice: Callable[[str], None]) -> TrainData:
    """`notice`: told when examples are skipped."""
    encoded, kept, dropped = _encode_all(tokenizer, profile, examples)
    if not encoded:
        raise ConfigError(
            f"no example has assistant tokens within max_seq_len={profile.max_seq_len}; raise max_seq_len in the profile"
        )
    if dropped:
        notice(f"{dropped} example(s) skipped: no assistant tokens within max_seq_len={profile.max_seq_len}")
    train_idx, eval_idx = batching.split_eval(len(encoded), profile.eval_fraction, profile.seed)
    replayed, _, _ = _encode_all(tokenizer, profile, replay)
    train_set = [encoded[i] for i in train_idx] + replayed  # replay trains, never evaluates
    return TrainData(
        train_set=train_set,
        eval_set=[encoded[i] for i in eval_idx],
        train_examples=[kept[i] for i in train_idx],
        eval_examples=[kept[i] for i in eval_idx],
        lengths=[len(e.input_ids) for e in train_set],
        replay_count=len(replayed),
        dataset_answers=[m["content"] for ex in examples for m in ex.get("messages") or []
                         if m.get("role") == "assistant"],
    )


def _encode_all(tokenizer, profile: TrainingProfile, examples: list[dict]) -> tuple[list[Encoded], list[dict], int]:
    """(encoded, the examples they came from, how many were dropped: nothing to learn after truncation)."""
    encoded, kept = [], []
    dropped = 0
    for ex in examples:
        try:
            e = batching.encode(tokenizer, ex, profile.max_seq_len, profile.system_prompt)
        except batching.TemplateError as exc:
            raise ConfigError(f"base model '{profile.base_model}': {exc}") from exc
        if e.trained_tokens == 0:
            dropped += 1
            continue
        encoded.append(e)
        kept.append(ex)
    return encoded, kept, dropped
