"""FlowRunner with its real steps: TRAIN through a manager (a stand-in one: the real one is in
the integration tests) links the flow run and the training and passes a cancel on, and EXPORT
after it fails without an adapter; INDEX builds a text dataset from a real folder; EVAL answers
with an injected ask and saves eval.json."""

from __future__ import annotations

import functools
import json
import logging
import threading

from ollama_trainer import catalog, datasets, paths
from ollama_trainer.contracts import TrainingStatus
from ollama_trainer.flows.steps import STEP_FUNCTIONS, STEPS
from ollama_trainer.flows.steps.index import source_path
from ollama_trainer.flows.runner import FlowRunner
from tests.flow_helpers import write_flow
from tests.waiting import wait_until


class StandInManager:
    def __init__(self):
        self.started: list[dict] = []
        self.cancelled: list[str] = []
        self.release = threading.Event()
        self.outcome = "done"

    def start(self, profile, dataset, *, epochs=None, flow_run_id=None, queue=False, from_run=None):
        self.started.append({"profile": profile.id, "dataset": dataset.id, "epochs": epochs, "flow_run_id": flow_run_id})
        return "20260101-000000-abcdef"

    def wait(self, training_id, timeout=None):
        assert self.release.wait(10)
        return TrainingStatus(training_id=training_id, status=self.outcome, loss=0.4, eval_loss=0.6,
                              error="boom" if self.outcome == "error" else None)

    def cancel(self, training_id):
        self.cancelled.append(training_id)
        self.outcome = "cancelled"
        self.release.set()


TRAIN_ONLY = {"id": "t", "name": "T", "inputs": {"epochs": 2},
              "steps": [{"id": "train", "cmd": "TRAIN", "args": {"profile": "quick-demo", "dataset": "identity-demo",
                                                                 "epochs": "${inputs.epochs}"}},
                        {"id": "after", "cmd": "EXPORT", "args": {"training_id": "${steps.train.training_id}",
                                                                  "model_name": "m"}}]}


def test_train_step_links_the_run_and_the_training(caplog):
    write_flow(TRAIN_ONLY)
    manager = StandInManager()
    runner = FlowRunner(manager)
    with caplog.at_level(logging.INFO, logger="ollama_trainer.flows.steps"):
        flow_run_id = runner.run_flow("t")
        wait_until(lambda: runner.get(flow_run_id).steps[0].training_id, what="the TRAIN step's training")
        live = runner.get(flow_run_id)
        assert live.steps[0].status == "running"
        assert live.steps[0].training_id == "20260101-000000-abcdef"  # known while it runs
        manager.release.set()
        run = runner.wait(flow_run_id, timeout=10)
    assert manager.started == [{"profile": "quick-demo", "dataset": "identity-demo", "epochs": 2,
                                "flow_run_id": flow_run_id}]
    assert f"flow_run_id={flow_run_id} training_id=20260101-000000-abcdef" in caplog.text
    assert run.steps[0].status == "done"
    assert run.steps[0].outputs == {"training_id": "20260101-000000-abcdef", "status": "done", "final_loss": 0.4,
                                    "eval_loss": 0.6, "adapter_dir": None}
    # EXPORT of a run that has no adapter on disk: a failed step with the reason, never done
    assert run.steps[1].status == "error" and "20260101-000000-abcdef" in run.steps[1].error
    assert run.status == "error"


def test_cancelling_a_flow_cancels_its_training_job():
    write_flow(TRAIN_ONLY)
    manager = StandInManager()
    runner = FlowRunner(manager)
    flow_run_id = runner.run_flow("t")
    wait_until(lambda: runner.get(flow_run_id).steps[0].training_id, what="the TRAIN step's training")
    runner.cancel(flow_run_id)
    run = runner.wait(flow_run_id, timeout=10)
    assert manager.cancelled == ["20260101-000000-abcdef"]
    assert [s.status for s in run.steps] == ["cancelled", "skipped"]
    assert run.status == "cancelled"


def test_failed_training_fails_the_step():
    write_flow(TRAIN_ONLY)
    manager = StandInManager()
    manager.outcome = "error"
    manager.release.set()
    runner = FlowRunner(manager)
    run = runner.wait(runner.run_flow("t"), timeout=10)
    assert run.status == "error"
    assert run.steps[0].error == "training 20260101-000000-abcdef error: boom"
    assert run.steps[1].status == "skipped"


def test_unknown_profile_fails_the_train_step():
    write_flow({**TRAIN_ONLY, "inputs": {"epochs": 1}, "steps": [
        {"id": "train", "cmd": "TRAIN", "args": {"profile": "nope", "dataset": "identity-demo"}}]})
    manager = StandInManager()
    runner = FlowRunner(manager)
    run = runner.wait(runner.run_flow("t"), timeout=10)
    assert run.steps[0].error == "unknown training profile 'nope'" and manager.started == []


# -- INDEX on real folders, EVAL with an injected ask --------------------------------------------

INDEX_ONLY = {"id": "idx", "name": "Index", "inputs": {"src": "docs/guide", "chunks": 120},
              "steps": [{"id": "index", "cmd": "INDEX", "args": {"source_dir": "${inputs.src}", "dataset_id": "guide-x",
                                                                 "chunk_tokens": "${inputs.chunks}"}}]}


