"""The training manager: runs one worker subprocess at a time, follows its events into a PULSE
v1 snapshot, cancels gracefully, and records a summary for every run that ends.

Threads: `start` spawns the worker and a follower thread that reads its stdout; everything the
follower and the callers share is guarded by the manager's lock.
"""

from __future__ import annotations

import ctypes
import fcntl
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ollama_trainer.timestamps import now_iso
from ollama_trainer import bases, paths
from ollama_trainer.contracts import (
    MAX_EPOCHS, TERMINAL_STATES, DatasetEntry, MetricPoint, TrainingMetrics, TrainingOverrides, TrainingProfile,
    TrainingRunSummary, TrainingStatus,
)
from ollama_trainer.errors import Conflict, DomainError, NotFound
from ollama_trainer.training import events as ev
from ollama_trainer.training import protocol
from ollama_trainer.training.protocol import BaseModelFile, JobDataset, JobSpec
from ollama_trainer.training import history

log = logging.getLogger(__name__)


def new_training_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]


# Linux delivers PR_SET_PDEATHSIG when the *thread* that forked the child ends, not the process:
# workers are forked from this one long-lived thread, never from a short-lived request thread.
_SPAWNER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="worker-spawner")


def _die_with_parent() -> None:  # runs in the child before exec (Linux): SIGTERM when the app dies
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


@dataclass
class Job:
    training_id: str
    run_dir: Path
    profile: TrainingProfile
    dataset: DatasetEntry
    epochs: int
    status: TrainingStatus
    process: subprocess.Popen | None = None
    points: list[MetricPoint] = field(default_factory=list)
    final: protocol.WorkerEvent | None = None  # the done / cancelled / error event
    cancel_requested: bool = False
    killed_after_grace: bool = False
    started: float = field(default_factory=time.monotonic)
    finished: threading.Event = field(default_factory=threading.Event)
    lock_fd: int | None = None
    adapter_dir: str | None = None
    last_event: float = field(default_factory=time.monotonic)
    hung: bool = False


def validate_epochs(epochs: int | None, profile: TrainingProfile) -> int:
    value = profile.default_epochs if epochs is None else epochs
    if not isinstance(value, int) or not 1 <= value <= MAX_EPOCHS:
        raise DomainError(f"epochs must be a whole number from 1 to {MAX_EPOCHS}, not {epochs!r}", code="invalid_epochs")
    return value


def check_dataset(entry: DatasetEntry) -> None:
    from ollama_trainer import datasets

    loaded = datasets.load(entry.path, entry.format)
    if not loaded.valid:
        lines = loaded.report_lines()[:5] or [f"{entry.path}: no examples"]
        more = len(loaded.errors) - len(lines)
        raise DomainError(
            f"dataset '{entry.id}' has errors: " + "; ".join(lines) + (f" (and {more} more)" if more > 0 else ""),
            code="invalid_dataset",
        )


def apply_overrides(profile: TrainingProfile, overrides: TrainingOverrides | None) -> TrainingProfile:
    if overrides is None:
        return profile
    changes = {k: v for k, v in overrides.model_dump().items() if v is not None}
    return profile.model_copy(update=changes)


