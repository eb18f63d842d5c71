"""The training history: one TrainingRunSummary per finished run in
<data>/logs/training/training_runs.jsonl (each run's own copy is its folder's summary.json;
run_folder.py writes both)."""

from __future__ import annotations

from pathlib import Path

from ollama_trainer.contracts import TrainingRunSummary
from ollama_trainer.jsonl_log import JsonlLog
from ollama_trainer.training.protocol import JobSpec
from ollama_trainer.training.run_folder import RunFolder, history_log


def log() -> JsonlLog[TrainingRunSummary]:
    return history_log()


def run_dir(training_id: str) -> Path:
    return RunFolder.of(training_id).path


def record(summary: TrainingRunSummary) -> None:
    RunFolder.of(summary.training_id).write_summary(summary)


def recent(limit: int = 10) -> list[TrainingRunSummary]:
    """Newest first. A run whose summary was updated later (an Ollama export after training)
    appears once, in its newest version, at the place of that version."""
    return log().newest(limit, key=lambda s: s.training_id)


def load_summary(training_id: str) -> TrainingRunSummary | None:
    return RunFolder.of(training_id).read_summary()


def load_job(training_id: str) -> JobSpec | None:
    return RunFolder.of(training_id).read_job()
