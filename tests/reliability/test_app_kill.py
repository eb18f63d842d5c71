"""The app killed with SIGKILL (the real `ollama-trainer --browser` process, driven over HTTP)
during a run, during a flow, and mid-append to the history: at the next start the runs read
`interrupted`, every earlier record is intact, a torn last line is skipped, and the run
resumes from its last checkpoint."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import textwrap

import httpx

from ollama_trainer import catalog, paths
from ollama_trainer.bridge.http import TOKEN_HEADER
from ollama_trainer.flows.runner import FlowRunner
from ollama_trainer.training import history, job_slot
from ollama_trainer.training.manager import TrainingManager
from tests.e2e.conftest import start_app, write_tiny_catalog
from tests.integration.conftest import REPO
from tests.reliability.conftest import alive
from tests.unit.test_history_log import summary
from tests.waiting import wait_until


class Client:
    def __init__(self, app):
        self.app = app
        page = httpx.get(app.url, timeout=10).text
        self.token = re.search(r'name="ot-token" content="([^"]+)"', page).group(1)

    def call(self, name: str, args: dict | None = None):
        r = httpx.post(f"{self.app.url}api/{name}", json=args or {}, headers={TOKEN_HEADER: self.token}, timeout=30)
        assert r.status_code == 200, r.text
        return r.json()


def events(training_id: str) -> list[dict]:
    path = history.run_dir(training_id) / "events.jsonl"
    out = []
    for line in path.read_text().splitlines() if path.exists() else []:
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def worker_pid(training_id: str) -> int:
    return next(e["pid"] for e in events(training_id) if e["event"] == "started")


def seed_history(n: int = 3) -> bytes:
    for k in range(n):
        history.log().append(summary(k))
    return paths.training_log().read_bytes()


def kill_app(app, training_id: str) -> None:
    pid = worker_pid(training_id)
    app.proc.send_signal(signal.SIGKILL)
    app.proc.wait(10)
    app.proc.stdout.close()
    # PR_SET_PDEATHSIG: the orphaned worker gets SIGTERM, saves where it is and exits.
    wait_until(lambda: not alive(pid), what="the orphaned worker to exit")
    # Its main thread can read as a zombie while its other threads still hold the open files
    # (the job slot's lock among them): the worker is gone once the slot is free.
    wait_until(lambda: job_slot.holder() is None, what="the orphaned worker's job slot")


def test_app_killed_during_a_run_then_interrupted_and_resumed(data_home, tiny_model, tmp_path):
    write_tiny_catalog(data_home, tiny_model, tmp_path)
    before = seed_history()
    app = start_app(data_home)
    client = Client(app)
    tid = client.call("start_training_job", {"profile_id": "tiny", "dataset_id": "colours", "epochs": 4})["training_id"]
    wait_until(lambda: any(e["event"] == "checkpoint" for e in events(tid)), what="the first checkpoint")
    kill_app(app, tid)

    manager = TrainingManager()  # the next start
    status = manager.status(tid)
    assert status.status == "interrupted" and "resume" in status.error
    assert paths.training_log().read_bytes().startswith(before)  # earlier records byte for byte
    assert [s.training_id for s in history.log().all()] == ["run-00000", "run-00001", "run-00002", tid]
    saved = json.loads((history.run_dir(tid) / "checkpoints" / "last" / "state.json").read_text())
    assert saved["step"] >= 1

    resumed = manager.start(catalog.get_profile("tiny"), catalog.get_dataset_entry("colours"), epochs=4,
                            resume_from=tid)
    final = manager.wait(resumed, 180)
    assert final.status == "done", final.error
    steps = [e["step"] for e in events(resumed) if e["event"] == "progress"]
    assert steps[0] == saved["step"] + 1 and steps[-1] == final.total_steps  # continued, not restarted


def test_app_killed_during_a_flow_then_both_interrupted(data_home, tiny_model, tmp_path):
    write_tiny_catalog(data_home, tiny_model, tmp_path)
    (data_home / "flows").mkdir(exist_ok=True)
    (data_home / "flows" / "long_train.json").write_text(json.dumps({
        "id": "long_train", "name": "Long train",
        "steps": [{"id": "train", "cmd": "TRAIN", "args": {"profile": "tiny", "dataset": "colours", "epochs": 6}}]}))
    before = seed_history()
    app = start_app(data_home)
    client = Client(app)
    flow_run_id = client.call("run_flow", {"flow_id": "long_train", "inputs": {}})["flow_run_id"]
    tid = wait_until(lambda: client.call("get_flow_run", {"flow_run_id": flow_run_id})["steps"][0]["training_id"],
                     what="the TRAIN step's training")
    wait_until(lambda: any(e["event"] == "progress" for e in events(tid)), what="training progress")
    kill_app(app, tid)

    runner = FlowRunner(TrainingManager())  # the next start
    run = runner.get(flow_run_id)
    assert run.status == "interrupted" and run.steps[0].status == "error"
    assert run.steps[0].training_id == tid
    assert runner._manager.status(tid).status == "interrupted"
    assert [r.flow_run_id for r in runner.recent(10)] == [flow_run_id]
    assert paths.training_log().read_bytes().startswith(before)


APPEND_CHILD = textwrap.dedent("""
    import os, sys, time
    from ollama_trainer import paths
    from ollama_trainer.training import history, job_slot
    from tests.unit.test_history_log import summary

    start = int(sys.argv[1])
    for k in range(start, start + 3):
        history.log().append(summary(k))
    real_write = os.write
    def write(fd, data):  # the process is killed between the two halves of a line
        real_write(fd, bytes(data)[: len(data) // 2])
        print("torn", flush=True)
        time.sleep(3600)
    os.write = write
    history.log().append(summary(999))
""")


def test_app_killed_mid_append_leaves_every_earlier_record(data_home):
    env = {"OLLAMA_TRAINER_HOME": str(data_home), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)}
    for round_ in range(3):
        child = subprocess.Popen([sys.executable, "-c", APPEND_CHILD, str(round_ * 10)], stdout=subprocess.PIPE,
                                 text=True, env=env)
        assert child.stdout.readline().strip() == "torn"
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        child.stdout.close()
        assert not paths.training_log().read_bytes().endswith(b"\n")  # a torn line really is there
        ids = [s.training_id for s in history.log().all()]
        assert ids == [f"run-{r * 10 + k:05d}" for r in range(round_ + 1) for k in range(3)]
        assert "run-00999" not in ids
    history.log().append(summary(500))  # the next append starts on a line of its own
    assert [s.training_id for s in history.recent(2)] == ["run-00500", "run-00022"]
    assert len(list(history.log().all())) == 10
