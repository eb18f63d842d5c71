"""How a run stands, from its folder alone: the events folded into a PULSE snapshot, then how
it ended (summary.json) laid over it. The live job, the run page after a restart and a run
started by another process all read the same way; and the words for an ending are made here
once, for the worker (a clean end), the app (a worker that died) and the next start (a run
left unfinished)."""

from __future__ import annotations

import signal
from pathlib import Path

from ollama_trainer.contracts import TERMINAL_STATES, TrainingRunSummary, TrainingStatus
from ollama_trainer.timestamps import now_iso
from ollama_trainer import protocol
from ollama_trainer.training.events import apply
from ollama_trainer.protocol import JobSpec
from ollama_trainer.training.run_folder import RunFolder

INTERRUPTED = "the app stopped while this run was in progress"
# What native code prints to stderr when an allocation fails before Python can raise: glibc,
# libgomp's thread pool (a thread stack is memory too) and C++ allocators.
OUT_OF_MEMORY_SIGNS = ("Cannot allocate memory", "MemoryError", "out of memory", "std::bad_alloc",
                       "Thread creation failed")


def initial_status(job: JobSpec, state: str = "preparing", message: str = "starting the trainer") -> TrainingStatus:
    return TrainingStatus(training_id=job.training_id, status=state, profile_id=job.profile.id,
                          dataset_id=job.dataset.id, total_epochs=job.epochs, started_at=job.started_at,
                          flow_run_id=job.flow_run_id, resumed_from=job.resumed_from, from_run=job.from_run,
                          message=message,
                          estimate=job.estimate)


def status_of(folder: RunFolder, job: JobSpec | None = None,
              summary: TrainingRunSummary | None = None) -> TrainingStatus | None:
    """The run's snapshot rebuilt from its folder; None when the folder has neither a job nor
    a summary."""
    job = job or folder.read_job()
    summary = summary or folder.read_summary()
    if job is None and summary is None:
        return None
    if job is not None:
        status = initial_status(job, "running" if folder.is_live() else "preparing")
    else:
        status = TrainingStatus(training_id=folder.training_id, status="preparing", profile_id=summary.profile_id,
                                dataset_id=summary.dataset_id, total_epochs=summary.epochs,
                                started_at=summary.started_at, flow_run_id=summary.flow_run_id)
    for event in folder.events():
        apply(status, event)
    if summary is not None:
        overlay(status, summary)
        status.can_resume = summary.status in ("cancelled", "interrupted", "error") and folder.has_checkpoint()
    return status


def overlay(status: TrainingStatus, summary: TrainingRunSummary) -> None:
    """How the run ended, over what its events said."""
    status.status = summary.status
    status.message = summary.message or summary.status
    status.error = summary.error
    status.finished_at = summary.finished_at
    status.eta_s = None
    if summary.final_loss is not None:
        status.loss = summary.final_loss
    if summary.eval_loss is not None:
        status.eval_loss = summary.eval_loss
    if summary.status == "done":
        status.epoch = status.total_epochs
        status.step = status.total_steps or status.step
    status.resumed_from = summary.resumed_from or status.resumed_from
    status.from_run = summary.from_run or status.from_run
    status.estimate = status.estimate or summary.estimate


def clean_end(final: protocol.WorkerEvent) -> tuple[str, str, str | None]:
    """(status, message, error) for a worker that said how it ended."""
    if isinstance(final, protocol.Done):
        return "done", "training finished", None
    if isinstance(final, protocol.Cancelled):
        if final.reason == "app_stopped":
            return ("interrupted", f"{INTERRUPTED}; checkpoint saved at step {final.step}",
                    f"{INTERRUPTED}; resume it from its last checkpoint")
        return "cancelled", f"cancelled; checkpoint saved at step {final.step}", None
    return "error", "training failed", getattr(final, "message", None) or "the trainer failed"


def death_message(code: int, worker_log: Path) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        reason = f"the trainer process was killed by {name}"
        if name == "SIGKILL":
            reason += " (out of memory, or stopped from outside)"
    else:
        reason = f"the trainer exited with code {code} before finishing"
    tail = _tail(worker_log)
    if code > 0 and any(sign in tail for sign in OUT_OF_MEMORY_SIGNS):
        reason += " (out of memory)"
    return reason + (f": {tail}" if tail else "")


def summary_of(job: JobSpec, status: TrainingStatus, *, duration_s: float | None,
               adapter_dir: str | None = None) -> TrainingRunSummary:
    assert status.status in TERMINAL_STATES, status.status
    return TrainingRunSummary(
        training_id=job.training_id, profile_id=job.profile.id, dataset_id=job.dataset.id, status=status.status,
        started_at=job.started_at or now_iso(), finished_at=status.finished_at or now_iso(), epochs=job.epochs,
        final_loss=status.loss, eval_loss=status.eval_loss, duration_s=duration_s, error=status.error,
        flow_run_id=job.flow_run_id, adapter_dir=adapter_dir if status.status == "done" else None,
        message=status.message, resumed_from=job.resumed_from, from_run=job.from_run, base_model=job.profile.base_model,
        base_key=job.base.key if job.base else None,
    )


def end(status: TrainingStatus, state: str, message: str, error: str | None) -> None:
    status.status, status.message, status.error = state, message, error
    status.finished_at, status.eta_s = now_iso(), None


def _tail(path: Path, lines: int = 3, max_chars: int = 400) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])[-max_chars:]
