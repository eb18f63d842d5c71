"""Train for real (tiny model) then hand the adapter to the Ollama stand-in, through the same
paths the window and the CLI use: the bridge's export_to_ollama, auto_export, `train --export`."""

from __future__ import annotations

import json

import pytest

from ollama_trainer import catalog, wiring
from ollama_trainer.bridge.commands import Commands
from ollama_trainer.bridge.registry import dispatch
from ollama_trainer.cli import main as cli_main
from ollama_trainer.contracts import DatasetEntry
from ollama_trainer.training import history
from tests.fakes.fixtures import ollama_standin  # noqa: F401
from tests.integration.conftest import profile, write_chat_dataset
from tests.waiting import wait_until


@pytest.fixture()
def tiny_setup(tiny_model, data_home, tmp_path):
    def make(**overrides):
        data_home.mkdir(parents=True, exist_ok=True)
        (data_home / "profiles.json").write_text(json.dumps({"profiles": [
            profile(tiny_model, id="tiny", default_epochs=1, **overrides)]}))
        dataset = write_chat_dataset(tmp_path / "colours.jsonl")
        catalog.register_user_dataset(DatasetEntry(id="colours", name="Colours", path=str(dataset)))
    return make


def wait_export(commands, tid):
    last = []

    def finished():
        last[:] = [dispatch(commands, "get_export_state", {"training_id": tid})]
        return last[0] if last[0]["state"] in ("done", "error") else None

    try:
        return wait_until(finished, what=f"the export of {tid} to finish")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; last state {last[0]}") from None


def test_window_path_train_then_export(tiny_setup, ollama_standin):
    tiny_setup()
    commands = Commands(transport="browser")
    dispatch(commands, "update_settings", {"ollama_host": ollama_standin.url})
    tid = dispatch(commands, "start_training_job", {"profile_id": "tiny", "dataset_id": "colours"})["training_id"]
    assert commands._manager.wait(tid, 300).status == "done"

    before = history.load_summary(tid)
    state = dispatch(commands, "export_to_ollama", {"training_id": tid, "model_name": "colours-test"})
    assert state["state"] in ("exporting", "done")
    state = wait_export(commands, tid)
    assert state["state"] == "done", state
    assert ollama_standin.find("colours-test") is not None

    create = ollama_standin.calls("POST", "/api/create")[-1].json
    assert "from" not in create and "adapters" not in create  # a whole model: a current Ollama takes nothing else
    # the tiny base is a safetensors folder: the worker merged it and llama.cpp's converter wrote
    # it as model.gguf at the end of the run (no merged/ folder left)
    run = history.run_dir(tid)
    assert set(create["files"]) == {"model.gguf"} and not (run / "merged").exists()
    events = [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()]
    assert any(e["event"] == "model_file" and e["path"] == str(run / "model.gguf") for e in events)
    assert "<|im_start|>" in create["template"] and "<|im_end|>" in create["parameters"]["stop"]
    blobs = {c.path.rsplit("/", 1)[-1] for c in ollama_standin.calls("POST") if c.path.startswith("/api/blobs/")}
    assert set(create["files"].values()) <= blobs

    after = history.load_summary(tid)
    assert after.ollama_model == "colours-test"
    assert after.model_copy(update={"ollama_model": None}) == before  # the training result is untouched
    assert [s.ollama_model for s in history.recent(5) if s.training_id == tid] == ["colours-test"]
    answer = dispatch(commands, "ask_ollama", {"model": "colours-test", "prompt": "What colour is ink?"})
    assert "What colour is ink?" in answer["answer"]


def test_export_failure_leaves_training_done(tiny_setup, ollama_standin):
    tiny_setup()
    commands = Commands(transport="browser")
    tid = dispatch(commands, "start_training_job", {"profile_id": "tiny", "dataset_id": "colours"})["training_id"]
    assert commands._manager.wait(tid, 300).status == "done"
    dispatch(commands, "export_to_ollama", {"training_id": tid, "host": "http://127.0.0.1:9"})
    state = wait_export(commands, tid)
    assert state["state"] == "error" and state["code"] == "ollama_unreachable"
    assert "start Ollama" in state["error"]
    assert history.load_summary(tid).status == "done" and history.load_summary(tid).ollama_model is None
    assert (history.run_dir(tid) / "Modelfile").is_file()  # a manual import stays possible
    # Retry once Ollama answers.
    dispatch(commands, "export_to_ollama", {"training_id": tid, "host": ollama_standin.url})
    assert wait_export(commands, tid)["state"] == "done"


def test_auto_export_goes_through_exporting(tiny_setup, ollama_standin, monkeypatch):
    tiny_setup(auto_export=True)
    monkeypatch.setenv("OLLAMA_HOST", ollama_standin.url)
    manager = wiring.training_manager()  # the app's manager: auto-export hangs on its on_finished hook
    tid = manager.start(catalog.get_profile("tiny"), catalog.get_dataset_entry("colours"))
    seen = set()

    def ended():  # every status the job shows until it ends, "exporting" among them
        if manager.active_id() != tid:
            return True
        seen.add(manager.status(tid).status)
        return False

    wait_until(ended, interval=0.02, what=f"job {tid} to end")
    final = manager.wait(tid, 60)
    assert final.status == "done" and "is ready" in final.message
    assert "exporting" in seen
    assert history.load_summary(tid).ollama_model


def test_cli_train_with_export(tiny_setup, ollama_standin, monkeypatch, capsys):
    from ollama_trainer import paths
    from ollama_trainer.training.run_folder import RunFolder

    tiny_setup()
    monkeypatch.setenv("OLLAMA_HOST", ollama_standin.url)
    # Ollama answers as the trained model did (the run's own first sample): the check says "same"
    ollama_standin.chat_responder = lambda req, m: RunFolder(next(paths.runs_dir().iterdir())).samples()[0].after
    code = cli_main(["train", "--profile", "tiny", "--dataset", "colours", "--export", "--model", "cli-colours"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "Warning: the base model does not know its chat format's turn tokens" in err  # the run's warnings, again
    assert "Learned:" in err and "last training loss" in err
    assert ollama_standin.find("cli-colours") is not None
    assert history.recent(1)[0].ollama_model == "cli-colours"
