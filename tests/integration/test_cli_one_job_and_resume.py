"""The command line beside the app, as a person uses them together: a CLI `train` started while
another process trains never runs at the same time (refused with job_running naming the job, or
waiting in line with --wait), and Ctrl-C then the printed resume command continue to the epochs
that were asked for."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys

from ollama_trainer import catalog
from ollama_trainer.training import history, job_slot
from ollama_trainer.training.manager import TrainingManager
from tests.e2e.conftest import write_tiny_catalog
from tests.integration.conftest import as_foreground, read_events
from tests.waiting import wait_until


def cli(home, *args) -> subprocess.Popen:
    env = {**os.environ, "OLLAMA_TRAINER_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "ollama_trainer", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, preexec_fn=as_foreground)


def _text(path) -> str:
    try:
        return path.read_text()
    except FileNotFoundError:
        return ""


def spans(training_id: str) -> tuple[float, float]:
    """When the run's worker trained: its first and last event's times."""
    events = read_events(history.run_dir(training_id))
    times = [e["time"] for e in events if "time" in e]
    from datetime import datetime

    return datetime.fromisoformat(times[0]).timestamp(), datetime.fromisoformat(times[-1]).timestamp()


def test_a_cli_train_never_runs_beside_the_apps(data_home, tiny_model, tmp_path):
    write_tiny_catalog(data_home, tiny_model, tmp_path, default_epochs=4)
    app = TrainingManager(origin="window")
    running = app.start(catalog.get_profile("tiny"), catalog.get_dataset_entry("colours"))

    refused = cli(data_home, "train", "--profile", "tiny", "--dataset", "colours", "--epochs", "1")
    out, err = refused.communicate(timeout=120)
    assert refused.returncode == 1, err
    assert "job_running" in err and running in err and "window" in err
    assert "--wait" in err  # the refusal names the flag that queues it

    listed = cli(data_home, "history", "--json")
    out, _ = listed.communicate(timeout=120)
    first = json.loads(out)[0]  # the running job heads the history
    assert first["training_id"] == running and first["status"] in ("preparing", "running")

    waiting = cli(data_home, "train", "--profile", "tiny", "--dataset", "colours", "--epochs", "1", "--wait")
    # The CLI's ticket in the line (or the CLI already gone, which the checks below report).
    wait_until(lambda: job_slot.line() or waiting.poll() is not None, what="the CLI job to wait in line")
    assert app.status(running).status in ("preparing", "running")
    out, err = waiting.communicate(timeout=600)
    assert waiting.returncode == 0, err[-2000:]
    assert app.wait(running, 300).status == "done"
    later = next(s for s in history.recent(5) if s.training_id != running)
    assert spans(later.training_id)[0] >= spans(running)[1] - 0.5  # it began after the first had ended
    # Its time in the history is when it started, not when it was queued.
    from datetime import datetime

    assert datetime.fromisoformat(later.started_at).timestamp() >= spans(running)[1] - 1


def test_ctrl_c_then_the_printed_resume_command_reach_the_asked_epochs(data_home, tiny_model, tmp_path):
    write_tiny_catalog(data_home, tiny_model, tmp_path, default_epochs=2)
    proc = cli(data_home, "train", "--profile", "tiny", "--dataset", "colours", "--epochs", "5")

    def checkpointed() -> str | None:
        runs = sorted(p for p in (data_home / "runs").glob("*") if p.is_dir()) if (data_home / "runs").exists() else []
        if runs and '"event": "checkpoint"' in _text(runs[0] / "events.jsonl"):
            return runs[0].name
        return None

    tid = wait_until(checkpointed, what="the run's first checkpoint")
    assert tid, "no checkpoint was written"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, err[-2000:]
    command = re.search(r"Resume with: (ollama-trainer train --resume \S+)", err).group(1)
    assert command == f"ollama-trainer train --resume {tid}"

    resumed = cli(data_home, *command.split()[1:])
    out, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err[-2000:]
    new = next(s for s in history.recent(5) if s.training_id != tid)
    assert new.status == "done" and new.resumed_from == tid and new.epochs == 5
    progress = [e for e in read_events(history.run_dir(new.training_id)) if e["event"] == "progress"]
    assert progress[-1]["epoch"] == 5 and progress[-1]["step"] == progress[-1]["total_steps"]
    saved = json.loads((history.run_dir(tid) / "checkpoints" / "last" / "state.json").read_text())
    assert progress[0]["step"] == saved["step"] + 1  # continued, not restarted

    # The same with the profile and dataset named again and no --epochs: still the run's 5.
    again = cli(data_home, "train", "--profile", "tiny", "--dataset", "colours", "--resume", new.training_id)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 2 and "nothing_to_resume" in err  # it had reached its 5 epochs
