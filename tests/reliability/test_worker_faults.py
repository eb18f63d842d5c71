"""The worker killed, hung, out of memory, or out of disk: the job ends `error` with a message
that says which, no worker process is left behind, and what was written before stays intact."""

from __future__ import annotations

import json
import signal

import pytest

from ollama_trainer.training import history
from ollama_trainer.training.manager import TrainingManager
from tests.reliability.conftest import STALL_HUNG_S, alive
from tests.waiting import wait_until


def run_with_faults(prof, data, python, *, epochs=2, during=None):
    manager = TrainingManager(python=python)
    tid = manager.start(prof, data, epochs=epochs)
    job = manager._jobs[tid]
    if during is not None:
        during(manager, tid, job)
    final = manager.wait(tid, 180)
    assert job.finished.is_set(), "the job did not end"
    return manager, tid, final, job.process.pid


def kill_when_running(manager, tid, job):
    wait_until(lambda: manager.status(tid).status == "running", what="running")
    job.process.send_signal(signal.SIGKILL)


CASES = {
    # fault name: (OT_FAULTS, what a test does meanwhile, words the error must contain)
    "killed": ("", kill_when_running, "SIGKILL"),
    "hung": ("silent_after_setup", None, "stopped responding"),
    # A capped address space fails in Python (MemoryError, torch's allocator) or in native code
    # first (libgomp cannot create its threads and exits): both must read "out of memory".
    "out_of_memory": ("oom_after_setup:0", None, "out of memory"),
    "out_of_memory_one_thread": ("oom_after_setup:0", None, "out of memory"),
}


@pytest.mark.parametrize("fault", list(CASES))
def test_worker_fault_ends_in_error_that_says_which(fault, tiny_catalog, faulty_python, monkeypatch):
    faults, during, words = CASES[fault]
    if fault.endswith("_one_thread"):
        monkeypatch.setenv("OMP_NUM_THREADS", "1")
    prof, data = tiny_catalog
    if fault == "hung":  # silent for good after setup: only the watchdog ends it
        prof = prof.model_copy(update={"stall_timeout_s": STALL_HUNG_S})
    manager, tid, final, pid = run_with_faults(prof, data, faulty_python(faults), during=during)
    assert final.status == "error", final
    assert words in final.error, final.error
    assert not alive(pid), "the worker process was left behind"
    assert manager.active_id() is None
    summary = history.load_summary(tid)
    assert summary.status == "error" and words in summary.error
    assert [s.training_id for s in history.log().all()] == [tid]


def test_disk_full_while_writing_events(tiny_catalog, faulty_python):
    prof, data = tiny_catalog
    _, tid, final, pid = run_with_faults(prof, data, faulty_python("enospc:events.jsonl:6"))
    assert final.status == "error" and "the disk is full while writing" in final.error, final.error
    assert "events.jsonl" in final.error and not alive(pid)
    raw = (history.run_dir(tid) / "events.jsonl").read_bytes()
    lines = raw.split(b"\n")
    assert lines[-1] == b"", "the file ends with a torn line"
    events = [json.loads(line) for line in lines[:-1]]  # every line whole and valid
    assert len(events) == 6 and events[0]["event"] == "started"


def test_disk_full_while_saving_a_checkpoint_keeps_the_previous_one(tiny_catalog, faulty_python):
    prof, data = tiny_catalog
    _, tid, final, pid = run_with_faults(prof, data, faulty_python("enospc_checkpoint:2"), epochs=3)
    assert final.status == "error" and "the disk is full" in final.error, final.error
    assert not alive(pid)
    folder = history.run_dir(tid) / "checkpoints"
    assert sorted(p.name for p in folder.iterdir()) == ["last"], "a half-written checkpoint was left"
    state = json.loads((folder / "last" / "state.json").read_text())
    assert state["epoch"] == 1  # the epoch-1 checkpoint, whole
    assert {p.name for p in (folder / "last").iterdir()} >= {"adapter.safetensors", "optimizer.pt", "rng.pt"}


def test_lines_no_reader_can_use_never_leave_a_job_running(tiny_catalog, faulty_python):
    """A worker that writes foreign, malformed and non-JSON lines before every event (an app
    upgraded while a run went on, say): the job still ends `done` with the machine's slot free,
    and everything that reads the run folder later (status, metrics, compare) skips those lines."""
    from ollama_trainer.training import compare, job_slot, outcome
    from ollama_trainer.training.run_folder import RunFolder

    prof, data = tiny_catalog
    manager, tid, final, pid = run_with_faults(prof, data, faulty_python("foreign_lines"))
    assert final.status == "done", final
    assert manager.active_id() is None and job_slot.holder() is None
    assert not alive(pid)
    after = TrainingManager()
    second = after.start(prof, data, epochs=1)  # the slot is free for the next job
    assert after.wait(second, 180).status == "done"
    folder = RunFolder.of(tid)
    assert b'{"event":"nope"}' in folder.file("events.jsonl").read_bytes()
    rebuilt = outcome.status_of(folder)
    assert (rebuilt.status, rebuilt.step) == ("done", final.step)
    assert [p.step for p in TrainingManager().metrics(tid).points if p.loss is not None] == \
        list(range(1, final.step + 1))
    assert len(compare.compare([tid, second]).runs) == 2


def test_a_replay_slower_than_the_stall_timeout_is_not_killed_while_it_answers(tiny_catalog, faulty_python):
    """Every replay token takes 0.3 s more: the replay stage lasts more than twice the profile's
    6 s stall timeout, but it reports each answer and a heartbeat every few seconds, so the
    watchdog sees a working trainer and the run ends `done`."""
    from ollama_trainer.training.run_folder import RunFolder

    prof, data = tiny_catalog
    # a system prompt of its own: no replay answer of another test's run is in the cache for it
    prof = prof.model_copy(update={"stall_timeout_s": STALL_HUNG_S, "replay": "on", "replay_ratio": 0.5, "probe": False,
                                   "system_prompt": f"You answer slowly ({tid_hint()})."})
    manager, tid, final, _ = run_with_faults(prof, data, faulty_python("slow_replay:0.3"), epochs=1)
    assert final.status == "done", final.error
    stages = [e for e in RunFolder.of(tid).events() if e.event == "stage" and e.stage == "replay"]
    assert stages[0].done == 0 and stages[-1].done == stages[-1].total > 0
    seconds = (_time(stages[-1]) - _time(stages[0])).total_seconds()
    assert seconds > 2 * STALL_HUNG_S, f"the replay took {seconds:.0f} s: not long enough to show anything"
    assert any("of" in e.message for e in stages)


def tid_hint() -> str:
    import uuid

    return uuid.uuid4().hex[:8]


def _time(event):
    from datetime import datetime

    return datetime.fromisoformat(event.time.replace("Z", "+00:00"))
