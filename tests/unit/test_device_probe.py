"""The device probe is kept for the next start on the same machine, and asked again when
anything it depends on changed (tests/integration/test_device_probe.py asks the real worker)."""

from __future__ import annotations

import json
import threading

import pytest

from ollama_trainer.training import device_probe

GPU = {"device": "cuda", "device_name": "NVIDIA H200", "memory_gb": 139.8, "nf4": True}


@pytest.fixture()
def fresh(tmp_path, monkeypatch):
    """A process that has not probed yet, a models cache of its own, and a worker that counts."""
    monkeypatch.setenv("OLLAMA_TRAINER_MODELS_CACHE", str(tmp_path / "models"))
    asked = []

    def ask(timeout):
        asked.append(timeout)
        return dict(GPU)

    monkeypatch.setattr(device_probe, "_ask_worker", ask)
    restart(monkeypatch)
    return asked


def restart(monkeypatch) -> None:
    """As a new start of the app: nothing probed in this process."""
    monkeypatch.setattr(device_probe, "_result", None)
    monkeypatch.setattr(device_probe, "_done", threading.Event())
    monkeypatch.setattr(device_probe, "_started", threading.Event())


def test_the_next_start_on_this_machine_answers_without_the_worker(fresh, monkeypatch, tmp_path):
    assert device_probe.probe() == GPU
    assert len(fresh) == 1
    saved = json.loads((tmp_path / "models" / device_probe.CACHE_FILE).read_text())
    assert saved == {"key": device_probe.machine_key(), "answer": GPU}
    restart(monkeypatch)
    assert device_probe.probe() == GPU and device_probe.known() == GPU
    assert len(fresh) == 1  # kept: no second worker


@pytest.mark.parametrize("change", ["CUDA_VISIBLE_DEVICES", "another python", "damaged file"])
def test_anything_the_answer_depends_on_changed_asks_again(fresh, monkeypatch, tmp_path, change):
    device_probe.probe()
    restart(monkeypatch)
    if change == "CUDA_VISIBLE_DEVICES":
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    elif change == "another python":
        monkeypatch.setattr(device_probe.sys, "executable", "/opt/other/bin/python3")
    else:
        (tmp_path / "models" / device_probe.CACHE_FILE).write_text('{"key": {"python": ')
    assert device_probe.probe() == GPU
    assert len(fresh) == 2
    assert json.loads((tmp_path / "models" / device_probe.CACHE_FILE).read_text())["key"] == device_probe.machine_key()


def test_a_worker_that_cannot_answer_gives_the_cpu_and_keeps_nothing(fresh, monkeypatch, tmp_path):
    monkeypatch.setattr(device_probe, "_ask_worker", lambda timeout: None)
    found = device_probe.probe()
    assert found["device"] == "cpu" and found["device_name"]
    assert not (tmp_path / "models" / device_probe.CACHE_FILE).exists()  # the next start asks again


def test_the_key_is_read_without_importing_torch():
    import subprocess
    import sys

    code = ("import sys; from ollama_trainer.training import device_probe; device_probe.machine_key(); "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
