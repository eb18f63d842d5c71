"""Disk full while writing history and events (os.write fails with ENOSPC part-way through a
line): a clear error, no torn line left in the file, every earlier record intact."""

from __future__ import annotations

import errno
import io
import json
import os

import pytest

from ollama_trainer import paths
from ollama_trainer.training import history
from ollama_trainer import protocol
from ollama_trainer.training.worker.event_log import EventLog
from ollama_trainer.training.manager import TrainingManager
from tests.unit.test_history_log import summary


def fail_writes_to(monkeypatch, name: str, *, after: int = 0):
    """os.write to a file called `name` writes half its bytes once, then fails with ENOSPC."""
    real_write = os.write
    count = {"n": 0}

    def write(fd, data):
        try:
            target = os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            target = ""
        if target != name:
            return real_write(fd, data)
        count["n"] += 1
        if count["n"] <= after:
            return real_write(fd, data)
        if count["n"] == after + 1:
            return real_write(fd, bytes(data)[: len(data) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", write)
    return count


def history_of_three():
    """The history log with runs 0 to 2 in it, and its bytes."""
    log = history.log()
    for n in range(3):
        log.append(summary(n))
    return log, paths.training_log().read_bytes()


def test_history_append_on_a_full_disk_leaves_no_torn_line():
    log, before = history_of_three()
    with pytest.MonkeyPatch.context() as mp:
        fail_writes_to(mp, paths.training_log().name)
        with pytest.raises(OSError) as exc:
            log.append(summary(99))
    assert exc.value.errno == errno.ENOSPC
    assert paths.training_log().read_bytes() == before  # the half line was cut back off
    log.append(summary(4))
    assert [s.training_id for s in log.all()] == ["run-00000", "run-00001", "run-00002", "run-00004"]


def test_event_log_on_a_full_disk_leaves_no_torn_line_and_still_reports(monkeypatch, tmp_path):
    path = tmp_path / "events.jsonl"
    stream = io.StringIO()
    events = EventLog(path, stream=stream)
    events.emit(protocol.Started(pid=1))
    fail_writes_to(monkeypatch, "events.jsonl")
    with pytest.raises(OSError) as exc:
        events.emit(protocol.Progress(epoch=1, total_epochs=1, step=1, total_steps=1, loss=2.0))
    assert exc.value.errno == errno.ENOSPC and exc.value.filename == str(path)
    assert [json.loads(line)["event"] for line in path.read_text().splitlines()] == ["started"]
    assert path.read_bytes().endswith(b"\n")
    events.emit(protocol.Error(message="disk full"))  # the file is given up; stdout still hears it
    assert [json.loads(line)["event"] for line in stream.getvalue().splitlines()] == ["started", "error"]
    events.close()


def test_manager_says_the_history_was_not_written(tiny_catalog, faulty_python):
    prof, data = tiny_catalog
    _, before = history_of_three()
    with pytest.MonkeyPatch.context() as mp:
        # a full disk for the history log, in the worker (which records its own end) and in the app
        fail_writes_to(mp, paths.training_log().name)
        manager = TrainingManager(python=faulty_python(f"enospc:{paths.training_log().name}:0"))
        tid = manager.start(prof, data, epochs=1)
        final = manager.wait(tid, 180)
    assert manager._jobs[tid].finished.is_set() and manager.active_id() is None
    assert final.status == "done"  # the training itself succeeded...
    assert "history not written" in final.error and "No space left" in final.error  # ...and it says what was lost
    assert paths.training_log().read_bytes() == before
    assert history.load_summary(tid).status == "done"  # the run's own summary.json was written
    assert [s.training_id for s in history.log().all()] == ["run-00000", "run-00001", "run-00002"]


def test_flow_run_says_its_history_was_not_written(tmp_path):
    from ollama_trainer.flows.runner import FlowRunner

    guide = tmp_path / "guide"
    guide.mkdir()
    (guide / "a.md").write_text("Ollama Trainer fine-tunes local models.\n")
    (paths.user_flows_dir() / "idx.json").write_text(json.dumps({"id": "idx", "name": "Index", "steps": [
        {"id": "index", "cmd": "INDEX", "args": {"source_dir": str(guide), "dataset_id": "guide-x"}}]}))
    runner = FlowRunner(manager=None)
    with pytest.MonkeyPatch.context() as mp:
        fail_writes_to(mp, paths.flow_log().name)
        run = runner.wait(runner.run_flow("idx"), timeout=60)
    assert run.status == "done" and run.steps[0].status == "done"
    assert "flow history not written" in run.error and "No space left" in run.error
    assert not paths.flow_log().exists() or b"idx" not in paths.flow_log().read_bytes()
