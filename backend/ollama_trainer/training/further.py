"""Train on feedback: a new run that trains a finished run's model further (its adapter is the
start, not a fresh LoRA), with the settings that run was trained with, linked to it both ways
(the new run's `from_run`; the old run's page lists the runs that went on from it).

    further.train(manager, "20261207-121111-1745c6", catalog.get_dataset_entry("feedback-2026..."))
"""

from __future__ import annotations

from ollama_trainer.contracts import DatasetEntry
from ollama_trainer.errors import NotFound
from ollama_trainer.training import plan, run_preview
from ollama_trainer.training.manager import TrainingManager
from ollama_trainer.training.run_folder import RunFolder


def train(manager: TrainingManager, training_id: str, dataset: DatasetEntry, *, epochs: int | None = None,
          queue: bool = False) -> str:
    """The new run's id. Epochs default to what a set the size of `dataset` needs at the run's
    learning rate (run_preview.epochs_needed: feedback sets are small), at least the run's own."""
    try:
        job = RunFolder.of(training_id).read_job()
    except ValueError:
        job = None
    if job is None:
        raise NotFound(f"no training run '{training_id}'", code="unknown_training")
    if epochs is None:
        examples = len(plan.check_dataset(dataset).examples)
        epochs = max(job.epochs, run_preview.epochs_needed(examples, job.profile))
    return manager.start(job.profile, dataset, epochs=epochs, queue=queue, from_run=training_id)
