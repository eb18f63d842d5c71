"""A training run's folder, `<data>/runs/<training_id>/`, and the only code that knows its file
names. Both the app and the worker use it (no torch here).

    job.json        JobSpec: the exact request and the resolved profile (written once)
    events.jsonl    the worker's events (protocol.py), one JSON object per line
    summary.json    TrainingRunSummary once the run ended (also appended to the history log)
    samples.json    held-out prompts answered before and after
    scores.json     learned and kept (RunScores) training
    export.json     the last export to Ollama
    .lock           held (flock) by the worker while it runs, and by the app that started it
    keep-running    present when the user closed the app and chose to let the run go on
    worker.log      the worker's stderr
    adapter/  checkpoints/last/  model.gguf  merged/  Modelfile  adapter.gguf

The summary has one writer API, `write_summary`: whoever sees the run end writes it once
(the worker when it ends by itself, the app when the worker died, the next start for a run
left unfinished), and `update_summary` adds what comes later (the Ollama model).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterator

from ollama_trainer import atomic, file_lock, paths
from ollama_trainer.contracts import MetricPoint, SampleAnswer, TrainingRunSummary
from ollama_trainer.errors import InvalidArgument
from ollama_trainer.jsonl_log import JsonlLog
from ollama_trainer import protocol
from ollama_trainer.protocol import JobSpec

JOB, EVENTS, SUMMARY, SAMPLES, EXPORT = "job.json", "events.jsonl", "summary.json", "samples.json", "export.json"
SCORES = "scores.json"
LOCK, KEEP_RUNNING, WORKER_LOG = ".lock", "keep-running", "worker.log"
ADAPTER, CHECKPOINT, MODEL_GGUF, MERGED = "adapter", "checkpoints/last", "model.gguf", "merged"
MODELFILE, GGUF_ADAPTER, EVAL = "Modelfile", "adapter.gguf", "eval.json"
# what the run page lists, by the name it shows
ARTIFACTS = {
    "run_dir": "", "adapter": ADAPTER, "model_file": MODEL_GGUF, "merged": MERGED, "events": EVENTS, "job": JOB,
    "samples": SAMPLES, "scores": SCORES, "modelfile": MODELFILE, "gguf_adapter": GGUF_ADAPTER, "worker_log": WORKER_LOG,
    "checkpoint": CHECKPOINT,
}


def history_log(path: Path | None = None) -> JsonlLog[TrainingRunSummary]:
    return JsonlLog(path or paths.training_log(), TrainingRunSummary)


class RunFolder:
    def __init__(self, path: Path, training_id: str | None = None):
        self.path = Path(path)
        self.training_id = training_id or self.path.name

    @classmethod
    def of(cls, training_id: str) -> "RunFolder":
        if not paths.is_valid_id(training_id):
            raise InvalidArgument(f"invalid training id '{training_id}'")
        return cls(paths.runs_dir() / training_id, training_id)

    def file(self, name: str) -> Path:
        return self.path / name

    def exists(self) -> bool:
        return self.path.is_dir()

    # -- job ------------------------------------------------------------------------------
    def read_job(self) -> JobSpec | None:
        try:
            return JobSpec.read(self.file(JOB))
        except (OSError, ValueError):
            return None

    def write_job(self, job: JobSpec) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        job.write(self.file(JOB))

    # -- summary: one writer --------------------------------------------------------------
    def read_summary(self) -> TrainingRunSummary | None:
        try:
            return TrainingRunSummary.model_validate_json(self.file(SUMMARY).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return history_log().find_newest(lambda s: s.training_id == self.training_id)

    def has_summary(self) -> bool:
        return self.file(SUMMARY).is_file()

    def write_summary(self, summary: TrainingRunSummary, *, log_path: Path | None = None) -> None:
        """summary.json (atomically), then one line in the shared history log. A second record
        for the same run (the Ollama model after an export) supersedes the first."""
        self.path.mkdir(parents=True, exist_ok=True)
        atomic.write_text(self.file(SUMMARY), summary.model_dump_json(indent=2))
        history_log(log_path).append(summary)

    def update_summary(self, **changes) -> TrainingRunSummary | None:
        summary = self.read_summary()
        if summary is None:
            return None
        updated = summary.model_copy(update=changes)
        if updated != summary:
            self.write_summary(updated)
        return updated

    # -- events, samples ------------------------------------------------------------------
    def events(self) -> Iterator[protocol.WorkerEvent]:
        try:
            f = open(self.file(EVENTS), "rb")
        except FileNotFoundError:
            return
        with f:
            for raw in f:
                event = protocol.parse_event(raw)
                if event is not None:
                    yield event

    def metric_points(self) -> list[MetricPoint]:
        from ollama_trainer.training.events import metric_points

        return metric_points(self.events())

    def samples(self) -> list[SampleAnswer]:
        try:
            return [SampleAnswer.model_validate(s) for s in json.loads(self.file(SAMPLES).read_text(encoding="utf-8"))]
        except (OSError, ValueError, TypeError):
            return []

    def scores(self):
        from ollama_trainer.contracts import RunScores

        try:
            return RunScores.model_validate_json(self.file(SCORES).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    # -- checkpoint, artifacts ------------------------------------------------------------
    @property
    def checkpoint(self) -> Path:
        return self.file(CHECKPOINT)

    def has_checkpoint(self) -> bool:
        return (self.checkpoint / "state.json").is_file()

    def checkpoint_state(self) -> protocol.CheckpointState | None:
        try:
            return protocol.CheckpointState.model_validate_json(
                (self.checkpoint / "state.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def artifacts(self) -> dict[str, str]:
        return {k: str(self.file(rel)) for k, rel in ARTIFACTS.items() if self.file(rel).exists()}

    # -- liveness -------------------------------------------------------------------------
    def lock(self) -> int:
        """Take the run's lock (non-blocking); returns the fd. BlockingIOError when a live
        process (the run's worker, or the app that started it) holds it."""
        self.path.mkdir(parents=True, exist_ok=True)
        return file_lock.take(self.file(LOCK))

    def lock_waiting(self, timeout: float = 30.0) -> int | None:
        """The run's lock, waiting up to `timeout` for whoever holds it; None on a timeout."""
        import time

        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.lock()
            except OSError:
                if time.monotonic() > deadline:
                    return None
                time.sleep(0.1)

    def is_live(self) -> bool:
        """Someone holds the lock: the run's worker is still at work."""
        try:
            fd = self.lock()
        except OSError:
            return True
        os.close(fd)
        return False

    def keep_running(self, on: bool = True, *, origin: str = "") -> None:
        """Let the worker outlive the app (the user closed the window and chose so); `origin`
        is the app that let it go ("window", "browser"), which knows it as its own on its next
        start."""
        if on:
            self.file(KEEP_RUNNING).write_text(origin, encoding="utf-8")
        else:
            self.file(KEEP_RUNNING).unlink(missing_ok=True)

    def kept_running(self) -> bool:
        return self.file(KEEP_RUNNING).exists()

    def kept_by(self) -> str | None:
        """The app that let the run go on without it, or None."""
        try:
            return self.file(KEEP_RUNNING).read_text(encoding="utf-8").strip() or None
        except OSError:
            return None
