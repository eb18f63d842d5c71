"""FlowRunner: order, templating at run time, failure and skipping, continue_on_error,
cancel, the history record and interrupted recovery. Step functions are injected through the
runner's cmd -> function mapping; INDEX and EXPORT also run for real (no training needed)."""

from __future__ import annotations

import functools
import json
import logging
import threading

import pytest

from ollama_trainer import catalog, datasets, paths
from ollama_trainer.contracts import FlowRun, TrainingStatus
from ollama_trainer.errors import InvalidArgument
from ollama_trainer.flows import history, steps
from ollama_trainer.flows.runner import FlowRunner
from ollama_trainer.jsonl_log import JsonlLog


def write_flow(flow: dict) -> None:
    (paths.user_flows_dir() / f"{flow['id']}.json").write_text(json.dumps(flow), encoding="utf-8")


def logged() -> list[FlowRun]:
    return list(JsonlLog(paths.flow_log(), FlowRun).all())


class Fakes:
    """Step functions that record their arguments; behaviour per step id."""

    def __init__(self):
        self.calls: list[tuple[str, dict]] = []
        self.behaviour: dict = {}
        self.started = threading.Event()

    def fn(self, cmd):
        def run(args, ctx):
            self.calls.append((ctx.step_id, args))
            action = self.behaviour.get(ctx.step_id)
            if action == "fail":
                raise steps.StepFailed(f"{ctx.step_id} broke")
            if action == "bug":
                raise KeyError("oops")
            if action == "block":
                self.started.set()
                assert ctx.cancel.wait(10)
                raise steps.StepCancelled()
            return {"dataset_id": "ds-1", "documents": 2, "chunks": 5, "training_id": f"t-{ctx.step_id}",
                    "final_loss": 0.5, "status": "done"}
        return run

    def mapping(self):
        return {cmd: self.fn(cmd) for cmd in ("TRAIN", "INDEX", "EXPORT", "EVAL")}


@pytest.fixture
def fakes():
    return Fakes()


@pytest.fixture
def runner(fakes):
    return FlowRunner(manager=None, step_functions=fakes.mapping())


THREE = {
    "id": "three",
    "name": "Three steps",
    "inputs": {"n": 3, "name": "guide", "lr": 0.5, "flag": False},
    "steps": [
        {"id": "index", "cmd": "INDEX", "args": {"source_dir": "docs/${inputs.name}", "dataset_id": "${inputs.name}"}},
        {"id": "train", "cmd": "TRAIN", "args": {"profile": "p-${inputs.n}", "dataset": "${steps.index.dataset_id}",
                                                 "epochs": "${inputs.n}"}},
        {"id": "eval", "cmd": "EVAL", "args": {"training_id": "${steps.train.training_id}",
                                               "prompts": ["loss was ${steps.train.final_loss}", "${inputs.flag}"]}},
    ],
}


def test_steps_run_in_order_with_inputs_and_outputs_resolved(runner, fakes):
    write_flow(THREE)
    run = runner.wait(runner.run_flow("three"), timeout=10)
    assert run.status == "done", run
    assert [c[0] for c in fakes.calls] == ["index", "train", "eval"]
    args = dict(fakes.calls)
    assert args["index"] == {"source_dir": "docs/guide", "dataset_id": "guide"}
    assert args["train"] == {"profile": "p-3", "dataset": "ds-1", "epochs": 3}
    assert isinstance(args["train"]["epochs"], int)
    assert args["eval"] == {"training_id": "t-train", "prompts": ["loss was 0.5", False]}
    assert [s.status for s in run.steps] == ["done"] * 3
    assert run.steps[1].args == args["train"]  # the run shows the resolved arguments
    assert run.steps[1].training_id == "t-train"
    assert run.steps[0].outputs["chunks"] == 5
    assert all(s.started_at and s.finished_at for s in run.steps)
    assert run.finished_at and run.duration_s is not None and run.error is None


def test_text_inputs_are_converted_to_the_default_type(runner, fakes):
    write_flow(THREE)
    run = runner.wait(runner.run_flow("three", {"n": "4", "flag": "true", "lr": "0.1"}), timeout=10)
    assert run.inputs == {"n": 4, "name": "guide", "lr": 0.1, "flag": True}
    assert dict(fakes.calls)["train"]["epochs"] == 4


