"""Which device training would use, asked of the worker once per process (torch is imported
only there) and cached. Falls back to the CPU when the training stack is not installed."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import threading

_lock = threading.Lock()
_result: dict | None = None


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
    """{device, device_name}; the first call takes a couple of seconds (torch import)."""
    global _result
    with _lock:
        if _result is None:
            _result = {"device": "cpu", "device_name": _cpu_name()}
            try:
                out = subprocess.run(
                    [sys.executable, "-m", "ollama_trainer.training.worker", "probe"],
                    capture_output=True, text=True, timeout=timeout, check=True,
                ).stdout
                found = json.loads(out.strip().splitlines()[-1])
                if found.get("device") in ("cpu", "cuda", "mps"):
                    _result = {
                        "device": found["device"],
                        "device_name": found.get("device_name") or _result["device_name"],
                    }
            except (subprocess.SubprocessError, OSError, ValueError, IndexError):
                pass
        return dict(_result)


def start_background_probe() -> None:
    threading.Thread(target=probe, name="device-probe", daemon=True).start()