class TrainingManager:
    def __init__(self, *, python: str = sys.executable, cancel_grace_s: float = 30.0):
        self._python = python
        self._cancel_grace_s = cancel_grace_s
        self._lock = threading.RLock()
        self._jobs: dict[str, Job] = {}
        self._active: Job | None = None
        self.recover_interrupted()

    # -- start ------------------------------------------------------------------------------
    def start(self, profile: TrainingProfile, dataset: DatasetEntry, *, epochs: int | None = None,
              overrides: TrainingOverrides | None = None, flow_run_id: str | None = None,
              resume_from: str | None = None) -> str:
        epochs = validate_epochs(epochs, profile)
        profile = apply_overrides(profile, overrides)
        check_dataset(dataset)
        base = bases.resolve(profile.base_model)  # a missing folder fails here, before any run exists
        with self._lock:
            if self._active is not None and not self._active.finished.is_set():
                raise Conflict(f"a training job is already running ({self._active.training_id}); "
                               "wait for it or cancel it first", code="job_running")
            training_id = new_training_id()
            run_dir = history.run_dir(training_id)
            run_dir.mkdir(parents=True)
            if resume_from:
                self._copy_checkpoint(resume_from, run_dir)
            job = Job(training_id, run_dir, profile, dataset, epochs,
                      TrainingStatus(training_id=training_id, status="preparing", profile_id=profile.id,
                                     dataset_id=dataset.id, total_epochs=epochs, started_at=now_iso(),
                                     flow_run_id=flow_run_id, message="starting the trainer"))
            job.lock_fd = self._lock_run(run_dir)
            self._write_job(job, base, resume=bool(resume_from), resumed_from=resume_from)
            self._spawn(job)
            self._jobs[training_id] = job
            self._active = job
        if flow_run_id:
            log.info("flow run %s started training %s", flow_run_id, training_id)
        return training_id

    def _copy_checkpoint(self, source_id: str, run_dir: Path) -> None:
        source = history.run_dir(source_id) / "checkpoints" / "last"
        if not source.is_dir():
            raise NotFound(f"run '{source_id}' has no checkpoint to resume from", code="no_checkpoint")
        shutil.copytree(source, run_dir / "checkpoints" / "last")

    @staticmethod
    def _lock_run(run_dir: Path) -> int:
        fd = os.open(run_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return fd

    def _write_job(self, job: Job, base: BaseModelFile, *, resume: bool, resumed_from: str | None) -> None:
        JobSpec(
            training_id=job.training_id, epochs=job.epochs, resume=resume, resumed_from=resumed_from,
            flow_run_id=job.status.flow_run_id, started_at=job.status.started_at, profile=job.profile,
            dataset=JobDataset(id=job.dataset.id, path=job.dataset.path, format=job.dataset.format,
                               held_out_prompts=job.dataset.held_out_prompts),
            models_dir=str(paths.models_dir()), base=base,
        ).write(job.run_dir / "job.json")

    def _spawn(self, job: Job) -> None:
        stderr = open(job.run_dir / "worker.log", "ab")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        try:
            job.process = _SPAWNER.submit(
                subprocess.Popen,
                [self._python, "-m", "ollama_trainer.training.worker", "train", "--run-dir", str(job.run_dir)],
                stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL, env=env,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            ).result()
        finally:
            stderr.close()
        threading.Thread(target=self._follow, args=(job,), name=f"follow-{job.training_id}", daemon=True).start()
        threading.Thread(target=self._watch, args=(job,), name=f"watch-{job.training_id}", daemon=True).start()

    def _watch(self, job: Job) -> None:
        """Stop a trainer that has been silent for the profile's stall timeout."""
        timeout = job.profile.stall_timeout_s
        while not job.finished.wait(min(5.0, timeout / 4)):
            with self._lock:
                silent = time.monotonic() - job.last_event
            if silent > timeout and job.process is not None and job.process.poll() is None:
                log.error("training %s: no event for %.0f s; stopping the trainer", job.training_id, silent)
                with self._lock:
                    job.hung = True
                job.process.kill()
                return

    # -- following the worker ---------------------------------------------------------------
    def _follow(self, job: Job) -> None:
        assert job.process is not None and job.process.stdout is not None
        for raw in job.process.stdout:
            event = ev.parse_event(raw)
            if event is None:
                continue
            with self._lock:
                job.last_event = time.monotonic()
                ev.apply(job.status, event)
                point = ev.metric_point(event)
                if point is not None:
                    job.points.append(point)
                if event.event in protocol.FINAL_EVENTS:
                    job.final = event
                if isinstance(event, protocol.Done):
                    job.adapter_dir = event.adapter_dir
        job.process.stdout.close()
        code = job.process.wait()
        self._finish(job, code)

    def _finish(self, job: Job, code: int) -> None:
        with self._lock:
            status = job.status
            final = job.final
            kind = final.event if final is not None else None
            if kind == "done" and code == protocol.EXIT_DONE:
                status.status = "done"
                status.message = "training finished"
            elif kind == "cancelled" or (job.cancel_requested and (job.killed_after_grace or code == -signal.SIGTERM)):
                # SIGTERM itself ends a worker that is cancelled before it has set up its handler
                status.status = "cancelled"
                if kind == "cancelled":
                    status.message = "cancelled; checkpoint saved at step %s" % final.step
                elif job.killed_after_grace:
                    status.message = (f"cancelled; the trainer did not stop within {self._cancel_grace_s:.0f} s "
                                      "and was killed")
                else:
                    status.message = "cancelled before the trainer had started; nothing was saved"
            else:
                status.status = "error"
                if job.hung:
                    status.error = (f"the trainer stopped responding (no progress for {job.profile.stall_timeout_s} s) "
                                    "and was stopped; the last checkpoint, if any, can be resumed")
                else:
                    status.error = final.message if kind == "error" else self._death_message(job, code)
                status.message = "training failed"
            status.finished_at = now_iso()
            status.eta_s = None
            summary = TrainingRunSummary(
                training_id=job.training_id, profile_id=job.profile.id, dataset_id=job.dataset.id,
                status=status.status, started_at=status.started_at or now_iso(), finished_at=status.finished_at,
                epochs=job.epochs, final_loss=_final_loss(final, status),
                eval_loss=status.eval_loss, duration_s=round(time.monotonic() - job.started, 2),
                error=status.error, flow_run_id=status.flow_run_id, adapter_dir=job.adapter_dir,
            )
        try:
            history.record(summary)
            if summary.status == "done" and job.profile.auto_export:
                self._auto_export(job)
        except OSError as exc:  # disk full, read-only: say so, keep the job's state honest
            log.error("could not record the summary of %s: %s", job.training_id, exc)
            with self._lock:
                status.error = (status.error or "") + f" (history not written: {exc})"
        finally:
            if job.lock_fd is not None:
                os.close(job.lock_fd)
            job.finished.set()

    def _auto_export(self, job: Job) -> None:
        """The profile asks for the model in Ollama right away: running -> exporting -> done.
        The training result is already recorded; a failed export only changes the message."""
        from ollama_trainer import settings
        from ollama_trainer.ollama.export import export_run

        def on_status(text: str) -> None:
            with self._lock:
                job.status.message = text

        with self._lock:
            job.status.status = "exporting"
            job.status.message = "registering the model with Ollama"
        try:
            result = export_run(job.training_id, host=settings.ollama_host(), on_status=on_status)
            message = f"training finished; Ollama model {result.ollama_model} is ready"
        except DomainError as exc:
            message = f"training finished; the Ollama export failed: {exc.message}"
        with self._lock:
            job.status.status = "done"
            job.status.message = message

    @staticmethod
    def _death_message(job: Job, code: int) -> str:
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
        tail = _tail(job.run_dir / "worker.log")
        if code > 0 and any(sign in tail for sign in _OUT_OF_MEMORY_SIGNS):
            reason += " (out of memory)"
        return reason + (f": {tail}" if tail else "")

    # -- queries ----------------------------------------------------------------------------
    def _job(self, training_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(training_id)

    def status(self, training_id: str) -> TrainingStatus:
        job = self._job(training_id)
        if job is not None:
            with self._lock:
                return job.status.model_copy()
        summary = history.load_summary(training_id)
        if summary is None:
            raise NotFound(f"no training run '{training_id}'", code="unknown_training")
        return status_from_summary(summary)

    def metrics(self, training_id: str, since_step: int = 0) -> TrainingMetrics:
        job = self._job(training_id)
        if job is not None:
            with self._lock:
                points = list(job.points)
        else:
            if not history.run_dir(training_id).is_dir():
                raise NotFound(f"no training run '{training_id}'", code="unknown_training")
            points = ev.metric_points(ev.read_events(history.run_dir(training_id) / "events.jsonl"))
        # Inclusive: an eval point shares its step with the progress point before it, so a
        # client asking from the last step it saw gets both; it drops what it already has.
        new = [p for p in points if p.step >= since_step]
        last = max((p.step for p in points), default=since_step)
        return TrainingMetrics(training_id=training_id, points=new, last_step=last)

    def active_id(self) -> str | None:
        with self._lock:
            if self._active is not None and not self._active.finished.is_set():
                return self._active.training_id
            return None

    def wait(self, training_id: str, timeout: float | None = None) -> TrainingStatus:
        job = self._job(training_id)
        if job is not None:
            job.finished.wait(timeout)
        return self.status(training_id)

    # -- cancel -----------------------------------------------------------------------------
    def cancel(self, training_id: str) -> TrainingStatus:
        job = self._job(training_id)
        if job is None:
            current = self.status(training_id)  # raises NotFound for an unknown id
            return current
        with self._lock:
            if job.finished.is_set() or job.status.status in TERMINAL_STATES:
                return job.status.model_copy()
            job.cancel_requested = True
            job.status.message = "cancelling: stopping after the current step"
            process = job.process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            threading.Thread(target=self._kill_after_grace, args=(job,), daemon=True).start()
        return self.status(training_id)

    def _kill_after_grace(self, job: Job) -> None:
        if job.finished.wait(self._cancel_grace_s):
            return
        if job.process is not None and job.process.poll() is None:
            job.killed_after_grace = True
            job.process.kill()

    def shutdown(self, timeout: float = 30.0) -> None:
        """Cancel the running job (the app is closing) and wait for it to save."""
        active = self.active_id()
        if active:
            self.cancel(active)
            self.wait(active, timeout)

    # -- recovery ---------------------------------------------------------------------------
    def recover_interrupted(self) -> list[str]:
        """Runs that have a job.json but no summary were left by an app that stopped: record
        them as `interrupted` (unless another live app process still holds the run's lock)."""
        recovered = []
        for run_dir in sorted(paths.runs_dir().iterdir()):
            if not (run_dir / "job.json").is_file() or (run_dir / "summary.json").exists():
                continue
            try:
                fd = self._lock_run(run_dir)
            except OSError:
                continue  # still running in another app process
            try:
                job = JobSpec.read(run_dir / "job.json")
                points = ev.metric_points(ev.read_events(run_dir / "events.jsonl"))
                losses = [p.loss for p in points if p.loss is not None]
                evals = [p.eval_loss for p in points if p.eval_loss is not None]
                has_checkpoint = (run_dir / "checkpoints" / "last").is_dir()
                history.record(TrainingRunSummary(
                    training_id=run_dir.name, profile_id=job.profile.id, dataset_id=job.dataset.id,
                    status="interrupted", started_at=job.started_at or now_iso(), finished_at=now_iso(),
                    epochs=job.epochs, final_loss=losses[-1] if losses else None,
                    eval_loss=evals[-1] if evals else None, flow_run_id=job.flow_run_id,
                    error="the app stopped while this run was in progress"
                          + ("; resume it from its last checkpoint" if has_checkpoint else ""),
                ))
                recovered.append(run_dir.name)
            except (OSError, ValueError, KeyError) as exc:
                log.warning("could not recover run %s: %s", run_dir.name, exc)
            finally:
                os.close(fd)
        return recovered


def _final_loss(final, status: TrainingStatus) -> float | None:
    if status.status == "done" and isinstance(final, protocol.Done) and final.final_loss is not None:
        return final.final_loss
    return status.loss


def status_from_summary(summary: TrainingRunSummary) -> TrainingStatus:
    return TrainingStatus(
        training_id=summary.training_id, status=summary.status, profile_id=summary.profile_id,
        dataset_id=summary.dataset_id, epoch=summary.epochs if summary.status == "done" else 0,
        total_epochs=summary.epochs, loss=summary.final_loss, eval_loss=summary.eval_loss,
        error=summary.error, started_at=summary.started_at, finished_at=summary.finished_at,
        flow_run_id=summary.flow_run_id, message=summary.status,
    )


# What native code prints to stderr when an allocation fails before Python can raise: glibc,
# libgomp's thread pool (a thread stack is memory too) and C++ allocators.
_OUT_OF_MEMORY_SIGNS = ("Cannot allocate memory", "MemoryError", "out of memory", "std::bad_alloc",
                        "Thread creation failed")


def _tail(path: Path, lines: int = 3, max_chars: int = 400) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])[-max_chars:]