@pytest.mark.parametrize("inputs, message", [
    ({"nope": 1}, "unknown input 'nope'"),
    ({"n": "many"}, "input 'n': 'many' is not a whole number"),
    ({"lr": "fast"}, "input 'lr': 'fast' is not a number"),
    ({"flag": "maybe"}, "input 'flag': 'maybe' is not true or false"),
])
def test_bad_inputs_fail_before_anything_runs(runner, fakes, inputs, message):
    write_flow(THREE)
    with pytest.raises(InvalidArgument, match=message):
        runner.run_flow("three", inputs)
    assert fakes.calls == [] and logged() == [] and runner.recent(10) == []


def test_required_input_without_default(runner):
    write_flow({**THREE, "id": "req", "inputs": {**THREE["inputs"], "name": None}})
    with pytest.raises(InvalidArgument, match="input 'name' is required"):
        runner.run_flow("req")
    run = runner.wait(runner.run_flow("req", {"name": "x"}), timeout=10)
    assert run.status == "done"


def test_failed_step_skips_the_rest_and_the_flow_ends_error(runner, fakes):
    write_flow(THREE)
    fakes.behaviour["train"] = "fail"
    run = runner.wait(runner.run_flow("three"), timeout=10)
    assert [s.status for s in run.steps] == ["done", "error", "skipped"]
    assert run.steps[1].error == "train broke"
    assert run.status == "error" and "step 'train': train broke" in run.error
    assert [c[0] for c in fakes.calls] == ["index", "train"]


def test_a_bug_in_a_step_is_an_error_not_a_crash(runner, fakes):
    write_flow(THREE)
    fakes.behaviour["index"] = "bug"
    run = runner.wait(runner.run_flow("three"), timeout=10)
    assert run.status == "error"
    assert run.steps[0].error == "KeyError: 'oops'"
    assert [s.status for s in run.steps] == ["error", "skipped", "skipped"]


def test_continue_on_error_runs_the_next_steps_but_the_flow_is_not_done(runner, fakes):
    flow = json.loads(json.dumps(THREE))
    flow["steps"][0]["continue_on_error"] = True
    flow["steps"][1]["args"]["dataset"] = "fixed"
    write_flow(flow)
    fakes.behaviour["index"] = "fail"
    run = runner.wait(runner.run_flow("three"), timeout=10)
    assert [s.status for s in run.steps] == ["error", "done", "done"]
    assert run.status == "error" and run.error == "step 'index': index broke"


def test_reference_to_a_failed_steps_output_fails_the_step(runner, fakes):
    flow = json.loads(json.dumps(THREE))
    flow["steps"][0]["continue_on_error"] = True
    write_flow(flow)
    fakes.behaviour["index"] = "fail"
    run = runner.wait(runner.run_flow("three"), timeout=10)
    assert [s.status for s in run.steps] == ["error", "error", "skipped"]
    assert "step 'index' has no output 'dataset_id' (it ended error)" in run.steps[1].error
    assert [c[0] for c in fakes.calls] == ["index"]


def test_cancel_stops_the_running_step_and_skips_the_rest(runner, fakes):
    write_flow(THREE)
    fakes.behaviour["train"] = "block"
    flow_run_id = runner.run_flow("three")
    assert fakes.started.wait(10)
    assert runner.get(flow_run_id).steps[1].status == "running"
    runner.cancel(flow_run_id)
    run = runner.wait(flow_run_id, timeout=10)
    assert run.status == "cancelled"
    assert [s.status for s in run.steps] == ["done", "cancelled", "skipped"]
    assert [r.status for r in logged()] == ["cancelled"]
    assert runner.cancel(flow_run_id).status == "cancelled"  # cancelling again changes nothing


