"""Which device training would use, asked of the worker (torch is imported only there) and kept:
in this process, and on disk for the next start of the app on this machine.

The worker's answer takes a while (it imports torch: 1-2 s on an idle core, 10-20 s on a busy
machine), so it is kept in the models cache (`device-probe.json`) with what it depends on: this
Python and its installed packages, this boot, the GPU device files and the visible-device
variables. A start that finds the same there answers at once; anything else asks the worker
again. `known()` never waits, so the window shows everything else at once and says what it
waits on. Falls back to the CPU when the training stack is not installed."""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import platform
import sys
import threading
from pathlib import Path

from ollama_trainer import atomic, paths

CACHE_FILE = "device-probe.json"
VISIBLE_DEVICES = ("CUDA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "PYTORCH_ENABLE_MPS_FALLBACK")

log = logging.getLogger(__name__)
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


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def machine_key() -> dict:
    """What the probe's answer depends on, read without importing torch."""
    spec = importlib.util.find_spec("torch")
    packages = Path(spec.origin).parent.parent if spec and spec.origin else None
    try:
        installed = packages.stat().st_mtime_ns if packages else 0  # changes when a package comes or goes
        gpu_files = sorted(n for n in os.listdir("/dev") if n.startswith(("nvidia", "kfd", "dxg")))
    except OSError:
        installed, gpu_files = 0, []
    return {"python": sys.executable, "packages": str(packages), "installed": installed,
            "boot": _read("/proc/sys/kernel/random/boot_id"), "gpu_files": gpu_files,
            "driver": _read("/proc/driver/nvidia/version"),
            "env": {name: os.environ.get(name) for name in VISIBLE_DEVICES}}


def _key() -> dict | None:
    try:
        return machine_key()
    except (OSError, ValueError, ImportError) as exc:  # an odd install: ask the worker every start
        log.warning("the device probe cannot be kept: %s", exc)
        return None


def _cache_path() -> Path:
    return paths.models_dir() / CACHE_FILE


def _cached(key: dict) -> dict | None:
    try:
        saved = json.loads(_cache_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(saved, dict) or saved.get("key") != key or not isinstance(saved.get("answer"), dict):
        return None
    return saved["answer"]


def _save(key: dict, answer: dict) -> None:
    try:
        atomic.write_text(_cache_path(), json.dumps({"key": key, "answer": answer}, indent=1))
    except OSError as exc:  # the next start asks the worker again
        log.warning("the device probe was not kept (%s)", exc)


def _ask_worker(timeout: float) -> dict | None:
    from ollama_trainer.errors import DomainError
    from ollama_trainer.protocol import ProbeReply
    from ollama_trainer.training import worker_client

    try:
        found = worker_client.call("probe", ProbeReply, timeout=timeout)
    except (DomainError, OSError):
        return None
    return {"device": found.device, "device_name": found.device_name or _cpu_name(), "memory_gb": found.memory_gb,
            "nf4": found.nf4}


def probe(timeout: float = 60.0) -> dict:
    """{device, device_name[, memory_gb: the GPU's], nf4}: kept from an earlier start on this
    machine, else asked of the worker (a couple of seconds: torch's import)."""
    global _result
    _started.set()
    with _lock:
        if _result is None:
            try:
                key = _key()
                _result = _cached(key) if key else None
                if _result is None:
                    _result = _ask_worker(timeout)
                    if _result is not None and key:
                        _save(key, _result)
            finally:
                _result = _result or {"device": "cpu", "device_name": _cpu_name()}
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
