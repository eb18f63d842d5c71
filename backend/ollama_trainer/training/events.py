"""Reading the worker's JSON-lines events: the run's metrics (loss points for the chart) and
the fold of events into a PULSE v1 status snapshot."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Iterable, Iterator

from ollama_trainer.contracts import MetricPoint, TrainingStatus

log = logging.getLogger(__name__)


def parse_line(line: str | bytes) -> dict | None:
    try:
        event = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return None
    return event if isinstance(event, dict) and isinstance(event.get("event"), str) else None


def read_events(path: Path) -> Iterator[dict]:
    """Events of a run's events.jsonl; a torn or foreign line is skipped."""
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        return
    with f:
        for raw in f:
            event = parse_line(raw)
            if event is not None:
                yield event


def metric_point(event: dict) -> MetricPoint | None:
    kind = event["event"]
    try:
        if kind == "progress":
            return MetricPoint(step=int(event["step"]), epoch=float(event.get("epoch_progress", event["epoch"])),
                               loss=event.get("loss"), lr=event.get("lr"), tokens_per_s=event.get("tokens_per_s"))
        if kind == "eval":
            return MetricPoint(step=int(event["step"]), epoch=float(event["epoch"]), eval_loss=event.get("eval_loss"))
    except (KeyError, TypeError, ValueError):
        log.warning("malformed %s event: %s", kind, event)
    return None


def metric_points(events: Iterable[dict]) -> list[MetricPoint]:
    return [p for p in (metric_point(e) for e in events) if p is not None]


def apply(status: TrainingStatus, event: dict) -> None:
    """Fold one event into the snapshot (terminal states are set by the manager, which also
    knows how the process ended)."""
    kind = event["event"]
    if kind == "started":
        status.message = "loading the base model"
    elif kind == "model_loaded":
        status.message = f"model loaded on {event.get('device', '?')}"
    elif kind == "dataset":
        status.message = f"{event.get('train_examples', '?')} training examples"
    elif kind == "progress":
        status.status = "running"
        for key in ("epoch", "total_epochs", "step", "total_steps", "loss", "tokens_per_s", "eta_s"):
            if event.get(key) is not None:
                setattr(status, key, event[key])
        status.message = f"epoch {status.epoch} / {status.total_epochs}, step {status.step} / {status.total_steps}"
    elif kind == "eval":
        status.eval_loss = event.get("eval_loss")
    elif kind == "checkpoint":
        status.message = f"checkpoint saved at step {event.get('step')}"
    elif kind == "samples":
        status.message = "answering the held-out prompts"
    elif kind == "done":
        status.loss = event.get("final_loss", status.loss)
        status.eval_loss = event.get("eval_loss", status.eval_loss)
        status.eta_s = 0
