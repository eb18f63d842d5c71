"""Fail fast on a bad configuration, before any training: the dataset is read and checked
before the model loads, and the LoRA's target modules must exist in the base model."""

from __future__ import annotations

from ollama_trainer.contracts import TrainingProfile
from ollama_trainer.training.protocol import JobDataset
from ollama_trainer.training.worker.devices import seed_everything
from ollama_trainer.training.worker.fused import fuse_lora


class ConfigError(Exception):
    """The job cannot run as configured; the message names the fix."""


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


def attach_lora(model, profile: TrainingProfile):
    """The model with the profile's LoRA on its target modules (which must exist in it), fused."""
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
    return model
