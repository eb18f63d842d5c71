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
    linked = _linked(training_id, ("resumed_from", "from_run"))  # one read of the history for both
    request = RunRequest(epochs=job.epochs, resumed_from=job.resumed_from, from_run=job.from_run,
                         flow_run_id=job.flow_run_id, dataset_id=job.dataset.id, profile_id=job.profile.id) if job else None
    return TrainingRunDetails(
        summary=folder.read_summary(),
        status=status,
        request=request,
        continued_by=next(iter(linked["resumed_from"]), None),
        trained_further_by=linked["from_run"],
        profile=job.profile if job else None,
        metrics=manager.metrics(training_id, 0).points,
        samples=folder.samples(),
        scores=folder.scores(),
        artifacts=folder.artifacts(),
    )


def trained_further_by(training_id: str, scan: int = 500) -> list[str]:
    """The runs that started from `training_id`'s trained model (Train on feedback), newest first."""
    return _linked(training_id, ("from_run",), scan)["from_run"]


def _linked(training_id: str, fields: tuple[str, ...], scan: int = 500) -> dict[str, list[str]]:
    """For each field (resumed_from, from_run): the runs whose field names `training_id`, newest first."""
    seen: dict[str, list[str]] = {field: [] for field in fields}
    for summary in [*history.running(), *history.recent(scan)]:
        for field in fields:
            if getattr(summary, field) == training_id and summary.training_id not in seen[field]:
                seen[field].append(summary.training_id)
    return seen