def test_history_record_state_file_and_listing(fakes):
    write_flow(THREE)
    runner = FlowRunner(manager=None, step_functions=fakes.mapping())
    first = runner.wait(runner.run_flow("three"), timeout=10)
    fakes.behaviour["train"] = "block"
    second_id = runner.run_flow("three")
    assert fakes.started.wait(10)
    [record] = logged()
    assert record == first  # one line per finished run, with its steps and outputs
    assert record.steps[1].training_id == "t-train"
    state = json.loads((paths.data_dir() / "flow_runs" / second_id / "state.json").read_text())
    assert state["status"] == "running" and state["steps"][1]["status"] == "running"
    listed = runner.recent(10)
    assert [r.flow_run_id for r in listed] == [second_id, first.flow_run_id]  # running first
    assert [r.flow_run_id for r in runner.recent(1)] == [second_id]
    runner.cancel(second_id)
    runner.wait(second_id, timeout=10)
    assert [r.status for r in logged()] == ["done", "cancelled"]
    # a new runner (the app restarted) finds both from disk, and does not record them again
    again = FlowRunner(manager=None, step_functions=fakes.mapping())
    assert again.get(first.flow_run_id) == first
    assert [r.flow_run_id for r in again.recent(10)] == [second_id, first.flow_run_id]
    assert len(logged()) == 2


def test_unknown_flow_run():
    runner = FlowRunner(manager=None)
    with pytest.raises(Exception) as err:
        runner.get("flow-nope")
    assert getattr(err.value, "code", None) == "unknown_flow_run"


def _left_running(flow_run_id: str, status="running") -> FlowRun:
    run = FlowRun.model_validate({
        "flow_run_id": flow_run_id, "flow_id": "three", "status": status, "started_at": "2026-01-01T00:00:00+00:00",
        "steps": [{"id": "index", "cmd": "INDEX", "status": "done"},
                  {"id": "train", "cmd": "TRAIN", "status": "running", "training_id": "t-1"},
                  {"id": "eval", "cmd": "EVAL", "status": "pending"}],
    })
    history.write_state(run)
    return run


def test_unfinished_state_becomes_interrupted_at_start_up():
    _left_running("flow-left")
    runner = FlowRunner(manager=None)
    run = runner.get("flow-left")
    assert run.status == "interrupted" and "app stopped" in run.error
    assert [s.status for s in run.steps] == ["done", "error", "skipped"]
    assert run.steps[1].training_id == "t-1" and run.finished_at
    assert [(r.flow_run_id, r.status) for r in logged()] == [("flow-left", "interrupted")]
    FlowRunner(manager=None)  # recovery happens once
    assert len(logged()) == 1


def test_finished_state_never_logged_is_logged_as_it_is():
    _left_running("flow-done", status="done")
    FlowRunner(manager=None)
    assert [(r.flow_run_id, r.status) for r in logged()] == [("flow-done", "done")]


def test_a_live_run_is_not_taken_for_interrupted(runner, fakes):
    write_flow(THREE)
    fakes.behaviour["index"] = "block"
    flow_run_id = runner.run_flow("three")
    assert fakes.started.wait(10)
    FlowRunner(manager=None)  # a second app instance starting now
    assert logged() == []
    runner.cancel(flow_run_id)
    assert runner.wait(flow_run_id, timeout=10).status == "cancelled"


# -- TRAIN through the manager (a stand-in manager: the real one is in the integration tests) --

class StandInManager:
    def __init__(self):
        self.started: list[dict] = []
        self.cancelled: list[str] = []
        self.release = threading.Event()
        self.outcome = "done"

    def start(self, profile, dataset, *, epochs=None, flow_run_id=None, queue=False):
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
        for _ in range(200):
            if runner.get(flow_run_id).steps[0].training_id:
                break
            threading.Event().wait(0.02)
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
    for _ in range(200):
        if runner.get(flow_run_id).steps[0].training_id:
            break
        threading.Event().wait(0.02)
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


# -- real INDEX, EVAL with an injected ask ---------------------------------------------------

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
    assert steps.source_path("docs/guide") == paths.REPO_ROOT / "docs" / "guide"


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
    return FlowRunner(manager=None, step_functions={**steps.STEP_FUNCTIONS,
                                                    "EVAL": functools.partial(steps.evaluate, ask=ask)})


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
