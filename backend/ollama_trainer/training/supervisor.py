"""Watching one training worker: its events as they come, a stall watchdog, a graceful stop
that turns into a kill after a grace period, and how the process ended.

Two ways to watch:
- a worker this process started: its stdout is the event stream and the exit code says how it
  ended;
- a worker another process started (a window closed with "keep it running", or a CLI run):
  attached by reading its events.jsonl from the start and following it; it has ended when the
  run's lock is free.
The supervisor decides nothing about the run's state: it reports each event and the end to
its owner (the manager).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from ollama_trainer import protocol
from ollama_trainer.training.run_folder import EVENTS, RunFolder

log = logging.getLogger(__name__)
ATTACHED_POLL_S = 0.25
# Before the model is loaded, a busy or slow machine may take minutes (importing torch,
# converting a base model): the stall timeout counts from then on, so a profile's short
# timeout does not read a slow start as a hang.
SETUP_STALL_S = 900.0


@dataclass
class Ending:
    code: int | None  # the exit code; None for an attached worker (not our child)
    hung: bool = False
    stage: str | None = None  # what the trainer was doing when it stopped responding
    silent_s: float | None = None
    killed_after_grace: bool = False
    cancel_requested: bool = False


@dataclass
class Supervisor:
    folder: RunFolder
    on_event: Callable[[protocol.WorkerEvent], None]
    on_end: Callable[[Ending], None]
    stall_timeout_s: float
    grace_s: float
    process: subprocess.Popen | None = None
    pid: int | None = None
    finished: threading.Event = field(default_factory=threading.Event)
    _last_event: float = field(default_factory=time.monotonic)
    _loaded: bool = False
    _params: int = 0  # the base's size: a bigger model may take longer between events
    _stage: str = "loading the base model"
    _ending: Ending = field(default_factory=lambda: Ending(None))

    def start(self) -> "Supervisor":
        if self.process is None:  # attached: its pid now, so a stop right away reaches it
            self.pid = self.pid or self._started_pid()
        target = self._follow_stdout if self.process is not None else self._follow_file
        threading.Thread(target=target, name=f"follow-{self.folder.training_id}", daemon=True).start()
        threading.Thread(target=self._watch, name=f"watch-{self.folder.training_id}", daemon=True).start()
        return self

    # -- events -------------------------------------------------------------------------------
    def _seen(self, event: protocol.WorkerEvent) -> None:
        self._last_event = time.monotonic()
        if isinstance(event, protocol.Started) and event.pid and not self.pid:
            self.pid = event.pid
            if self._ending.cancel_requested:  # stopped before the worker said who it is
                self._signal(signal.SIGTERM)
        if isinstance(event, (protocol.ModelLoaded, protocol.DatasetLoaded, protocol.Progress)):
            self._loaded = True
        if isinstance(event, protocol.ModelLoaded):
            self._params = event.total_params
            self._stage = "preparing the training data"
        elif isinstance(event, protocol.Stage):
            self._stage = {"replay": "the replay answers", "samples": "the sample answers", "probe": "the probe",
                           "model_file": "writing the model file"}.get(event.stage, event.stage)
        elif isinstance(event, protocol.Progress):
            self._stage = f"training (step {event.step} of {event.total_steps})"
        self.on_event(event)

    def _take(self, raw: bytes | str) -> None:
        """One line of output: an event goes to the owner; a line that is not one, or an owner
        that fails on one, never stops the following (the job must still end)."""
        try:
            event = protocol.parse_event(raw)
            if event is not None:
                self._seen(event)
        except Exception:  # noqa: BLE001 - a bug for one line must not leave the job running
            log.exception("training %s: an event line could not be handled", self.folder.training_id)

    def _follow_stdout(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        self.pid = self.process.pid
        try:
            for raw in self.process.stdout:
                self._take(raw)
        except (OSError, ValueError) as exc:  # the pipe broke: the process's end still says how it went
            log.warning("training %s: reading the trainer's output failed: %s", self.folder.training_id, exc)
            self._drain()
        finally:
            try:
                self.process.stdout.close()
                self._ending.code = self.process.wait()
            finally:
                self._end()

    def _drain(self) -> None:
        """Read what is left unparsed, so a worker never blocks on a full pipe."""
        try:
            while self.process.stdout.read(1 << 16):
                pass
        except (OSError, ValueError):
            pass

    def _follow_file(self) -> None:
        path, offset, pending = self.folder.file(EVENTS), 0, b""
        try:
            while True:
                live = self.folder.is_live()
                try:
                    with open(path, "rb") as f:
                        f.seek(offset)
                        chunk = f.read()
                except FileNotFoundError:
                    chunk = b""
                offset += len(chunk)
                *lines, pending = (pending + chunk).split(b"\n")
                for raw in lines:
                    self._take(raw)
                if not live:
                    break
                time.sleep(ATTACHED_POLL_S)
        except OSError as exc:
            log.warning("training %s: following its events failed: %s", self.folder.training_id, exc)
        finally:
            self._end()

    def _end(self) -> None:
        try:
            self.on_end(self._ending)
        except Exception:  # noqa: BLE001 - still mark it finished, so nobody waits forever
            log.exception("training %s: ending the job failed", self.folder.training_id)
        finally:
            self.finished.set()

    # -- watchdog, stop -----------------------------------------------------------------------
    def limit_s(self) -> float:
        """How long the trainer may be silent: the profile's stall timeout, scaled with the base's
        size (one step of an 8 B model takes far longer than one of 135 M), and at least
        SETUP_STALL_S before the model is loaded. Every stage reports at least every few
        seconds while it works (stage_meter.py), so only a trainer that stopped working reaches it."""
        if not self._loaded:
            return max(self.stall_timeout_s, SETUP_STALL_S)
        return self.stall_timeout_s * max(1.0, self._params / 1e9)

    def _watch(self) -> None:
        """Stop a trainer that has been silent for longer than limit_s()."""
        while not self.finished.wait(min(5.0, self.stall_timeout_s / 4)):
            silent = time.monotonic() - self._last_event
            if silent > self.limit_s() and self.alive():
                log.error("training %s: no event for %.0f s during %s; stopping the trainer",
                          self.folder.training_id, silent, self._stage)
                self._ending.hung, self._ending.stage, self._ending.silent_s = True, self._stage, round(silent)
                self._signal(signal.SIGKILL)
                return

    def alive(self) -> bool:
        if self.process is not None:
            return self.process.poll() is None
        return self.folder.is_live()

    def _signal(self, sig: int) -> None:
        try:
            if self.process is not None:
                if self.process.poll() is None:
                    self.process.send_signal(sig)
            elif self.pid:
                os.kill(self.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self) -> None:
        """Ask the worker to stop after its current step (it saves a checkpoint); kill it if it
        has not within the grace period. An attached worker whose pid is not known yet is
        signalled as soon as its `started` event says it."""
        self._ending.cancel_requested = True
        if not self.alive():
            return
        if self.process is None:
            self.pid = self.pid or self._started_pid()
        self._signal(signal.SIGTERM)
        threading.Thread(target=self._kill_after_grace, daemon=True).start()

    def _started_pid(self) -> int | None:
        """An attached worker's pid, from the `started` event its events.jsonl begins with."""
        for event in self.folder.events():
            return event.pid if isinstance(event, protocol.Started) else None
        return None

    def _kill_after_grace(self) -> None:
        if self.finished.wait(self.grace_s):
            return
        if self.alive():
            self._ending.killed_after_grace = True
            self._signal(signal.SIGKILL)
