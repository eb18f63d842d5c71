"""Closing the app while its run trains: browser mode says on the terminal what happens to the
run (Ctrl-C in a terminal offers to keep it running, as the window does; `kill` stops it with a
checkpoint and says how to continue), and an app that let its run go on knows it as its own on
its next start: it asks again before closing and can stop it."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time

from ollama_trainer.training import history, job_slot
from ollama_trainer.training.manager import TrainingManager
from ollama_trainer.training.run_folder import RunFolder
from tests.e2e.conftest import start_app, write_tiny_catalog
from tests.integration.conftest import as_foreground
from tests.reliability.conftest import alive
from tests.reliability.test_app_kill import Client, events, worker_pid
from tests.waiting import wait_until

EPOCHS = 100  # far more than the test waits for: the run is at work when the app closes


def _first_checkpoint(tid: str) -> None:
    wait_until(lambda: any(e["event"] == "checkpoint" for e in events(tid)), what="the first checkpoint")


def test_kill_in_browser_mode_says_the_run_stops_with_a_checkpoint(data_home, tiny_model, tmp_path):
    write_tiny_catalog(data_home, tiny_model, tmp_path)
    app = start_app(data_home)
    tid = Client(app).call("start_training_job", {"profile_id": "tiny", "dataset_id": "colours",
                                                  "epochs": EPOCHS})["training_id"]
    _first_checkpoint(tid)
    app.proc.send_signal(signal.SIGTERM)
    said = app.proc.communicate(timeout=120)[0]
    assert app.proc.returncode == 0
    assert f"A training is running: {tid} (tiny on colours, step" in said
    assert "Stopping it after its current step; its checkpoint is kept" in said
    assert f"ollama-trainer train --resume {tid}" in said
    summary = history.load_summary(tid)
    assert summary is not None and summary.status == "cancelled"
    assert RunFolder.of(tid).has_checkpoint()


def _read_until(fd: int, text: str, timeout: float = 120.0) -> str:
    seen, deadline = "", time.monotonic() + timeout
    while text not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1.0)
        if ready:
            try:
                seen += os.read(fd, 4096).decode("utf-8", "replace")
            except OSError:
                break
    assert text in seen, seen
    return seen


def test_ctrl_c_in_a_terminal_offers_to_keep_the_run_and_the_next_start_knows_it_as_its_own(
        data_home, tiny_model, tmp_path):
    write_tiny_catalog(data_home, tiny_model, tmp_path)
    leader, follower = pty.openpty()  # a terminal, as a person's
    env = {**os.environ, "OLLAMA_TRAINER_HOME": str(data_home), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "ollama_trainer", "--browser", "--no-open"], stdin=follower,
                            stdout=follower, stderr=follower, env=env, preexec_fn=as_foreground)
    os.close(follower)
    try:
        url = _read_until(leader, "(Ctrl-C to stop)").split("running at ", 1)[1].split()[0]
        app = type("App", (), {"url": url, "proc": proc})()
        tid = Client(app).call("start_training_job", {"profile_id": "tiny", "dataset_id": "colours",
                                                      "epochs": EPOCHS})["training_id"]
        _first_checkpoint(tid)
        proc.send_signal(signal.SIGINT)
        _read_until(leader, "Keep it running without the app? k = keep it running")
        os.write(leader, b"k\n")
        said = _read_until(leader, "It keeps running without the app")
        assert proc.wait(60) == 0, said
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)
    worker = worker_pid(tid)
    assert alive(worker) and RunFolder.of(tid).kept_by() == "browser"

    other = TrainingManager(origin="cli")  # the command line beside it: not its run
    assert other.slot().here is False and other.active_ids(own=True) == []
    reopened = TrainingManager(origin="browser")  # the app's next start: its own run again
    slot = reopened.slot()
    assert slot.running is not None and slot.running.training_id == tid and slot.here is True
    assert reopened.active_ids(own=True) == [tid]
    reopened.shutdown()  # closing again (Stop): it stops with a checkpoint
    assert reopened.status(tid).status == "cancelled"
    wait_until(lambda: not alive(worker), what="the worker to stop")
    assert history.load_summary(tid).status == "cancelled" and RunFolder.of(tid).has_checkpoint()
    wait_until(lambda: job_slot.holder() is None, what="the slot to be free for the next run")
