"""The base model made ready to train, failing fast on a bad configuration: the dataset is read
and checked before the model loads, the LoRA's target modules must exist in the base model, the
turn tokens of a chat format the base does not know train too, and gradient checkpointing goes
on where the estimate says so."""

from __future__ import annotations

from collections.abc import Callable

from ollama_trainer.contracts import TrainingProfile
from ollama_trainer.protocol import JobDataset
from ollama_trainer.training.worker.devices import seed_everything
from ollama_trainer.training.worker.fused import fuse_lora


class ConfigError(Exception):
    """The job cannot run as configured; the message names the fix."""


class Diverged(Exception):
    """The loss diverged (evaluation/divergence.py); the message says at which step and what to do."""


def load_examples(spec: JobDataset) -> list[dict]:
    """The dataset's examples; a file that cannot be read or is invalid fails before the model loads."""
    from ollama_trainer import datasets

    try:
        loaded = datasets.load(spec.path, spec.format)
    except datasets.DatasetReadError as exc:
        raise ConfigError(f"dataset '{spec.id}' cannot be read: {exc}") from exc
    if not loaded.valid:
        lines = loaded.report_lines()[:5] or ["it has no examples"]
        raise ConfigError(f"dataset '{spec.id}' is invalid: " + "; ".join(lines))
    return list(loaded.examples)


# A base whose chat format's end-of-turn token has this probability or less where an answer
# ends (a pretrained model never taught the format: Gemma 3 270M gives it 5e-15) cannot learn to
# stop through LoRA alone: its turn tokens' embedding rows look like every unused token's.
UNTRAINED_END_P = 1e-3


def untrained_turn_tokens(model, tokenizer, example) -> list[int]:
    """The chat format's turn tokens (end and start of a turn) when the base does not know
    them: the embedding rows to train beside the LoRA (token_rows.py), so the trained model
    learns to end its answers. [] for a model that knows its format, or a text example."""
    import torch

    from ollama_trainer.chat_formats import END_OF_TURN_TOKENS, START_OF_TURN_TOKENS

    vocab = tokenizer.get_vocab()
    ends = {vocab[t] for t in END_OF_TURN_TOKENS if t in vocab}
    positions = [i for i, label in enumerate(example.labels) if label in ends]
    if not positions:
        return []
    ids = torch.tensor([example.input_ids[: positions[0] + 1]])
    with torch.no_grad():
        logits = model(input_ids=ids).logits[0, positions[0] - 1].float()
    p_end = logits.softmax(-1)[example.labels[positions[0]]].item()
    if p_end > UNTRAINED_END_P:
        return []
    return sorted(ends | {vocab[t] for t in START_OF_TURN_TOKENS if t in vocab})


def turn_tokens(model, tokenizer, examples: list[dict], profile: TrainingProfile,
                notice: Callable[[str], None]) -> list[int]:
    """The turn tokens' embedding rows to train, judged on the first chat example (see
    untrained_turn_tokens), told to `notice`; [] without one, or with a template that fails
    (the data's encoding says what is wrong with it)."""
    from ollama_trainer.training.worker import batching

    first = next((ex for ex in examples if "messages" in ex), None)
    if first is None:
        return []
    try:
        encoded = batching.encode(tokenizer, first, profile.max_seq_len, profile.system_prompt)
    except batching.TemplateError:
        return []
    rows = untrained_turn_tokens(model, tokenizer, encoded)
    if rows:
        names = ", ".join(tokenizer.convert_ids_to_tokens(rows))
        notice(f"the base model does not know its chat format's turn tokens ({names}): "
               "their embeddings are trained too, so the model learns to end its answers")
    return rows


def attach_lora(model, profile: TrainingProfile, token_rows: list[int] | None = None):
    """The model with the profile's LoRA on its target modules (which must exist in it), fused;
    `token_rows`: embedding rows trained too (untrained_turn_tokens)."""
    from peft import LoraConfig, get_peft_model

    lora = profile.lora
    names = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
    absent = [m for m in lora.target_modules if m not in names]
    if absent:
        raise ConfigError(
            f"LoRA target modules {absent} are not in base model '{profile.base_model}'; "
            f"edit the profile's lora.target_modules (this model has e.g. {sorted(n for n in names if n.endswith('proj'))[:8]})"
        )
    seed_everything(profile.seed)
    config = LoraConfig(
        r=lora.r,
        lora_alpha=lora.alpha,
        lora_dropout=lora.dropout,
        target_modules=list(lora.target_modules),
        bias="none",
        task_type="CAUSAL_LM",
    )
    model.config.use_cache = False
    model = get_peft_model(model, config)
    fuse_lora(model)  # same outputs, fewer passes over the activations (fused.py)
    if token_rows:
        from ollama_trainer.training.worker import token_rows as rows

        rows.attach(model, list(token_rows))
    return model


def start_from(model, adapter_dir: str) -> None:
    """Put a finished run's trained weights (its LoRA and any token rows) into the fresh LoRA
    attach_lora made (the same rank and modules: plan.trained_adapter checked): the run trains
    that model further (Train on feedback)."""
    from pathlib import Path

    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    from ollama_trainer.training.worker import token_rows as rows

    folder = Path(adapter_dir)
    weights = folder / "adapter_model.safetensors"
    if not weights.is_file():
        raise ConfigError(f"the trained model to start from is gone: no {weights}")
    saved = load_file(str(weights))
    loaded = set_peft_model_state_dict(model, saved)
    unused = [k for k in getattr(loaded, "unexpected_keys", []) if "lora_" in k]
    if unused or not saved:
        raise ConfigError(f"the trained model in {folder} does not fit this LoRA ({len(unused)} weights left over)")
    taken = rows.take(model, folder)
    if taken is False:
        raise ConfigError(f"the trained token rows in {folder} are for other tokens than this run trains")


def gradient_checkpointing(model) -> None:
    """Recompute each decoder layer's activations in the backward pass (non-reentrant: the
    frozen inputs need no grad)."""
    base = model.get_base_model()
    base.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    base.config.use_cache = False
