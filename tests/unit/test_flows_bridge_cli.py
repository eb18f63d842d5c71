"""The flow commands over the bridge (validated dispatch) and the `ollama-trainer flow` CLI,
with flows of real INDEX and EXPORT steps (no training)."""

from __future__ import annotations

import json

import pytest

from ollama_trainer import cli, paths
from ollama_trainer.bridge.commands import Commands
from ollama_trainer.bridge.registry import CommandFailed, dispatch
from tests.waiting import wait_until

INDEX_FLOW = {"id": "idx", "name": "Index the guide", "inputs": {"chunks": 200},
              "steps": [{"id": "index", "cmd": "INDEX", "args": {"source_dir": "docs/guide", "dataset_id": "guide-b",
                                                                 "chunk_tokens": "${inputs.chunks}"}}]}
EXPORT_FLOW = {"id": "exp", "name": "Export", "steps": [
    {"id": "export", "cmd": "EXPORT", "args": {"training_id": "t-1", "model_name": "mine"}}]}


@pytest.fixture(autouse=True)
def flows():
    for flow in (INDEX_FLOW, EXPORT_FLOW):
        (paths.user_flows_dir() / f"{flow['id']}.json").write_text(json.dumps(flow))
    (paths.user_flows_dir() / "broken.json").write_text("{nope")


def _wait_done(commands, flow_run_id):
    def ended():
        run = dispatch(commands, "get_flow_run", {"flow_run_id": flow_run_id})
        return run if run["status"] != "running" else None

    return wait_until(ended, what=f"flow run {flow_run_id} to end")


def test_bridge_flow_commands():
    commands = Commands()
    listed = {f["id"]: f for f in dispatch(commands, "list_flows", {})}
    assert listed["idx"]["error"] is None and listed["idx"]["steps"][0]["cmd"] == "INDEX"
    assert listed["broken"]["error"].startswith("broken.json: not valid JSON")
    assert listed["train_default"]["source"] == "builtin"

    result = dispatch(commands, "run_flow", {"flow_id": "idx", "inputs": {"chunks": 150}})
    run = _wait_done(commands, result["flow_run_id"])
    assert run["status"] == "done" and run["inputs"] == {"chunks": 150}
    assert run["steps"][0]["outputs"]["dataset_id"] == "guide-b"

    failed = _wait_done(commands, dispatch(commands, "run_flow", {"flow_id": "exp"})["flow_run_id"])
    assert failed["status"] == "error"
    assert failed["steps"][0]["error"] == "no training run 't-1'"  # an honest failure, never done

    runs = dispatch(commands, "get_flow_runs", {"limit": 10})
    assert [r["flow_run_id"] for r in runs] == [failed["flow_run_id"], run["flow_run_id"]]
    assert dispatch(commands, "cancel_flow_run", {"flow_run_id": run["flow_run_id"]})["status"] == "done"


@pytest.mark.parametrize("name, args, code, message", [
    ("run_flow", {"flow_id": "Bad Id"}, "invalid_argument", "flow_id"),
    ("run_flow", {"flow_id": "nope"}, "unknown_flow", "unknown flow 'nope'"),
    ("run_flow", {"flow_id": "broken"}, "invalid_flow", "broken.json"),
    ("run_flow", {"flow_id": "idx", "inputs": {"x": 1}}, "invalid_input", "unknown input 'x'"),
    ("get_flow_run", {"flow_run_id": "flow-none"}, "unknown_flow_run", "no flow run"),
    ("get_flow_run", {"flow_run_id": "../etc"}, "invalid_argument", "flow_run_id"),
    ("cancel_flow_run", {"flow_run_id": "flow-none"}, "unknown_flow_run", "no flow run"),
])
def test_bridge_errors(name, args, code, message):
    with pytest.raises(CommandFailed) as err:
        dispatch(Commands(), name, args)
    assert err.value.code == code and message in err.value.message


def test_cli_flow_list(capsys):
    assert cli.main(["flow", "list"]) == 0
    out = capsys.readouterr().out
    assert "train_default" in out and "[TRAIN]" in out and "broken" in out and "BROKEN: broken.json" in out
    assert cli.main(["flow", "list", "--json"]) == 0
    listed = {f["id"]: f for f in json.loads(capsys.readouterr().out)}
    assert listed["idx"]["inputs"] == {"chunks": 200}


def test_cli_flow_run_done_prints_each_step_change(capsys):
    assert cli.main(["flow", "run", "idx", "--input", "chunks=120"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "step index (INDEX): running"
    assert out[1].startswith("step index (INDEX): done")


def test_cli_flow_run_json(capsys):
    assert cli.main(["flow", "run", "idx", "--json"]) == 0
    runs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert runs[0]["status"] == "running" and runs[0]["steps"][0]["status"] == "pending"
    assert [r["steps"][0]["status"] for r in runs].count("running") >= 1
    assert len({r["flow_run_id"] for r in runs}) == 1
    assert runs[-1]["status"] == "done" and runs[-1]["steps"][0]["outputs"]["chunks"] >= 1


def test_cli_flow_run_failed_and_invalid(capsys):
    assert cli.main(["flow", "run", "exp"]) == 1
    captured = capsys.readouterr()
    assert "step export (EXPORT): error: no training run 't-1'" in captured.out
    assert cli.main(["flow", "run", "nope"]) == 2
    assert "unknown flow 'nope'" in capsys.readouterr().err
    assert cli.main(["flow", "run", "idx", "--input", "chunks"]) == 2
    assert "use NAME=VALUE" in capsys.readouterr().err
    assert cli.main(["flow", "run", "idx", "--input", "chunks=lots"]) == 2
    assert cli.main(["flow", "run", "broken"]) == 2


def test_cli_flow_history(capsys):
    assert cli.main(["flow", "history"]) == 0
    assert "No flow runs yet" in capsys.readouterr().out
    cli.main(["flow", "run", "exp"])
    capsys.readouterr()
    assert cli.main(["flow", "history", "--json"]) == 0
    [run] = json.loads(capsys.readouterr().out)
    assert run["flow_id"] == "exp" and run["status"] == "error"


def test_a_done_index_step_names_the_files_it_skipped_in_plain_output():
    from ollama_trainer.cli.flow import _step_line
    from ollama_trainer.contracts import FlowStepRun

    step = FlowStepRun(id="index", cmd="INDEX", status="done", duration_s=1.5,
                      outputs={"skipped": [{"file": "secret.pdf", "reason": "encrypted PDF (needs a password)"}],
                               "notes": ["no teacher: text chunks"]})
    line = _step_line(step)
    assert "skipped secret.pdf: encrypted PDF (needs a password)" in line and "note: no teacher" in line


def test_compare_cuts_long_values_with_an_ellipsis():
    from ollama_trainer.cli.compare import _fit

    assert _fit("short", 10) == "short" and _fit("x" * 20, 10) == "x" * 9 + "…"
