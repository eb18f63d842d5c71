"""Every command answers the same through the desktop js_api and over HTTP."""

from __future__ import annotations

import pytest

from ollama_trainer.bridge.commands import Commands
from ollama_trainer.bridge.registry import specs
from tests.bridge_helpers import desktop_call, http_call, running_server

NO_ARG_COMMANDS = ["list_training_profiles", "list_datasets"]


@pytest.fixture(scope="module")
def server():
    with running_server() as server:
        yield server


@pytest.mark.parametrize("name", NO_ARG_COMMANDS)
def test_same_result_on_both_transports(server, name):
    status, http_result = http_call(server, name)
    envelope = desktop_call(Commands(transport="desktop"), name)
    assert status == 200
    assert envelope == {"ok": True, "result": http_result}
    assert len(http_result) >= 2


def test_app_info_differs_only_in_transport(server):
    from ollama_trainer.training import device_probe

    device_probe.probe()  # the device is known (app_info never waits for it)
    status, over_http = http_call(server, "app_info")
    in_window = desktop_call(Commands(transport="desktop"), "app_info")["result"]
    assert status == 200
    assert over_http.pop("transport") == "browser"
    assert in_window.pop("transport") == "desktop"
    assert over_http == in_window
    assert over_http["device"] in ("cpu", "cuda", "mps")


def test_app_info_answers_at_once_while_the_device_is_asked(monkeypatch):
    """The window's foot shows the version at once and says it waits for the device."""
    from ollama_trainer.training import device_probe

    started = []
    monkeypatch.setattr(device_probe, "_done", type(device_probe._done)())  # not answered yet
    monkeypatch.setattr(device_probe, "_started", type(device_probe._started)())
    monkeypatch.setattr(device_probe, "start_background_probe", lambda: started.append(True))
    info = desktop_call(Commands(transport="desktop"), "app_info")["result"]
    assert info["version"] and info["device"] is None and info["device_name"] is None
    assert started == [True]  # asked in the background


@pytest.mark.parametrize(
    ("name", "args", "code"),
    [
        ("list_training_profiles", {"unexpected": 1}, "invalid_argument"),
        ("no_such_command", {}, "unknown_command"),
        ("list_datasets", [1, 2], "invalid_argument"),
    ],
)
def test_same_error_on_both_transports(server, name, args, code):
    status, body = http_call(server, name, args)
    envelope = desktop_call(Commands(transport="desktop"), name, args) if name in specs(Commands) else None
    assert body["code"] == code and body["message"]
    assert status in (400, 404)
    if envelope is not None:
        assert envelope == {"ok": False, "error": body}


def test_js_api_exposes_exactly_the_commands():
    api_names = {n for n in dir(Commands().__class__) if not n.startswith("_")}
    from ollama_trainer.bridge.desktop import make_js_api

    exposed = {n for n in dir(make_js_api(Commands())) if not n.startswith("_")}
    assert exposed == set(specs(Commands)) == api_names


def test_file_dialog_only_in_the_window(server):
    status, body = http_call(server, "pick_dataset_file")
    assert status == 400 and body["code"] == "not_available"
    picked = desktop_call(Commands(transport="desktop", file_picker=lambda: "/home/me/faq.jsonl"), "pick_dataset_file")
    assert picked == {"ok": True, "result": {"path": "/home/me/faq.jsonl"}}
    cancelled = desktop_call(Commands(transport="desktop", file_picker=lambda: None), "pick_dataset_file")
    assert cancelled == {"ok": True, "result": {"path": None}}
