"""The training history: one TrainingRunSummary per finished run in
<data>/logs/training/training_runs.jsonl (each run's own copy is its folder's summary.json;
run_folder.py writes both)."""

from __future__ import annotations

from pathlib import Path

from ollama_trainer.contracts import TrainingRunSummary
from ollama_trainer.jsonl_log import JsonlLog
from ollama_trainer.protocol import JobSpec
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


def running() -> list[TrainingRunSummary]:
    """The run that holds this machine's job slot now and those waiting in line, as the history
    shows them (status running, preparing or queued; finished_at empty)."""
    from ollama_trainer.timestamps import now_iso
    from ollama_trainer.training import job_slot, outcome

    held = job_slot.holder()
    ids = ([held.training_id] if held else []) + [tid for tid, _ in job_slot.line()]
    out = []
    for tid in dict.fromkeys(ids):
        try:
            folder = RunFolder.of(tid)
        except ValueError:
            continue
        job = folder.read_job()
        if job is None or folder.has_summary():
            continue
        status = outcome.status_of(folder, job)
        state = "queued" if held is None or tid != held.training_id else status.status
        out.append(TrainingRunSummary(
            training_id=tid, profile_id=job.profile.id, dataset_id=job.dataset.id, status=state,
            started_at=job.started_at or now_iso(), finished_at="", epochs=job.epochs, final_loss=status.loss,
            eval_loss=status.eval_loss, message=status.message, flow_run_id=job.flow_run_id,
            resumed_from=job.resumed_from, from_run=job.from_run, base_model=job.profile.base_model))
    return out


def load_summary(training_id: str) -> TrainingRunSummary | None:
    return RunFolder.of(training_id).read_summary()


def load_job(training_id: str) -> JobSpec | None:
    return RunFolder.of(training_id).read_job()
