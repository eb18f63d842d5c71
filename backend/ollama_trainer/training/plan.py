"""What a run will be, before it exists: the profile with the user's overrides and base, the
resolved base model, the epochs, and the JobSpec the worker reads. The manager starts runs
from it and the run preview counts what a run would train on from the same JobSpec, so the
preview and the run cannot disagree about the profile, the base or the prompt format.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from ollama_trainer import paths

from ollama_trainer import bases
from ollama_trainer.contracts import MAX_EPOCHS, DatasetEntry, TrainingOverrides, TrainingProfile
from ollama_trainer.datasets import system_prompts
from ollama_trainer.errors import DomainError, NotFound
from ollama_trainer.evaluation import prompt_sets
from ollama_trainer.protocol import BaseModelFile, JobDataset, JobSpec
from ollama_trainer.weights import architectures

SPEED_HISTORY = 20  # the estimate's speed: the median of this many latest runs on the same base


def new_training_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]


def validate_epochs(epochs: int | None, profile: TrainingProfile) -> int:
    value = profile.default_epochs if epochs is None else epochs
    if not isinstance(value, int) or not 1 <= value <= MAX_EPOCHS:
        raise DomainError(f"epochs must be a whole number from 1 to {MAX_EPOCHS}, not {epochs!r}", code="invalid_epochs")
    return value


def check_dataset(entry: DatasetEntry):
    """The dataset loaded (datasets.LoadedDataset); DomainError when it has errors."""
    from ollama_trainer import datasets

    loaded = datasets.load(entry.path, entry.format)
    if not loaded.valid:
        lines = loaded.report_lines()[:5] or [f"{entry.path}: no examples"]
        more = len(loaded.errors) - len(lines)
        raise DomainError(
            f"dataset '{entry.id}' has errors:\n" + "\n".join(lines) + (f"\n(and {more} more)" if more > 0 else ""),
            code="invalid_dataset",
        )
    return loaded


def apply_overrides(profile: TrainingProfile, overrides: TrainingOverrides | None) -> TrainingProfile:
    if overrides is None:
        return profile
    changes = {k: v for k, v in overrides.model_dump().items() if v is not None}
    return profile.model_copy(update=changes)


@dataclass(frozen=True)
class Resolved:
    profile: TrainingProfile  # as it will train
    base: BaseModelFile
    epochs: int
    system: system_prompts.SystemChoice  # what the trained model is asked with


def resolve(profile: TrainingProfile, dataset: DatasetEntry, *, epochs: int | None = None,
            overrides: TrainingOverrides | None = None, base: str | None = None) -> Resolved:
    """The run as it will be; the errors a person can fix (epochs, a broken dataset, a base that
    is not there) are raised here, before any run folder exists. `base` trains another base
    than the profile's."""
    epochs = validate_epochs(epochs, profile)
    if base:
        profile = profile.model_copy(update={"base_model": bases.canonical(base)})
    profile = apply_overrides(profile, overrides)
    loaded = check_dataset(dataset)
    resolved = bases.resolve(profile.base_model)
    if resolved.architecture:  # a hub id's is known only once it is downloaded
        try:
            architectures.get(resolved.architecture)
        except architectures.UnsupportedArchitecture as exc:
            raise DomainError(f"the base model {profile.base_model} cannot be trained here: {exc}",
                              code="not_available") from None
    system = system_prompts.choose(profile_prompt=profile.system_prompt, examples=loaded.examples,
                                   ollama_prompt=resolved.ollama_system)
    if system.source == "ollama":  # train with the system prompt Ollama gives it, too
        profile = profile.model_copy(update={"system_prompt": resolved.ollama_system})
    return Resolved(profile, resolved, epochs, system)


def trained_adapter(from_run: str, run: Resolved) -> str:
    """The adapter folder of `from_run`, the finished run whose trained model `run` trains
    further; DomainError when it has none or trained another base or another LoRA shape."""
    from ollama_trainer.training.run_folder import ADAPTER, RunFolder

    try:
        folder = RunFolder.of(from_run)
    except ValueError:
        raise NotFound(f"no training run '{from_run}'", code="unknown_training") from None
    if (job := folder.read_job()) is None:
        raise NotFound(f"no training run '{from_run}'", code="unknown_training")
    adapter = folder.file(ADAPTER)
    if not (adapter / "adapter_config.json").is_file():
        raise DomainError(f"run {from_run} has no trained model to start from (it did not finish)",
                          code="invalid_argument")
    same_base = job.profile.base_model == run.profile.base_model and (
        not (job.base and job.base.key and run.base.key) or job.base.key == run.base.key)
    if not same_base:
        raise DomainError(f"run {from_run} trained {job.profile.base_model}; this run would train "
                          f"{run.profile.base_model}: a trained model goes on only on its own base",
                          code="invalid_argument")
    was, now = job.profile.lora, run.profile.lora
    if (was.r, sorted(was.target_modules)) != (now.r, sorted(now.target_modules)):
        raise DomainError(f"run {from_run} trained a LoRA of rank {was.r} on {', '.join(was.target_modules)}; "
                          f"this profile's is rank {now.r} on {', '.join(now.target_modules)}: use the same",
                          code="invalid_argument")
    return str(adapter)


def earlier_speeds(base: BaseModelFile, device: str | None = None) -> list[float]:
    """Tokens/s of the latest finished runs on the same weights here (newest first)."""
    from ollama_trainer.training import history

    if not base.key:
        return []
    out = []
    for summary in history.recent(200):
        if summary.base_key == base.key and summary.tokens_per_s and summary.status == "done" and (
                device is None or summary.estimate is None or summary.estimate.device == device):
            out.append(summary.tokens_per_s)
        if len(out) >= SPEED_HISTORY:
            break
    return out


def job_spec(training_id: str, run: Resolved, dataset: DatasetEntry, **extra) -> JobSpec:
    """The job.json of a run (or of a preview: training_id 'preview')."""
    profile, base, epochs = run.profile, run.base, run.epochs
    return JobSpec(
        training_id=training_id, epochs=epochs, profile=profile,
        system_prompt=run.system.prompt, system_source=run.system.source, system_note=run.system.note,
        dataset=JobDataset(id=dataset.id, path=dataset.path, format=dataset.format,
                           held_out_prompts=dataset.held_out_prompts, held_out_checks=dataset.held_out_checks),
        models_dir=str(paths.models_dir()), base=base, history_log=str(paths.training_log()),
        replay_prompts=prompt_sets.replay_prompts(), probe=prompt_sets.probe(), speeds=earlier_speeds(base),
        **extra,
    )
