"""The training manager: starts one worker at a time per data folder (across processes, with a
queue), follows it into a PULSE v1 snapshot, cancels gracefully, resumes from checkpoints, and
re-attaches at start-up to a run that another process left running.

What a run is made of lives in its folder (run_folder.py); how its end reads is outcome.py;
watching the process is supervisor.py; the machine-wide slot and the queue are job_slot.py.
What happens after a run (the export to Ollama) hangs on `on_finished` hooks.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import threading
import time
from typing import Callable

from ollama_trainer import paths, protocol
from ollama_trainer.contracts import (
    TERMINAL_STATES, DatasetEntry, JobSlotInfo, TrainingMetrics, TrainingOverrides, TrainingProfile,
    TrainingRunSummary, TrainingStatus,
)
from ollama_trainer.errors import Conflict, DomainError, NotFound
from ollama_trainer.timestamps import now_iso
from ollama_trainer.training import events as ev
from ollama_trainer.training import job_slot, outcome, plan, recovery, run_preview, worker_client
from ollama_trainer.training.job import Job
from ollama_trainer.training.run_folder import CHECKPOINT, WORKER_LOG, RunFolder
from ollama_trainer.training.supervisor import Ending, Supervisor

log = logging.getLogger(__name__)
QUEUE_POLL_S = 0.5
OnFinished = Callable[["Job", Callable[[str, str], None]], None]


class TrainingManager:
    def __init__(self, *, python: str = sys.executable, cancel_grace_s: float = 30.0,
                 on_finished: list[OnFinished] | None = None, origin: str = "app"):
        self._python = python
        self._cancel_grace_s = cancel_grace_s
        self._on_finished = list(on_finished or [])
        self._origin = origin
        self._lock = threading.RLock()
        self._jobs: dict[str, Job] = {}
        self.recover_interrupted()

    # -- start ------------------------------------------------------------------------------
    def start(self, profile: TrainingProfile, dataset: DatasetEntry, *, epochs: int | None = None,
              overrides: TrainingOverrides | None = None, flow_run_id: str | None = None,
              resume_from: str | None = None, queue: bool = False, base: str | None = None,
              from_run: str | None = None) -> str:
        """Start a run (or queue it while another job holds the slot, with `queue`); `base`
        trains another base model than the profile's; `from_run` starts from that finished
        run's trained model instead of a fresh LoRA."""
        run = plan.resolve(profile, dataset, epochs=epochs, overrides=overrides, base=base)
        epochs = run.epochs
        if resume_from:
            recovery.check_resumable(resume_from, epochs)
        start_adapter = plan.trained_adapter(from_run, run) if from_run else None
        training_id = plan.new_training_id()
        slot_fd = job_slot.try_acquire(training_id, self._origin)
        if slot_fd is None and not queue:
            raise Conflict(self._busy_message(), code="job_running")
        folder = RunFolder.of(training_id)
        folder.path.mkdir(parents=True)
        if resume_from:
            shutil.copytree(RunFolder.of(resume_from).checkpoint, folder.file(CHECKPOINT))
        spec = plan.job_spec(training_id, run, dataset, resume=bool(resume_from), resumed_from=resume_from,
                             from_run=from_run, start_adapter=start_adapter, flow_run_id=flow_run_id, started_at=now_iso(),
                             estimate=None if resume_from else run_preview.known_estimate(run, dataset))
        folder.write_job(spec)
        job = Job(training_id, folder, spec, outcome.initial_status(spec), origin=self._origin)
        job.lock_fd = folder.lock()
        with self._lock:
            self._jobs[training_id] = job
        if slot_fd is not None:
            job.slot_fd = slot_fd
            self._spawn(job)
        else:
            job.ticket = job_slot.Ticket(training_id)
            self._queued(job)
            threading.Thread(target=self._wait_in_line, args=(job,), name=f"queue-{training_id}", daemon=True).start()
        if flow_run_id:
            log.info("flow run %s started training %s", flow_run_id, training_id)
        return training_id

    def resume(self, training_id: str, *, epochs: int | None = None, queue: bool = False,
               flow_run_id: str | None = None) -> str:
        """Continue a run from its last checkpoint with the settings it was started with
        (epochs may be raised to train further)."""
        source = RunFolder.of(training_id)
        if (job := source.read_job()) is None:
            raise NotFound(f"no training run '{training_id}'", code="unknown_training")
        dataset = DatasetEntry(id=job.dataset.id, name=job.dataset.id, path=job.dataset.path,
                               format=job.dataset.format, held_out_prompts=job.dataset.held_out_prompts,
                               held_out_checks=job.dataset.held_out_checks)
        return self.start(job.profile, dataset, epochs=epochs or job.epochs, resume_from=training_id, queue=queue,
                          flow_run_id=flow_run_id, from_run=job.from_run)

    def _busy_message(self) -> str:
        held = job_slot.holder()
        who = f" ({held.training_id}, started from {held.origin or 'another process'})" if held else ""
        return (f"a training job is already running{who}; wait for it, queue this one (Queue it in the window, "
                "--wait on the command line), or cancel it first")

    # -- the queue --------------------------------------------------------------------------
    def _queued(self, job: Job) -> None:
        with self._lock:
            held = job_slot.holder()
            job.status.status = "queued"
            job.status.queue_position = job.ticket.position() if job.ticket else None
            behind = f" behind {held.training_id}" if held else ""
            job.status.message = f"waiting for the running job to end{behind} (place {job.status.queue_position} in line)"

    def _wait_in_line(self, job: Job) -> None:
        while not job.cancel_requested:
            first = next(iter(job_slot.line()), (None, 0))[0]
            if first == job.training_id:
                slot_fd = job_slot.try_acquire(job.training_id, self._origin)
                if slot_fd is not None:
                    with self._lock:
                        if job.cancel_requested:
                            job_slot.release(slot_fd)
                            break
                        job.slot_fd = slot_fd
                        job.ticket.drop()
                        job.status.status, job.status.queue_position = "preparing", None
                        job.status.message = "starting the trainer"
                        # A run's time is when it started, not when it was queued (job.json is
                        # what the worker, the history and the run page read it from).
                        job.spec = job.spec.model_copy(update={"started_at": now_iso()})
                        job.folder.write_job(job.spec)
                        job.status.started_at = job.spec.started_at
                    self._spawn(job)
                    return
            self._queued(job)
            time.sleep(QUEUE_POLL_S)
        job.ticket.drop()
        outcome.end(job.status, "cancelled", "cancelled while waiting in line; nothing was trained", None)
        self._record(job, None)
        self._close(job)

    # -- the worker ---------------------------------------------------------------------------
    def _spawn(self, job: Job) -> None:
        keep = tuple(fd for fd in (job.lock_fd, job.slot_fd) if fd is not None)
        job.process = worker_client.spawn_training(job.run_dir, job.folder.file(WORKER_LOG), python=self._python,
                                                   keep_fds=keep)
        job.started = time.monotonic()
        job.supervisor = Supervisor(job.folder, lambda e: self._on_event(job, e), lambda end: self._finish(job, end),
                                    job.profile.stall_timeout_s, self._cancel_grace_s, process=job.process).start()

    def _on_event(self, job: Job, event: protocol.WorkerEvent) -> None:
        with self._lock:
            ev.apply(job.status, event)
            point = ev.metric_point(event)
            if point is not None:
                job.points.append(point)
            if event.event in protocol.FINAL_EVENTS:
                job.final = event

    def _finish(self, job: Job, end: Ending) -> None:
        """The worker is gone: take the summary it wrote, or write one from how it ended. The
        job always ends here (its locks released), whatever fails on the way."""
        try:
            self._conclude(job, end)
        except Exception:  # noqa: BLE001 - a job must never stay running for a bug here
            log.exception("ending training %s failed", job.training_id)
            with self._lock:
                if job.status.status not in TERMINAL_STATES:
                    outcome.end(job.status, "error", "training failed", "the app could not read how the run "
                                "ended; see the app's log and the run folder")
        finally:
            self._close(job)

    def _conclude(self, job: Job, end: Ending) -> None:
        if job.process is None:  # attached: whoever started the run may be writing its summary now
            job.lock_fd = job.folder.lock_waiting()
        with self._lock:
            recorded = getattr(job.final, "recorded", True) and job.folder.has_summary()
            summary = job.folder.read_summary() if recorded else None
            if summary is not None:
                outcome.overlay(job.status, summary)
            else:
                outcome.end(job.status, *self._death(job, end))
        if summary is None:
            self._record(job, None)
        with self._lock:
            job.status.can_resume = job.status.status in ("cancelled", "interrupted", "error") and \
                job.folder.has_checkpoint()
        if job.status.status == "done":
            for hook in self._on_finished:
                try:
                    hook(job, lambda state, message: self._set(job, state, message))
                except Exception:  # noqa: BLE001 - a hook's bug must not leave the job unfinished
                    log.exception("an on_finished hook failed for %s", job.training_id)

    def _death(self, job: Job, end: Ending) -> tuple[str, str, str | None]:
        final = job.final
        if final is not None and final.event in protocol.FINAL_EVENTS and not end.hung:
            return outcome.clean_end(final)
        if end.cancel_requested and (end.killed_after_grace or (end.code is not None and end.code < 0)):
            if end.killed_after_grace:
                return ("cancelled", f"cancelled; the trainer did not stop within {self._cancel_grace_s:.0f} s "
                        "and was killed", None)
            # SIGTERM itself ends a worker that is cancelled before it has set up its handler
            return "cancelled", "cancelled before the trainer had started; nothing was saved", None
        if end.hung:
            return ("error", "training failed", f"the trainer stopped responding during {end.stage} (no progress for "
                    f"{end.silent_s} s) and was stopped; resume from the last checkpoint, if any. If the machine "
                    "was busy, close other programs or raise the profile's stall timeout (stall_timeout_s, now "
                    f"{job.profile.stall_timeout_s} s)")
        if end.code is None:  # an attached worker ended without a word
            return "error", "training failed", "the trainer stopped without saying why; see worker.log in the run folder"
        return "error", "training failed", outcome.death_message(end.code, job.folder.file(WORKER_LOG))

    def _record(self, job: Job, summary: TrainingRunSummary | None) -> None:
        summary = summary or outcome.summary_of(job.spec, job.status,
                                                duration_s=round(time.monotonic() - job.started, 2))
        try:
            job.folder.write_summary(summary)
        except OSError as exc:  # disk full, read-only: say so, keep the job's state honest
            log.error("could not record the summary of %s: %s", job.training_id, exc)
            with self._lock:
                job.status.error = (job.status.error or "") + f" (history not written: {exc})"

    def _set(self, job: Job, state: str, message: str) -> None:
        with self._lock:
            job.status.status, job.status.message = state, message

    def _close(self, job: Job) -> None:
        for fd in (job.lock_fd, job.slot_fd):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        job.lock_fd = job.slot_fd = None
        job.finished.set()

    # -- queries ----------------------------------------------------------------------------
    def _job(self, training_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(training_id)

    @staticmethod
    def status_of_folder(training_id: str) -> TrainingStatus | None:
        """A run's status from its folder alone (no manager needed)."""
        return outcome.status_of(RunFolder.of(training_id))

    def status(self, training_id: str) -> TrainingStatus:
        job = self._job(training_id)
        if job is not None:
            with self._lock:
                return job.status.model_copy()
        status = outcome.status_of(RunFolder.of(training_id))
        if status is None:
            raise NotFound(f"no training run '{training_id}'", code="unknown_training")
        return status

    def metrics(self, training_id: str, since_step: int = 0) -> TrainingMetrics:
        job = self._job(training_id)
        if job is not None:
            with self._lock:
                points = list(job.points)
        else:
            folder = RunFolder.of(training_id)
            if not folder.exists():
                raise NotFound(f"no training run '{training_id}'", code="unknown_training")
            points = folder.metric_points()
        # Inclusive: an eval point shares its step with the progress point before it, so a
        # client asking from the last step it saw gets both; it drops what it already has.
        new = [p for p in points if p.step >= since_step]
        last = max((p.step for p in points), default=since_step)
        return TrainingMetrics(training_id=training_id, points=new, last_step=last)

    def active_id(self) -> str | None:
        """The job this process runs or waits for (started here or re-attached)."""
        with self._lock:
            live = [j for j in self._jobs.values() if not j.finished.is_set()]
            running = [j for j in live if j.status.status != "queued"]
            return (running or live)[0].training_id if live else None

    def finished(self, training_id: str) -> bool:
        job = self._job(training_id)
        return job is None or job.finished.is_set()

    def active_ids(self, *, own: bool = False) -> list[str]:
        """Jobs running or waiting; `own`: only those this process started (not re-attached)."""
        with self._lock:
            return [j.training_id for j in self._jobs.values()
                    if not j.finished.is_set() and not (own and j.origin == "attached")]

    def wait(self, training_id: str, timeout: float | None = None) -> TrainingStatus:
        job = self._job(training_id)
        if job is not None:
            job.finished.wait(timeout)
        return self.status(training_id)

    def slot(self) -> JobSlotInfo:
        """Who trains on this machine now (in any process), and who waits in line."""
        held = job_slot.holder()
        running_id = self._follow(held)
        running = self.status(running_id) if running_id else None
        job = self._job(running_id) if running_id else None
        queued = [self.status(tid) for tid, _ in job_slot.line() if self._job(tid) is not None or
                  RunFolder.of(tid).exists()]
        own = self.active_ids(own=True)
        return JobSlotInfo(running=running, here=job is not None and job.origin != "attached", queued=queued,
                           queued_here=[s.training_id for s in queued if s.training_id in own],
                           origin=(held.origin or None) if running_id else None)

    def attach_running(self) -> str | None:
        """The job that holds the machine's slot; followed from now on when another process
        started it (a CLI `train` beside the window, say)."""
        return self._follow(job_slot.holder())

    def _follow(self, held: job_slot.Holder | None) -> str | None:
        """The slot holder's id once this manager follows its job (attached when needed)."""
        if held is None or not paths.is_valid_id(held.training_id):
            return None
        if self._job(held.training_id) is None:
            folder = RunFolder.of(held.training_id)
            if folder.exists() and not folder.has_summary():
                self._attach(folder)
        return held.training_id if self._job(held.training_id) is not None else None

    def rename(self, training_id: str, name: str) -> TrainingRunSummary:
        folder = RunFolder.of(training_id)
        if folder.read_summary() is None:
            raise NotFound(f"no finished training run '{training_id}' to name", code="unknown_training")
        return folder.update_summary(name=name.strip())

    # -- cancel, close ----------------------------------------------------------------------
    def cancel(self, training_id: str) -> TrainingStatus:
        job = self._job(training_id)
        if job is None:
            return self.status(training_id)  # raises NotFound for an unknown id
        with self._lock:
            if job.finished.is_set() or job.status.status in TERMINAL_STATES:
                return job.status.model_copy()
            job.cancel_requested = True
            if job.status.status == "queued":
                job.status.message = "cancelling: leaving the queue"
                return job.status.model_copy()
            job.status.message = "cancelling: stopping after the current step"
            supervisor = job.supervisor
        if supervisor is not None:
            supervisor.stop()
        return self.status(training_id)

    def shutdown(self, timeout: float = 30.0, *, keep_running: bool = False) -> None:
        """The app is closing. Queued jobs leave the line; a running job either stops after its
        current step with a checkpoint, or (keep_running) goes on without the app: the next
        start re-attaches to it. A job re-attached from another process is not this app's to
        stop: it goes on as it was."""
        for training_id in self.active_ids(own=True):
            job = self._job(training_id)
            if job is None:
                continue
            if keep_running and job.status.status != "queued":
                job.folder.keep_running(origin=self._origin)
                continue
            self.cancel(training_id)
            self.wait(training_id, timeout)

    # -- start-up: re-attach or recover -----------------------------------------------------
    def recover_interrupted(self) -> list[str]:
        """Follow again the runs whose worker still runs; record the others `interrupted`
        (recovery.py). Returns the ids recorded."""
        recovered = []
        for folder in recovery.unfinished_runs():
            state = recovery.settle(folder)
            if state == "running":
                self._attach(folder)
            elif state == "interrupted":
                recovered.append(folder.training_id)
        return recovered

    def _attach(self, folder: RunFolder) -> None:
        """Follow a run another process works on. One this app let go on when it was closed
        (Keep it running) is its own again: it asks before closing and can stop it."""
        spec = folder.read_job()
        if spec is None or folder.training_id in self._jobs:
            return
        own = folder.kept_by() == self._origin
        message = "running (kept running when the app was closed)" if own else "running in another process"
        job = Job(folder.training_id, folder, spec, outcome.initial_status(spec, "running", message),
                  origin=self._origin if own else "attached")
        with self._lock:
            self._jobs[job.training_id] = job
        job.supervisor = Supervisor(folder, lambda e: self._on_event(job, e), lambda end: self._finish(job, end),
                                    spec.profile.stall_timeout_s, self._cancel_grace_s).start()
        log.info("re-attached to training %s, which runs %s", folder.training_id,
                 "on since this app was closed" if own else "in another process")
