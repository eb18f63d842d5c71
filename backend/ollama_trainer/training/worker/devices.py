"""Where training runs (cuda > mps > cpu unless the profile says otherwise) and seeding.

Imports torch: worker process only.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import torch


class DeviceError(Exception):
    """The requested device is not available; the message names the fix."""


def pick_device(requested: str = "auto") -> torch.device:
    if requested == "cuda" and not torch.cuda.is_available():
        raise DeviceError("device 'cuda' was requested but no CUDA GPU is available; set the profile's device to 'auto' or 'cpu'")
    if requested == "mps" and not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
        raise DeviceError("device 'mps' was requested but Apple MPS is not available; set the profile's device to 'auto' or 'cpu'")
    if requested in ("cuda", "mps", "cpu"):
        return torch.device(requested)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if hasattr(torch.backends, "mps") and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def cpu_threads(cpus: int, default: int, env: dict | None = None) -> int:
    """torch's CPU threads for a worker: all of torch's own default (its physical cores) but never
    every CPU this process may use; one is left to the window, the app and whatever else runs.
    A step waits for its slowest thread, and a thread that shares its core with another busy
    process waits for the scheduler on every operation: on 2 cores beside one busy process, 2
    threads trained the Quick demo at 25 tokens/s, 1 thread at 257 (idle: 373 and 253; the whole
    run 36.5 s and 32.2 s; bench/cpu_threads.py). OMP_NUM_THREADS, when set, decides."""
    env = os.environ if env is None else env
    if env.get("OMP_NUM_THREADS", "").strip().isdigit() and int(env["OMP_NUM_THREADS"]) > 0:
        return int(env["OMP_NUM_THREADS"])
    return max(1, min(default, cpus - 1))


def use_cpu_threads() -> int:
    """Set torch's threads by cpu_threads for this process; returns how many."""
    threads = cpu_threads(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1,
                          torch.get_num_threads())
    torch.set_num_threads(threads)
    return threads


def cpu_has_native_bf16() -> bool:
    """AVX512-BF16 or AMX: bf16 matmuls run several times faster than fp32 ones there (4.7x for
    a [2048, 576] x [576, 1536] matmul on the 2-core EPYC of docs/PERFORMANCE.md). Without them
    oneDNN emulates bf16 and it is not a win, so fp32 stays."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    return "avx512_bf16" in flags or "amx_bf16" in flags


def autocast_dtype(device: torch.device, precision: str = "auto") -> torch.dtype | None:
    """The autocast dtype of the training step (weights, LoRA and optimizer stay fp32), or None."""
    if precision == "fp32" or device.type == "mps":
        return None
    if precision == "bf16" or device.type == "cuda" or cpu_has_native_bf16():
        return torch.bfloat16
    return None


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if device.type == "mps":
        return "Apple GPU (MPS)"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine() or "CPU"


def seed_everything(seed: int) -> None:
    random.seed(seed)
    torch.manual_seed(seed)
    try:
        import numpy as np

        np.random.seed(seed % 2**32)
    except ImportError:
        pass


