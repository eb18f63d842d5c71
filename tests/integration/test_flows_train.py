"""Flows that train for real: the shipped flows run through the real TrainingManager and worker
on the tiny Llama-shaped model (a user profile in <data>/profiles.json points at it)."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import pytest

from ollama_trainer import catalog, datasets, paths
from ollama_trainer.contracts import FlowRun
from ollama_trainer.flows.runner import FlowRunner
from ollama_trainer.jsonl_log import JsonlLog
from ollama_trainer.training import history
from ollama_trainer.training.manager import TrainingManager
from tests.waiting import wait_until

from .conftest import PYTHON, REPO, as_foreground, profile, worker_env

pytestmark = pytest.mark.slow


def use_tiny_profile(tiny_model: Path, **overrides) -> None:
    prof = profile(tiny_model, id="tiny", name="Tiny test model", **overrides)
    (paths.data_dir() / "profiles.json").write_text(json.dumps({"profiles": [prof]}), encoding="utf-8")


def logged_flow_runs() -> list[FlowRun]:
    return list(JsonlLog(paths.flow_log(), FlowRun).all())


def assert_linked(run: FlowRun, step_index: int) -> str:
    """The flow run names the training and the training summary names the flow run."""
    step = run.steps[step_index]
    training_id = step.outputs["training_id"]
    assert step.training_id == training_id
    summary = history.load_summary(training_id)
    assert summary is not None and summary.status == "done"
    assert summary.flow_run_id == run.flow_run_id
    assert history.load_job(training_id).flow_run_id == run.flow_run_id
    assert Path(step.outputs["adapter_dir"], "adapter_config.json").is_file()
    assert step.outputs["final_loss"] == summary.final_loss
    [record] = [r for r in logged_flow_runs() if r.flow_run_id == run.flow_run_id]
    assert record.status == "done" and record.steps[step_index].training_id == training_id
    return training_id


def test_train_default_trains_through_the_manager_with_the_profiles_epochs(tiny_model):
    use_tiny_profile(tiny_model, default_epochs=2)
    manager = TrainingManager()
    runner = FlowRunner(manager)
    flow_run_id = runner.run_flow("train_default", {"profile": "tiny"})
    run = runner.wait(flow_run_id, timeout=600)
    assert run.status == "done", run.error
    training_id = assert_linked(run, 0)
    summary = history.load_summary(training_id)
    assert (summary.profile_id, summary.dataset_id, summary.epochs) == ("tiny", "identity-demo", 2)
    assert manager.status(training_id).flow_run_id == flow_run_id


def test_index_and_train_builds_the_guide_dataset_and_trains_on_it(tiny_model):
    use_tiny_profile(tiny_model)
    runner = FlowRunner(TrainingManager())
    run = runner.wait(runner.run_flow("index_and_train", {"profile": "tiny"}), timeout=600)
    assert run.status == "done", run.error
    index = run.steps[0].outputs
    assert index["dataset_id"] == "app-guide" and index["documents"] == 4
    entry = catalog.get_dataset_entry("app-guide")
    assert entry.format == "text"
    loaded = datasets.load(entry.path, entry.format)
    assert loaded.valid and len(loaded.examples) == index["chunks"]
    training_id = assert_linked(run, 1)
    summary = history.load_summary(training_id)
    assert (summary.dataset_id, summary.epochs) == ("app-guide", 1)


def test_eval_step_answers_with_the_base_and_the_trained_model(tiny_model):
    """...and a third step, TRAIN on a preference dataset `from_run` the first: it trains that
    run's model further (pairs, by the profile's preference loss)."""
    use_tiny_profile(tiny_model)
    (paths.user_flows_dir() / "train_eval.json").write_text(json.dumps({
        "id": "train_eval", "name": "Train then eval",
        "steps": [
            {"id": "train", "cmd": "TRAIN", "args": {"profile": "tiny", "dataset": "identity-demo", "epochs": 1}},
            {"id": "eval", "cmd": "EVAL", "args": {"training_id": "${steps.train.training_id}",
                                                   "prompts": ["Who are you?"]}},
            {"id": "prefer", "cmd": "TRAIN", "args": {"profile": "tiny", "dataset": "concise-prefs", "epochs": 1,
                                                      "from_run": "${steps.train.training_id}"}},
        ]}))
    runner = FlowRunner(TrainingManager())
    run = runner.wait(runner.run_flow("train_eval"), timeout=600)
    assert run.status == "done", run.error
    training_id = run.steps[0].outputs["training_id"]
    saved = json.loads((history.run_dir(training_id) / "eval.json").read_text())
    [answer] = saved["answers"]
    assert answer["prompt"] == "Who are you?"
    assert isinstance(answer["before"], str) and isinstance(answer["after"], str)
    assert run.steps[1].outputs["eval_path"] == str(history.run_dir(training_id) / "eval.json")
    further = history.load_job(run.steps[2].outputs["training_id"])
    assert further.from_run == training_id and further.dataset.format == "preference"
    assert history.load_summary(further.training_id).from_run == training_id


def test_cli_flow_run_ctrl_c_cancels_the_training_and_exits_130(tiny_model, data_home):
    use_tiny_profile(tiny_model, default_epochs=100, batch_size=1)
    proc = subprocess.Popen(
        [PYTHON, "-m", "ollama_trainer", "flow", "run", "train_default", "--input", "profile=tiny"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=worker_env(data_home), cwd=str(REPO),
        preexec_fn=as_foreground,
    )
    try:
        training_id = None
        for line in proc.stdout:
            if "training_id=" in line:
                training_id = line.split("training_id=")[1].split()[0]
                break
        assert training_id, proc.stderr.read()
        events = history.run_dir(training_id) / "events.jsonl"

        def progressed() -> bool:
            if events.exists() and '"progress"' in events.read_text():
                return True
            assert proc.poll() is None, proc.stderr.read()  # the flow ended before training
            return False

        wait_until(progressed, what="the first progress event")
        proc.send_signal(signal.SIGINT)
        rc = proc.wait(timeout=120)
        out = proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert rc == 130, out
    assert "train (TRAIN): cancelled" in out
    summary = history.load_summary(training_id)
    assert summary.status == "cancelled" and summary.flow_run_id
    [record] = logged_flow_runs()
    assert record.status == "cancelled" and record.flow_run_id == summary.flow_run_id
    assert record.steps[0].training_id == training_id and record.steps[0].status == "cancelled"
