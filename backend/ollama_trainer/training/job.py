"""One training job as the manager follows it: its run folder and JobSpec, its live status, the
worker process (when this process started it) and what holds it its place (locks, a ticket)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from ollama_trainer import protocol
from ollama_trainer.contracts import MetricPoint, TrainingProfile, TrainingStatus
from ollama_trainer.protocol import JobSpec
from ollama_trainer.training import job_slot
from ollama_trainer.training.run_folder import RunFolder
from ollama_trainer.training.supervisor import Supervisor


@dataclass
class Job:
    training_id: str
    folder: RunFolder
    spec: JobSpec
    status: TrainingStatus
    origin: str = "app"
    process: object | None = None  # the worker's Popen, when this process started it
    supervisor: Supervisor | None = None
    points: list[MetricPoint] = field(default_factory=list)
    final: protocol.WorkerEvent | None = None
    started: float = field(default_factory=time.monotonic)
    finished: threading.Event = field(default_factory=threading.Event)
    lock_fd: int | None = None
    slot_fd: int | None = None
    ticket: job_slot.Ticket | None = None
    cancel_requested: bool = False

    @property
    def run_dir(self):
        return self.folder.path

    @property
    def profile(self) -> TrainingProfile:
        return self.spec.profile
