"""Where training runs (cuda > mps > cpu unless the profile says otherwise) and seeding.

Imports torch: worker process only.
"""

from __future__ import annotations

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


