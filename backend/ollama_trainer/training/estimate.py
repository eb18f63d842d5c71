"""Rough figures before a run: how long it will take and how much memory it will need, from the
base's size, the tokens it trains on and the device; and what this machine has. Measured on
two CPU cores (docs/PERFORMANCE.md, the identity demo with replay and probe): SmolLM2-135M
trains 263-411 tokens/s and peaks at 2.3 GB; Gemma 3 270M 160 tokens/s and 3.5 GB; greedy
answers (samples, probe) come at about 30 tokens/s for the 135M model. Earlier runs on the same
base, when there are some, say better than the formula: their median speed is used instead.
"""

from __future__ import annotations

import os
import statistics

from ollama_trainer.contracts import RunEstimate

CPU_TOKENS_PER_S_135M = 350.0  # the builtin, 2 cores (bench/train_identity.py: 263-411)
GPU_SPEEDUP = 25.0  # until measured on a GPU (issue 17): a cautious guess
BYTES_PER_PARAM = 13.0  # fp32 weights, activations and the LoRA's optimizer, fitted to the two bases above
BASE_MEMORY_GB = 0.2
GENERATE_TOKENS_PER_S_135M = 30.0  # greedy answers (samples, probe, replay)
LOAD_S = 5.0
ANSWER_TOKENS = 48  # each sample, probe and replay answer (generation.SAMPLE_MAX_NEW_TOKENS)
SAMPLES = 4  # results.SAMPLE_LIMIT


def tokens_per_s(parameters: int, device: str = "cpu", history: list[float] | None = None) -> float:
    if history:
        return statistics.median(history)
    speed = CPU_TOKENS_PER_S_135M * 135e6 / max(parameters, 1)
    return speed * (GPU_SPEEDUP if device == "cuda" else 1.0)


def memory_gb(parameters: int) -> float:
    return round(BASE_MEMORY_GB + parameters * BYTES_PER_PARAM / 1e9, 2)


def generated_tokens(*, probe: int, replay: int, replay_cached: bool, probe_cached: bool = False) -> int:
    """Tokens the run generates besides training: samples before and after, the probe's
    answers after (and before, when the base's are not cached), replay when not cached."""
    answers = 2 * SAMPLES + probe * (1 if probe_cached else 2) + (0 if replay_cached else replay)
    return answers * ANSWER_TOKENS


def for_run(parameters: int, tokens: int, *, device: str = "cpu", generated: int = 0,
            speeds: list[float] | None = None) -> RunEstimate:
    """The estimate a run records before its first step, and the preview shows before Start."""
    speed = tokens_per_s(parameters, device, speeds)
    train = tokens / speed
    gen_speed = GENERATE_TOKENS_PER_S_135M * 135e6 / max(parameters, 1) * (GPU_SPEEDUP if device == "cuda" else 1.0)
    gen = generated / gen_speed
    return RunEstimate(duration_s=round(LOAD_S + train + gen, 1), memory_gb=memory_gb(parameters),
                       tokens_per_s=round(speed, 1), tokens=tokens, device=device,
                       basis="history" if speeds else "formula")


def _meminfo(key: str) -> float | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024 / 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def available_memory_gb() -> float | None:
    value = _meminfo("MemAvailable")
    if value is None and hasattr(os, "sysconf"):
        try:
            value = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 1024**3
        except (ValueError, OSError):
            return None
    return round(value, 1) if value is not None else None


def total_memory_gb() -> float | None:
    value = _meminfo("MemTotal")
    return round(value, 1) if value is not None else None
