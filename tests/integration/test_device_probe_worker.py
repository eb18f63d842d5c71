"""The real worker's device probe, kept for the next start: the second start answers the same
without a worker process."""

from __future__ import annotations

import threading

from ollama_trainer.training import device_probe, worker_client


def test_the_workers_answer_is_kept_for_the_next_start(tmp_path, monkeypatch):
    monkeypatch.setenv("OLLAMA_TRAINER_MODELS_CACHE", str(tmp_path / "models"))
    for start in ("first", "second"):
        monkeypatch.setattr(device_probe, "_result", None)
        monkeypatch.setattr(device_probe, "_done", threading.Event())
        monkeypatch.setattr(device_probe, "_started", threading.Event())
        if start == "first":
            found = device_probe.probe()
            assert found["device"] in ("cpu", "cuda", "mps") and found["device_name"]
            assert (tmp_path / "models" / device_probe.CACHE_FILE).is_file()
        else:
            def no_worker(*args, **kwargs):
                raise AssertionError("the second start asked the worker")

            monkeypatch.setattr(worker_client, "call", no_worker)
            assert device_probe.probe() == found