def test_index_builds_a_text_dataset_from_the_shipped_guide():
    write_flow(INDEX_ONLY)
    runner = FlowRunner(manager=None)
    run = runner.wait(runner.run_flow("idx"), timeout=30)
    assert run.status == "done", run.error
    out = run.steps[0].outputs
    assert out["dataset_id"] == "guide-x" and out["documents"] == 4 and out["chunks"] >= 4
    entry = catalog.get_dataset_entry("guide-x")
    assert entry.format == "text" and entry.source == "user"
    loaded = datasets.load(entry.path, entry.format)
    assert loaded.valid and len(loaded.examples) == out["chunks"]
    assert any("Flows" in ex["text"] for ex in loaded.examples)


def test_index_resolves_relative_folders_against_the_repository_root():
    assert source_path("docs/guide") == paths.REPO_ROOT / "docs" / "guide"


def test_index_of_an_empty_or_missing_folder_fails(tmp_path):
    (tmp_path / "empty").mkdir()
    write_flow(INDEX_ONLY)
    runner = FlowRunner(manager=None)
    run = runner.wait(runner.run_flow("idx", {"src": str(tmp_path / "empty")}), timeout=10)
    assert run.status == "error" and "nothing to index" in run.steps[0].error
    run = runner.wait(runner.run_flow("idx", {"src": str(tmp_path / "missing")}), timeout=10)
    assert run.status == "error" and "folder of documents not found" in run.steps[0].error


def test_index_refuses_a_builtin_dataset_id(tmp_path):
    flow = json.loads(json.dumps(INDEX_ONLY))
    flow["steps"][0]["args"]["dataset_id"] = "identity-demo"
    write_flow(flow)
    runner = FlowRunner(manager=None)
    run = runner.wait(runner.run_flow("idx"), timeout=10)
    assert "built-in dataset's id" in run.steps[0].error


def _trained_run(name: str, held_out_prompts: list[str]):
    """A finished run's folder (its job.json: quick-demo on identity-demo) for EVAL to answer about."""
    run_dir = paths.runs_dir() / name
    run_dir.mkdir(parents=True)
    profile = catalog.get_profile("quick-demo")
    (run_dir / "job.json").write_text(json.dumps({
        "training_id": run_dir.name, "epochs": 1, "profile": profile.model_dump(mode="json"), "models_dir": "/m",
        "dataset": {"id": "identity-demo", "path": "/d.jsonl", "held_out_prompts": held_out_prompts}}))
    return run_dir


def _eval_runner(ask) -> FlowRunner:
    """A runner whose EVAL asks `ask` in place of a model."""
    return FlowRunner(manager=None, step_functions={**STEP_FUNCTIONS, "EVAL": functools.partial(STEPS["EVAL"], ask=ask)})


def test_eval_answers_with_base_and_trained_model_and_saves_eval_json():
    run_dir = _trained_run("20260101-000000-eval01", ["Who are you?", "Who made you?"])
    asked = []

    def ask(*, run, base, prompt, with_adapter=True):
        asked.append((run, with_adapter, prompt))
        return f"{'tuned' if with_adapter else 'base'}: {prompt}"

    write_flow({"id": "ev", "name": "Eval", "steps": [
        {"id": "eval", "cmd": "EVAL", "args": {"training_id": run_dir.name}}]})
    runner = _eval_runner(ask)
    run = runner.wait(runner.run_flow("ev"), timeout=10)
    assert run.status == "done", run.error
    assert asked == [(run_dir.name, False, "Who are you?"), (run_dir.name, True, "Who are you?"),
                     (run_dir.name, False, "Who made you?"), (run_dir.name, True, "Who made you?")]
    saved = json.loads((run_dir / "eval.json").read_text())
    assert saved["answers"][0] == {"prompt": "Who are you?", "before": "base: Who are you?",
                                   "after": "tuned: Who are you?"}
    assert saved["flow_run_id"] == run.flow_run_id
    assert run.steps[0].outputs["count"] == 2


def test_eval_stops_a_flow_whose_run_forgets_too_much():
    run_dir = _trained_run("20260101-000000-eval02", ["Who are you?"])
    (run_dir / "scores.json").write_text(json.dumps({"learned": 1.0, "kept": 0.55}))
    write_flow({"id": "ev", "name": "Eval", "steps": [
        {"id": "eval", "cmd": "EVAL", "args": {"training_id": run_dir.name, "min_kept": 0.9}},
        {"id": "after", "cmd": "EVAL", "args": {"training_id": run_dir.name}}]})
    def ask(**kw):
        return "an answer"

    runner = _eval_runner(ask)
    run = runner.wait(runner.run_flow("ev"), timeout=10)
    assert run.status == "error" and run.steps[0].status == "error"
    assert "scores kept 55%, under the flow's min_kept of 90%: it forgets too much" in run.steps[0].error
    assert run.steps[1].status in ("pending", "skipped")  # the flow stopped there
    (run_dir / "scores.json").write_text(json.dumps({"learned": 1.0, "kept": 0.95}))
    again = runner.wait(runner.run_flow("ev"), timeout=10)
    assert again.status == "done" and again.steps[0].outputs["kept"] == 0.95


def test_eval_of_an_unknown_run_fails():
    write_flow({"id": "ev", "name": "Eval", "steps": [
        {"id": "eval", "cmd": "EVAL", "args": {"training_id": "nope", "prompts": ["hi"]}}]})
    runner = FlowRunner(manager=None)
    run = runner.wait(runner.run_flow("ev"), timeout=10)
    assert run.steps[0].error == "no training run 'nope'"
