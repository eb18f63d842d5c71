"""Everything the UI shows about one run: summary, live status, request, metrics, samples and
the files it produced."""

from __future__ import annotations

import json

from ollama_trainer.contracts import SampleAnswer, TrainingRunDetails
from ollama_trainer.training import history
from ollama_trainer.training.manager import TrainingManager

ARTIFACTS = {
    "run_dir": "",
    "adapter": "adapter",
    "events": "events.jsonl",
    "job": "job.json",
    "samples": "samples.json",
    "modelfile": "Modelfile",
    "gguf_adapter": "adapter.gguf",
    "worker_log": "worker.log",
    "checkpoint": "checkpoints/last",
}


def run_details(manager: TrainingManager, training_id: str) -> TrainingRunDetails:
    status = manager.status(training_id)  # raises unknown_training
    folder = history.run_dir(training_id)
    job = history.load_job(training_id)
    profile = job.profile if job else None
    samples: list[SampleAnswer] = []
    try:
        raw = json.loads((folder / "samples.json").read_text(encoding="utf-8"))
        samples = [SampleAnswer.model_validate(s) for s in raw]
    except (OSError, ValueError):
        pass
    request = None
    if job:
        request = {"epochs": job.epochs, "resumed_from": job.resumed_from, "flow_run_id": job.flow_run_id,
                   "dataset_id": job.dataset.id, "profile_id": job.profile.id}
    return TrainingRunDetails(
        summary=history.load_summary(training_id),
        status=status,
        request=request,
        profile=profile,
        metrics=manager.metrics(training_id, 0).points,
        samples=samples,
        artifacts={k: str(folder / rel) for k, rel in ARTIFACTS.items() if (folder / rel).exists()},
    )
