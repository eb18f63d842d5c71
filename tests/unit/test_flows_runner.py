"""FlowRunner: order, templating at run time, failure and skipping, continue_on_error,
cancel, the history record and interrupted recovery. Step functions are injected through the
runner's cmd -> function mapping; the real steps (TRAIN through a stand-in manager, EXPORT
after it, INDEX, EVAL) are test_flows_steps.py."""

from __future__ import annotations

import json
import threading

import pytest

from ollama_trainer import paths
from ollama_trainer.contracts import FlowRun
from ollama_trainer.errors import InvalidArgument
from ollama_trainer.flows import history
from ollama_trainer.flows.runner import FlowRunner
from ollama_trainer.flows.step import StepCancelled, StepFailed
from ollama_trainer.jsonl_log import JsonlLog
from tests.flow_helpers import write_flow


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
                raise StepFailed(f"{ctx.step_id} broke")
            if action == "bug":
                raise KeyError("oops")
            if action == "block":
                self.started.set()
                assert ctx.cancel.wait(10)
                raise StepCancelled()
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
