"""Stopping a run another process works on (a window closed with "keep it running", a CLI run),
right after attaching to it: the stop reaches the worker before the follower has read a line,
and one asked before the worker said who it is reaches it when it does."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ollama_trainer import protocol
from ollama_trainer.training.run_folder import EVENTS, LOCK, RunFolder
from ollama_trainer.training.supervisor import Supervisor

HOLDER = ("import sys, time; from ollama_trainer import file_lock; file_lock.take(sys.argv[1]); "
          "print('locked', flush=True); time.sleep(600)")


@pytest.fixture()
def worker(tmp_path):
    """A process holding the run's lock, as a worker at work does; it ends on SIGTERM."""
    folder = RunFolder(tmp_path / "run")
    folder.path.mkdir()
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder.file(LOCK))], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    yield folder, proc
    proc.kill()
    proc.wait()


def started(pid: int) -> str:
    return protocol.Started(training_id="run", pid=pid).model_dump_json()


def attached(folder: RunFolder) -> Supervisor:
    """The manager's supervisor for an attached run, its follower not started (as when it has
    not been scheduled yet)."""
    return Supervisor(folder, lambda e: None, lambda end: None, stall_timeout_s=600, grace_s=600)


def test_a_stop_right_after_attaching_reaches_the_worker(worker):
    folder, proc = worker
    folder.file(EVENTS).write_text(started(proc.pid) + "\n")
    attached(folder).stop()
    assert proc.wait(10) == -15  # SIGTERM: the worker stops after its step, with a checkpoint


def test_a_stop_before_the_worker_said_who_it_is_reaches_it_when_it_does(worker):
    folder, proc = worker
    supervisor = attached(folder)
    supervisor.stop()  # events.jsonl is still empty: nobody to signal yet
    with pytest.raises(subprocess.TimeoutExpired):
        proc.wait(0.5)
    supervisor._take(started(proc.pid))  # what the follower reads next
    assert proc.wait(10) == -15
