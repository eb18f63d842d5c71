"""Runs side by side: their settings (with the ones that differ named), loss curves, scores and
sample answers, read from their folders."""

from __future__ import annotations

from ollama_trainer.contracts import ComparedRun, CompareResult
from ollama_trainer.errors import DomainError, NotFound
from ollama_trainer.training.run_folder import RunFolder


def flat_settings(profile: dict, prefix: str = "") -> dict:
    """{"lora.r": 16, "learning_rate": 0.001, ...}: nested settings as dotted keys."""
    out = {}
    for key, value in profile.items():
        if isinstance(value, dict):
            out.update(flat_settings(value, f"{prefix}{key}."))
        elif isinstance(value, list):
            out[f"{prefix}{key}"] = ", ".join(str(v) for v in value)
        else:
            out[f"{prefix}{key}"] = value
    return out


def compare(training_ids: list[str]) -> CompareResult:
    if len(set(training_ids)) < 2:
        raise DomainError("choose at least two different runs to compare", code="invalid_argument")
    runs = []
    for tid in dict.fromkeys(training_ids):
        folder = RunFolder.of(tid)
        job, summary = folder.read_job(), folder.read_summary()
        if job is None and summary is None:
            raise NotFound(f"no training run '{tid}'", code="unknown_training")
        settings = flat_settings(job.profile.model_dump(mode="json", exclude={"name", "description", "source"})) \
            if job else {}
        if job:
            settings.update({"dataset": job.dataset.id, "epochs": job.epochs})
        runs.append(ComparedRun(training_id=tid, summary=summary, settings=settings, metrics=folder.metric_points(),
                                scores=folder.scores(), samples=folder.samples()))
    keys = sorted({k for r in runs for k in r.settings})
    differing = [k for k in keys if len({repr(r.settings.get(k)) for r in runs}) > 1]
    return CompareResult(runs=runs, settings=keys, differing=differing)
