"""Everything the UI shows about one run: summary, status, request, metrics, samples and the
files it produced, read from the run's folder (the live job's snapshot while it runs)."""

from __future__ import annotations

from ollama_trainer.contracts import RunRequest, TrainingRunDetails
from ollama_trainer.training import history
from ollama_trainer.training.manager import TrainingManager
from ollama_trainer.training.run_folder import RunFolder


def run_details(manager: TrainingManager, training_id: str) -> TrainingRunDetails:
    status = manager.status(training_id)  # raises unknown_training
    folder = RunFolder.of(training_id)
    job = folder.read_job()
    request = RunRequest(epochs=job.epochs, resumed_from=job.resumed_from, from_run=job.from_run,
                         flow_run_id=job.flow_run_id, dataset_id=job.dataset.id, profile_id=job.profile.id) if job else None
    return TrainingRunDetails(
        summary=folder.read_summary(),
        status=status,
        request=request,
        continued_by=continued_by(training_id),
        trained_further_by=trained_further_by(training_id),
        profile=job.profile if job else None,
        metrics=manager.metrics(training_id, 0).points,
        samples=folder.samples(),
        scores=folder.scores(),
        artifacts=folder.artifacts(),
    )


def continued_by(training_id: str, scan: int = 500) -> str | None:
    """The newest run that resumed `training_id`: running or waiting now, or in the history."""
    return next(iter(_linked(training_id, "resumed_from", scan)), None)


def trained_further_by(training_id: str, scan: int = 500) -> list[str]:
    """The runs that started from `training_id`'s trained model (Train on feedback), newest first."""
    return _linked(training_id, "from_run", scan)


def _linked(training_id: str, field: str, scan: int) -> list[str]:
    seen: list[str] = []
    for summary in [*history.running(), *history.recent(scan)]:
        if getattr(summary, field) == training_id and summary.training_id not in seen:
            seen.append(summary.training_id)
    return seen
