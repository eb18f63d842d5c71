"""The training manager with the real worker on the tiny model: one job at a time, honest
terminal states, exactly one summary per run, cancel/resume, SIGKILL, interrupted runs."""

from __future__ import annotations

import json
import os
import signal

import pytest

from ollama_trainer import catalog
from ollama_trainer.contracts import TERMINAL_STATES, DatasetEntry, TrainingOverrides
from ollama_trainer.errors import DomainError
from ollama_trainer.training import history
from ollama_trainer.training.details import run_details
from ollama_trainer.training.manager import TrainingManager
from tests.integration.conftest import profile, write_chat_dataset
from tests.waiting import wait_until


@pytest.fixture()
def setup(tiny_model, data_home, tmp_path):
    data_home.mkdir(parents=True, exist_ok=True)
    (data_home / "profiles.json").write_text(json.dumps({"profiles": [profile(tiny_model, id="tiny", default_epochs=2)]}))
    dataset = write_chat_dataset(tmp_path / "colours.jsonl", repeat=2)
    catalog.register_user_dataset(DatasetEntry(id="colours", name="Colours", path=str(dataset),
                                               held_out_prompts=["What colour is ink?"]))
    return catalog.get_profile("tiny"), catalog.get_dataset_entry("colours")


def wait_for(manager, tid, predicate):
    """The run's status once `predicate` holds for it."""
    last = []

    def holds():
        last[:] = [manager.status(tid)]
        return last[0] if predicate(last[0]) else None

    try:
        return wait_until(holds, what=f"run {tid}'s status")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; last status {last[0]}") from None


def test_run_to_done_records_one_summary(setup):
    prof, data = setup
    manager = TrainingManager()
    tid = manager.start(prof, data)
    assert manager.status(tid).status in ("preparing", "running")
    final = manager.wait(tid, 300)
    assert final.status == "done", final
    assert final.total_epochs == 2 and final.step == final.total_steps > 0
    assert final.loss is not None and final.error is None
    summaries = [s for s in history.log().all() if s.training_id == tid]
    assert len(summaries) == 1
    s = summaries[0]
    assert s.status == "done" and s.epochs == 2 and s.final_loss == pytest.approx(final.loss)
    assert s.adapter_dir and os.path.isfile(os.path.join(s.adapter_dir, "adapter_config.json"))
    points = manager.metrics(tid, 0).points
    assert [p.step for p in points if p.loss is not None] == list(range(1, final.total_steps + 1))
    assert any(p.eval_loss is not None for p in points)
    # A fresh manager (the app restarted) answers from disk the same way.
    again = TrainingManager()
    assert again.status(tid).status == "done"
    assert len(again.metrics(tid, 0).points) == len(points)
    assert again.metrics(tid, final.total_steps).points[0].step == final.total_steps


def test_one_job_at_a_time(setup):
    prof, data = setup
    manager = TrainingManager()
    tid = manager.start(prof, data, epochs=3)
    with pytest.raises(DomainError) as exc:
        manager.start(prof, data)
    assert exc.value.code == "job_running" and tid in exc.value.message
    manager.cancel(tid)
    manager.wait(tid, 120)


@pytest.mark.parametrize("epochs", [0, 101, -1])
def test_invalid_epochs_rejected_before_any_process(setup, epochs, data_home):
    prof, data = setup
    with pytest.raises(DomainError) as exc:
        TrainingManager().start(prof, data, epochs=epochs)
    assert exc.value.code == "invalid_epochs"
    assert not any((data_home / "runs").iterdir())


def test_invalid_dataset_rejected_with_line(setup, tmp_path, data_home):
    prof, _ = setup
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": ""}]}\n')
    with pytest.raises(DomainError) as exc:
        TrainingManager().start(prof, DatasetEntry(id="bad", name="Bad", path=str(bad)))
    assert exc.value.code == "invalid_dataset" and ":1:" in exc.value.message
    assert not any((data_home / "runs").iterdir())


