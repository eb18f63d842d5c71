"""What a run trains and evaluates on: the dataset's examples encoded for the base's tokenizer,
split (batching.split_eval, a pure function of the seed; examples whose prompt is one of the
dataset's held-out prompts are the eval split instead), with the base's replay answers added to
the training side only. A preference example becomes a Pair (preference.py) for DPO and ORPO,
its prompt with the chosen answer for `preference_loss: sft`.

Imports torch (batching.py): worker process only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ollama_trainer.contracts import TrainingProfile
from ollama_trainer.datasets import is_pair, prompt_of, to_chat_messages
from ollama_trainer.training.worker import batching, preference
from ollama_trainer.training.worker.batching import Encoded
from ollama_trainer.training.worker.preference import Pair
from ollama_trainer.training.worker.preparation import ConfigError


@dataclass
class TrainData:
    train_set: list[Encoded | Pair]  # the training split, then the replay examples
    eval_set: list[Encoded | Pair]
    train_examples: list[dict]  # the examples of the splits, as read (the samples' questions)
    eval_examples: list[dict]
    lengths: list[int]  # tokens of each train_set item (the batches, the estimate)
    replay_count: int
    dataset_answers: list[str]  # every assistant turn of the dataset (the learned score)


def build(tokenizer, profile: TrainingProfile, examples: list[dict], replay: list[dict],
          notice: Callable[[str], None], held_out: list[str] | None = None) -> TrainData:
    """`notice`: told when examples are skipped; `held_out`: the dataset's held-out prompts."""
    encoded, kept, dropped = _encode_all(tokenizer, profile, examples)
    if not encoded:
        raise ConfigError(
            f"no example has assistant tokens within max_seq_len={profile.max_seq_len}; raise max_seq_len in the "
            "profile (" + "; ".join(dropped[:3]) + ")"
        )
    if dropped:
        notice(f"{len(dropped)} example(s) skipped: " + "; ".join(dropped[:3]) + ("; ..." if len(dropped) > 3 else ""))
    train_idx, eval_idx = held_out_split(kept, held_out) or batching.split_eval(len(encoded), profile.eval_fraction,
                                                                                  profile.seed)
    replayed, _, _ = _encode_all(tokenizer, profile, replay)
    train_set = [encoded[i] for i in train_idx] + replayed  # replay trains, never evaluates
    return TrainData(
        train_set=train_set,
        eval_set=[encoded[i] for i in eval_idx],
        train_examples=[kept[i] for i in train_idx],
        eval_examples=[kept[i] for i in eval_idx],
        lengths=[len(e.input_ids) for e in train_set],
        replay_count=len(replayed),
        dataset_answers=[m["content"] for ex in examples for m in to_chat_messages(ex) or []
                         if m.get("role") == "assistant"],
    )


def _encode_all(tokenizer, profile: TrainingProfile, examples: list[dict]) -> tuple[list[Encoded], list[dict], list[str]]:
    """(encoded, the examples they came from, why each dropped one was: nothing to learn after
    truncation, left_out's words)."""
    encoded, kept, dropped = [], [], []
    for ex in examples:
        try:
            e = encode_example(tokenizer, profile, ex)
        except batching.TemplateError as exc:
            raise ConfigError(f"base model '{profile.base_model}': {exc}") from exc
        parts = [e.chosen, e.rejected] if isinstance(e, Pair) else [e]
        if any(x.trained_tokens == 0 for x in parts):
            dropped.append(left_out(ex, parts, profile.max_seq_len))
            continue
        encoded.append(e)
        kept.append(ex)
    return encoded, kept, dropped


def left_out(ex: dict, parts: list[Encoded], max_seq_len: int) -> str:
    """Why an example trains nothing, by its line: its prompt fills max_seq_len (for a pair:
    before the chosen or the rejected answer), or its answer is empty."""
    names = ["", ""] if len(parts) == 1 else [" chosen", " rejected"]
    for name, x in zip(names, parts):
        if x.trained_tokens == 0 and len(x.input_ids) >= max_seq_len:
            return (f"line {ex.get('line')}: the prompt fills max_seq_len ({max_seq_len} tokens), so nothing of the"
                    f"{name} answer trains; raise max_seq_len or shorten the prompt")
    return f"line {ex.get('line')}: the answer is empty"


def encode_example(tokenizer, profile: TrainingProfile, ex: dict, max_seq_len: int | None = None) -> Encoded | Pair:
    """What training reads of one example: a Pair for DPO and ORPO, else one encoded
    conversation (a pair's prompt and chosen answer for `preference_loss: sft`)."""
    limit = max_seq_len or profile.max_seq_len
    if is_pair(ex):
        if profile.preference_loss != "sft":
            return preference.encode_pair(tokenizer, ex, limit, profile.system_prompt)
        ex = {"messages": to_chat_messages(ex), "line": ex.get("line")}
    return batching.encode(tokenizer, ex, limit, profile.system_prompt)


def held_out_split(examples: list[dict], held_out: list[str] | None) -> tuple[list[int], list[int]] | None:
    """(train, eval) indices when some examples ask one of the dataset's held-out prompts (their
    last user turn): those are the eval split, never trained on; None when none does."""
    wanted = {" ".join(x.split()).lower() for x in held_out or [] if x.strip()}
    if not wanted:
        return None
    eval_idx = []
    for i, ex in enumerate(examples):
        prompt = prompt_of(ex) or []
        users = [m["content"] for m in prompt if m["role"] == "user"]
        if users and " ".join(users[-1].split()).lower() in wanted:
            eval_idx.append(i)
    if not eval_idx or len(eval_idx) == len(examples):
        return None
    held = set(eval_idx)
    return [i for i in range(len(examples)) if i not in held], eval_idx
