"""Reading the worker's events (protocol.py): the run's metrics (loss points for the chart)
and the fold of events into a PULSE v1 status snapshot. The same fold serves a live job and
a run rebuilt from its events.jsonl after a restart."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator

from ollama_trainer.contracts import MetricPoint, TrainingStatus
from ollama_trainer import protocol as p
from ollama_trainer.protocol import parse_event

__all__ = ["apply", "metric_point", "metric_points", "parse_event", "read_events"]


def read_events(path: Path) -> Iterator[p.WorkerEvent]:
    """Events of a run's events.jsonl; a torn or foreign line is skipped."""
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        return
    with f:
        for raw in f:
            event = parse_event(raw)
            if event is not None:
                yield event


def metric_point(event: p.WorkerEvent) -> MetricPoint | None:
    if isinstance(event, p.Progress):
        epoch = event.epoch_progress if event.epoch_progress is not None else float(event.epoch)
        return MetricPoint(step=event.step, epoch=epoch, loss=event.loss, lr=event.lr, tokens_per_s=event.tokens_per_s,
                           tokens=event.tokens)
    if isinstance(event, p.Eval):
        return MetricPoint(step=event.step, epoch=float(event.epoch), eval_loss=event.eval_loss)
    return None


def metric_points(events: Iterable[p.WorkerEvent]) -> list[MetricPoint]:
    return [point for point in (metric_point(e) for e in events) if point is not None]


def apply(status: TrainingStatus, event: p.WorkerEvent) -> None:
    """Fold one event into the snapshot (terminal states are set by the manager, which also
    knows how the process ended)."""
    if isinstance(event, p.Started):
        status.message = "loading the base model"
    elif isinstance(event, p.ModelLoaded):
        status.message = f"model loaded on {event.device}"
    elif isinstance(event, p.DatasetLoaded):
        status.message = f"{event.train_examples} training examples"
        status.estimate = status.estimate or event.estimate  # the preview's, when Start recorded it
    elif isinstance(event, p.Progress):
        status.status = "running"
        status.stage = status.stage_done = status.stage_total = None
        status.epoch, status.total_epochs = event.epoch, event.total_epochs
        status.step, status.total_steps = event.step, event.total_steps
        for key in ("loss", "tokens_per_s", "eta_s"):
            if getattr(event, key) is not None:
                setattr(status, key, getattr(event, key))
        status.message = f"epoch {status.epoch} / {status.total_epochs}, step {status.step} / {status.total_steps}"
    elif isinstance(event, p.Eval):
        status.eval_loss = event.eval_loss
        if event.pref_accuracy is not None:
            status.pref_accuracy, status.reward_margin = event.pref_accuracy, event.reward_margin
    elif isinstance(event, p.Checkpoint):
        status.message = f"checkpoint saved at step {event.step}"
    elif isinstance(event, p.Stage):
        status.message = event.message
        status.stage, status.stage_done, status.stage_total = event.stage, event.done, event.total
        status.eta_s = event.eta_s
    elif isinstance(event, p.Samples):
        status.message = "sample answers written"
    elif isinstance(event, p.ModelFile):
        status.message = "the merged model file is written"
    elif isinstance(event, p.Done):
        status.stage = status.stage_done = status.stage_total = None
        status.loss = event.final_loss if event.final_loss is not None else status.loss
        status.eval_loss = event.eval_loss if event.eval_loss is not None else status.eval_loss
        status.eta_s = 0
