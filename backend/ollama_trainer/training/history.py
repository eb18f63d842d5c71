"""The training history: one TrainingRunSummary per finished run in
<data>/logs/training/training_runs.jsonl, plus summary.json in the run's folder."""

from __future__ import annotations

from pathlib import Path

from ollama_trainer import atomic, paths
from ollama_trainer.contracts import TrainingRunSummary
from ollama_trainer.jsonl_log import JsonlLog
from ollama_trainer.training.protocol import JobSpec


def log() -> JsonlLog[TrainingRunSummary]:
    return JsonlLog(paths.training_log(), TrainingRunSummary)


def run_dir(training_id: str) -> Path:
    return paths.runs_dir() / training_id


def record(summary: TrainingRunSummary) -> None:
    """Write the run's own summary.json (atomically), then append to the shared history. A
    second record for the same run (adding ollama_model after an export) supersedes the first."""
    folder = run_dir(summary.training_id)
    folder.mkdir(parents=True, exist_ok=True)
    atomic.write_text(folder / "summary.json", summary.model_dump_json(indent=2))
    log().append(summary)


def recent(limit: int = 10) -> list[TrainingRunSummary]:
    """Newest first. A run whose summary was updated later (an Ollama export after training)
    appears once, in its newest version, at the place of that version."""
    return log().newest(limit, key=lambda s: s.training_id)


def load_summary(training_id: str) -> TrainingRunSummary | None:
    path = run_dir(training_id) / "summary.json"
    try:
        return TrainingRunSummary.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return log().find_newest(lambda s: s.training_id == training_id)


def load_job(training_id: str) -> JobSpec | None:
    try:
        return JobSpec.read(run_dir(training_id) / "job.json")
    except (OSError, ValueError):
        return None
