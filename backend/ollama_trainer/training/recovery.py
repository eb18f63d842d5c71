"""Runs left unfinished. At start-up: the runs with a job.json but no summary. One whose worker still runs (another
process started it, or the app was closed with "keep it running") is followed again by the
manager; one whose worker is gone was left by an app that stopped, and is recorded `interrupted`
here (resumable from its last checkpoint). Before a resume: whether the run can be resumed."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from typing import Literal

from ollama_trainer import paths
from ollama_trainer.errors import DomainError, NotFound
from ollama_trainer.training import outcome
from ollama_trainer.training.run_folder import JOB, RunFolder

log = logging.getLogger(__name__)


def unfinished_runs() -> Iterator[RunFolder]:
    runs = paths.runs_dir()
    for run_dir in sorted(runs.iterdir()) if runs.is_dir() else []:
        folder = RunFolder(run_dir)
        if folder.file(JOB).is_file() and not folder.has_summary():
            yield folder


def settle(folder: RunFolder) -> Literal["running", "interrupted", "unreadable"]:
    """`running` when a worker holds the run's lock; else the run is recorded `interrupted`."""
    try:
        fd = folder.lock()
    except OSError:
        return "running"
    try:
        job = folder.read_job()
        if job is None:
            return "unreadable"
        status = outcome.status_of(folder, job)
        error = outcome.INTERRUPTED + ("; resume it from its last checkpoint" if folder.has_checkpoint() else "")
        outcome.end(status, "interrupted", outcome.INTERRUPTED, error)
        folder.write_summary(outcome.summary_of(job, status, duration_s=None))
        return "interrupted"
    except (OSError, ValueError, KeyError) as exc:
        log.warning("could not recover run %s: %s", folder.training_id, exc)
        return "unreadable"
    finally:
        os.close(fd)


def check_resumable(source_id: str, epochs: int) -> None:
    """A run can be resumed to `epochs`: it has a checkpoint, and epochs left to train."""
    source = RunFolder.of(source_id)
    if not source.has_checkpoint():
        raise NotFound(f"run '{source_id}' has no checkpoint to resume from", code="no_checkpoint")
    state = source.checkpoint_state()
    done_epochs, batch = (state.epoch, state.batch_index) if state else (0, 0)
    if done_epochs >= epochs and batch == 0:
        raise DomainError(
            f"run '{source_id}' has already trained {done_epochs} of {epochs} epochs: resuming would train "
            f"nothing; resume with more epochs (e.g. --epochs {done_epochs + 2}) or start a new run",
            code="nothing_to_resume")
