"""The flow loader with arbitrary JSON (and arbitrary bytes) in a flow file: it never raises,
the file is listed as broken with a reason, and the other flows still load and run-check."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ollama_trainer.flows import definition

GOOD = {"id": "good_flow", "name": "Good", "steps": [{"id": "train", "cmd": "TRAIN",
                                                       "args": {"profile": "tiny", "dataset": "colours"}}]}
KEYS = ["id", "name", "description", "inputs", "steps", "cmd", "args", "continue_on_error", "profile", "dataset",
        "epochs", "training_id", "source_dir", "dataset_id", "x"]
CMDS = ["TRAIN", "INDEX", "EXPORT", "EVAL", "train", "", "RM"]
REFS = ["${inputs.profile}", "${steps.train.training_id}", "${steps.nope.x}", "${", "${}", "$${inputs.a}",
        "${steps.train.training_id.more}"]

scalars = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10)
           | st.sampled_from(CMDS + REFS + ["good_flow", "../x", "a" * 100]))
json_values = st.recursive(scalars, lambda kids: st.lists(kids, max_size=4)
                           | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), kids, max_size=5),
                           max_leaves=20)
steps = st.lists(st.fixed_dictionaries({"id": st.sampled_from(["a", "train", "b", "A b"]), "cmd": st.sampled_from(CMDS)},
                                       optional={"args": json_values, "continue_on_error": json_values}), max_size=4)
flows = st.fixed_dictionaries({}, optional={"id": scalars, "name": scalars, "inputs": json_values, "steps": steps,
                                            "description": scalars, "extra": json_values}) | json_values


def check_folder(folder, contents: bytes) -> None:
    (folder / "good.json").write_text(json.dumps(GOOD))
    (folder / "fuzzed.json").write_bytes(contents)
    infos = definition.list_flows([(folder, "user")])
    good = [i for i in infos if i.id == "good_flow" and i.error is None]
    assert good, infos  # the other flow still loads
    fuzzed = [i for i in infos if i.file.endswith("fuzzed.json")]
    assert len(fuzzed) == 1
    if fuzzed[0].error is not None:
        assert fuzzed[0].error.strip()
    else:
        assert definition.get_flow(fuzzed[0].id, [(folder, "user")]) is not None


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(flow=flows)
def test_arbitrary_json_never_crashes_the_loader(tmp_path, flow):
    check_folder(tmp_path, json.dumps(flow).encode())


DEEP_ARGS = ('{"id": "deep", "name": "Deep", "steps": [{"id": "a", "cmd": "TRAIN", "args": {"profile": "p", '
             '"dataset": ' + "[" * 950 + "]" * 950 + "}}]}").encode()


def test_deeply_nested_step_arguments_are_a_broken_flow_not_a_crash(tmp_path):
    check_folder(tmp_path, DEEP_ARGS)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.binary(max_size=200) | st.sampled_from([b"", b"\xef\xbb\xbf{}", b"{" * 5000, b"[" * 100_000, b"9" * 5000, b"{\"id\": " + b"[" * 900 + b"]" * 900 + b"}"]))
def test_arbitrary_bytes_never_crash_the_loader(tmp_path, data):
    check_folder(tmp_path, data)
