"""Which device training would use, asked of the worker once per process (torch is imported
only there) and cached. Falls back to the CPU when the training stack is not installed.

The first answer takes a while (the worker imports torch: 10-20 s on a busy machine); `known()`
never waits for it, so the window can show everything else at once and say what it waits on."""

from __future__ import annotations

import platform
import threading

_lock = threading.Lock()
_result: dict | None = None
_done = threading.Event()
_started = threading.Event()


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "CPU"


def probe(timeout: float = 60.0) -> dict:
    """{device, device_name[, memory_gb: the GPU's]}; the first call takes a couple of seconds (torch import)."""
    global _result
    _started.set()
    with _lock:
        if _result is None:
            _result = {"device": "cpu", "device_name": _cpu_name()}
            from ollama_trainer.errors import DomainError
            from ollama_trainer.training import worker_client
            from ollama_trainer.protocol import ProbeReply

            try:
                found = worker_client.call("probe", ProbeReply, timeout=timeout)
                _result = {"device": found.device, "device_name": found.device_name or _result["device_name"],
                           "memory_gb": found.memory_gb, "nf4": found.nf4}
            except (DomainError, OSError):
                pass
            finally:
                _done.set()
        return dict(_result)


def known() -> dict | None:
    """The probe's answer once it has come, else None (it is asked in the background): never waits."""
    if _done.is_set():
        with _lock:
            return dict(_result) if _result is not None else None
    if not _started.is_set():
        start_background_probe()
    return None


def start_background_probe() -> None:
    _started.set()
    threading.Thread(target=probe, name="device-probe", daemon=True).start()