def test_cancel_then_resume(setup):
    prof, data = setup
    manager = TrainingManager()
    tid = manager.start(prof, data, epochs=3, overrides=TrainingOverrides(batch_size=2))
    wait_for(manager, tid, lambda s: s.step >= 3)
    manager.cancel(tid)
    final = manager.wait(tid, 120)
    assert final.status == "cancelled" and "checkpoint" in final.message
    assert (history.run_dir(tid) / "checkpoints" / "last").is_dir()
    assert history.load_summary(tid).status == "cancelled"

    resumed = manager.start(prof, data, epochs=3, overrides=TrainingOverrides(batch_size=2), resume_from=tid)
    # the cancelled run's page links forward to its continuation, while it runs and after
    assert run_details(manager, tid).continued_by == resumed
    done = manager.wait(resumed, 300)
    assert done.status == "done"
    assert history.load_job(resumed).resumed_from == tid
    assert run_details(manager, tid).continued_by == resumed
    assert run_details(manager, resumed).continued_by is None


def test_killed_worker_ends_in_error_with_reason(setup):
    prof, data = setup
    manager = TrainingManager()
    tid = manager.start(prof, data, epochs=3)
    wait_for(manager, tid, lambda s: s.status == "running")
    manager._jobs[tid].process.send_signal(signal.SIGKILL)
    final = manager.wait(tid, 60)
    assert final.status == "error" and "SIGKILL" in final.error
    assert history.load_summary(tid).status == "error"
    assert sum(1 for s in history.log().all() if s.training_id == tid) == 1


def test_unfinished_runs_become_interrupted_at_start(setup, data_home):
    prof, data = setup
    run = data_home / "runs" / "20261128-000000-abcdef"
    run.mkdir(parents=True)
    (run / "job.json").write_text(json.dumps({"training_id": run.name, "epochs": 2, "started_at": "2026-11-28T00:00:00+00:00",
                                              "profile": prof.model_dump(mode="json"),
                                              "dataset": {"id": data.id, "path": data.path},
                                              "models_dir": str(data_home / "models")}))
    (run / "events.jsonl").write_text('{"event": "progress", "time": "x", "epoch": 1, "total_epochs": 2, "step": 1, '
                                      '"total_steps": 4, "loss": 2.5}\n{"event": "progr')
    manager = TrainingManager()
    status = manager.status(run.name)
    assert status.status == "interrupted" and status.loss == 2.5
    assert history.recent(1)[0].training_id == run.name
    TrainingManager()  # a second start does not record it twice
    assert sum(1 for s in history.log().all() if s.training_id == run.name) == 1


def test_unknown_run_is_not_found():
    with pytest.raises(DomainError) as exc:
        TrainingManager().status("no-such-run")
    assert exc.value.code == "unknown_training"


def test_hung_worker_is_stopped_with_a_message(tiny_model, data_home, tmp_path):
    data_home.mkdir(parents=True, exist_ok=True)
    (data_home / "profiles.json").write_text(json.dumps({"profiles": [profile(tiny_model, id="tiny", stall_timeout_s=6)]}))
    dataset = write_chat_dataset(tmp_path / "colours.jsonl", repeat=4)
    catalog.register_user_dataset(DatasetEntry(id="colours", name="Colours", path=str(dataset)))
    manager = TrainingManager()
    tid = manager.start(catalog.get_profile("tiny"), catalog.get_dataset_entry("colours"), epochs=50)
    wait_for(manager, tid, lambda s: s.status == "running")
    process = manager._jobs[tid].process
    process.send_signal(signal.SIGSTOP)  # alive but silent, like a deadlocked trainer
    final = manager.wait(tid, 60)
    assert final.status == "error" and "stopped responding" in final.error
    assert process.poll() is not None  # no worker left behind


def test_a_job_started_from_a_short_lived_thread_keeps_running(setup):
    """The bridge starts jobs from request threads that end at once; the worker must not be
    tied to that thread's life (PR_SET_PDEATHSIG follows the forking thread)."""
    import threading

    prof, data = setup
    manager = TrainingManager()
    started = []
    t = threading.Thread(target=lambda: started.append(manager.start(prof, data, epochs=1)))
    t.start()
    t.join()
    # The thread is gone: the worker goes on to train (a worker killed with its thread never does).
    wait_for(manager, started[0], lambda s: s.step > 0 or s.status in TERMINAL_STATES)
    final = manager.wait(started[0], 300)
    assert final.status == "done", final.error
