"""Flow files: schema, load-time checks, broken files listed by name, templating."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ollama_trainer import paths
from ollama_trainer.errors import NotFound
from ollama_trainer.flows import definition
from ollama_trainer.flows.definition import FlowError
from ollama_trainer.flows.steps import STEPS

GOOD = {
    "id": "good",
    "name": "Good flow",
    "inputs": {"src": "docs/guide", "n": 2},
    "steps": [
        {"id": "index", "cmd": "INDEX", "args": {"source_dir": "${inputs.src}", "dataset_id": "guide"}},
        {"id": "train", "cmd": "TRAIN", "args": {"profile": "quick-demo", "dataset": "${steps.index.dataset_id}",
                                                 "epochs": "${inputs.n}"}},
        {"id": "eval", "cmd": "EVAL", "args": {"training_id": "${steps.train.training_id}"}},
    ],
}


def _with(**changes) -> dict:
    return {**json.loads(json.dumps(GOOD)), **changes}


def _step(index: int, **changes) -> dict:
    flow = _with()
    flow["steps"][index].update(changes)
    return flow


def test_shipped_flows_load_without_errors():
    flows = {f.id: f for f in definition.list_flows()}
    assert {"train_default", "index_and_train"} <= flows.keys()
    for flow in flows.values():
        assert flow.error is None, flow.error
    assert [s.cmd for s in flows["index_and_train"].steps] == ["INDEX", "TRAIN"]
    assert flows["train_default"].inputs == {"profile": "quick-demo", "dataset": "identity-demo"}
    assert "epochs" not in flows["train_default"].steps[0].args  # the profile's default_epochs


def test_good_flow_parses():
    flow = definition.parse(json.dumps(GOOD), "good.json")
    assert [s.id for s in flow.steps] == ["index", "train", "eval"]
    assert flow.inputs == {"src": "docs/guide", "n": 2}


BROKEN = {
    "bad_json.json": ('{"id": "x", "name": ', "not valid JSON: line 1"),
    "unknown_cmd.json": (_step(1, cmd="DEPLOY"), "unknown command 'DEPLOY'"),
    "missing_arg.json": (_step(0, args={"source_dir": "docs"}), "missing required argument 'dataset_id'"),
    "unknown_arg.json": (_step(0, args={"source_dir": "d", "dataset_id": "g", "colour": 1}), "unknown argument 'colour'"),
    "later_ref.json": (_step(0, args={"source_dir": "${steps.train.adapter_dir}", "dataset_id": "g"}),
                       "step 'train' comes later"),
    "missing_step_ref.json": (_step(2, args={"training_id": "${steps.nope.training_id}"}), "step 'nope' does not exist"),
    "unknown_field_ref.json": (_step(2, args={"training_id": "${steps.train.model}"}), "a TRAIN step has no output 'model'"),
    "unknown_input_ref.json": (_step(0, args={"source_dir": "${inputs.folder}", "dataset_id": "g"}),
                               "the flow has no input 'folder'"),
    "bad_ref_syntax.json": (_step(0, args={"source_dir": "${src}", "dataset_id": "g"}), "use ${inputs.<name>}"),
    "self_ref.json": (_step(1, args={"profile": "p", "dataset": "${steps.train.training_id}"}),
                      "step 'train' comes later"),
    "duplicate_step.json": (_step(1, id="index"), "step 'index': duplicate step id"),
    "bad_flow_id.json": (_with(id="Bad Id"), "id: Value error"),
    "bad_step_id.json": (_step(0, id="../up"), "steps.0.id: Value error"),
    "no_steps.json": (_with(steps=[]), "steps: List should have at least 1 item"),
    "not_object.json": ("[1, 2]", "a flow file is a JSON object"),
    "bad_input_name.json": (_with(inputs={"my input": "x"}), "input 'my input'"),
    "extra_key.json": (_with(colour="red"), "colour: Extra inputs are not permitted"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_each_broken_file_is_listed_with_its_name_and_error_while_the_good_one_loads(name):
    content, expected = BROKEN[name]
    folder = paths.user_flows_dir()
    (folder / "good.json").write_text(json.dumps(GOOD))
    (folder / name).write_text(content if isinstance(content, str) else json.dumps(content))
    flows = definition.list_flows()
    by_file = {Path(f.file).name: f for f in flows}
    assert by_file["good.json"].error is None
    broken = by_file[name]
    assert broken.error is not None
    assert broken.error.startswith(name + ": "), broken.error
    assert expected in broken.error, broken.error
    assert broken.id == name.removesuffix(".json")  # id derived from the file name
    assert definition.get_flow("good").definition.id == "good"  # still runnable
    # the shipped flows are unaffected too
    assert by_file["train_default.json"].error is None
    with pytest.raises(FlowError) as err:
        definition.get_flow(broken.id)
    assert name in err.value.message


def test_broken_file_id_is_slug_of_file_name():
    (paths.user_flows_dir() / "My Flow!.json").write_text("{")
    [broken] = [f for f in definition.list_flows() if f.error]
    assert broken.id == "my-flow"


def test_duplicate_flow_id_in_one_folder_is_an_error_for_the_second_file():
    folder = paths.user_flows_dir()
    (folder / "a.json").write_text(json.dumps(GOOD))
    (folder / "b.json").write_text(json.dumps(GOOD))
    by_file = {Path(f.file).name: f for f in definition.list_flows()}
    assert by_file["a.json"].error is None
    assert "flow id 'good' is already used by a.json" in by_file["b.json"].error


def test_user_flow_replaces_shipped_flow_with_same_id():
    flow = _with(id="train_default", name="Mine")
    (paths.user_flows_dir() / "mine.json").write_text(json.dumps(flow))
    [info] = [f for f in definition.list_flows() if f.id == "train_default"]
    assert info.name == "Mine" and info.source == "user"


def test_unknown_flow_is_not_found():
    with pytest.raises(NotFound) as err:
        definition.get_flow("nope")
    assert err.value.code == "unknown_flow"


# -- templating ------------------------------------------------------------------------------

VALUES = {"inputs.n": 3, "inputs.name": "guide", "steps.t.final_loss": 0.25, "steps.i.report": {"a": 1},
          "inputs.flag": True, "inputs.none": None}


def _resolve(value):
    return definition.resolve(value, VALUES.__getitem__)


def test_whole_string_reference_keeps_the_type():
    assert _resolve("${inputs.n}") == 3
    assert _resolve("${steps.t.final_loss}") == 0.25
    assert _resolve("${steps.i.report}") == {"a": 1}
    assert _resolve("${inputs.flag}") is True


def test_embedded_reference_is_formatted_as_text():
    assert _resolve("run-${inputs.n}-${inputs.name}") == "run-3-guide"
    assert _resolve("loss ${steps.t.final_loss}") == "loss 0.25"
    assert _resolve("flag=${inputs.flag} none=${inputs.none}") == "flag=true none="
    assert _resolve("r ${steps.i.report}") == 'r {"a": 1}'


def test_nested_values_and_plain_values():
    assert _resolve({"a": ["${inputs.n}", "x${inputs.n}"], "b": 7, "c": None}) == {"a": [3, "x3"], "b": 7, "c": None}
    assert _resolve("no refs") == "no refs"


def test_references_inside_lists_and_dicts_are_checked_at_load():
    flow = _step(0, args={"source_dir": "d", "dataset_id": "g", "patterns": ["${inputs.nope}"]})
    with pytest.raises(FlowError, match="no input 'nope'"):
        definition.parse(json.dumps(flow), "f.json")


def test_docs_describe_every_command_argument_and_output():
    text = (paths.REPO_ROOT / "docs" / "flows.md").read_text(encoding="utf-8")
    for cmd, step in STEPS.items():
        [row] = [line for line in text.splitlines() if line.startswith(f"| {cmd} |")]
        for name in step.required | step.optional | step.output_names:
            assert f"`{name}`" in row, f"docs/flows.md: {cmd} does not mention {name}"
