"""The shipped prompt sets (config/): the forgetting probe and the replay prompts. A job
records the sets it ran with (job.json), so a run can be scored the same way later."""

from __future__ import annotations

import json
from functools import lru_cache

from ollama_trainer import paths
from ollama_trainer.protocol import ProbeItem


@lru_cache(maxsize=4)
def _read(name: str, mtime: float) -> dict:
    return json.loads((paths.config_dir() / name).read_text(encoding="utf-8"))


def _load(name: str) -> dict:
    path = paths.config_dir() / name
    try:
        return _read(name, path.stat().st_mtime)
    except (OSError, ValueError):
        return {}


def probe() -> list[ProbeItem]:
    return [ProbeItem.model_validate(p) for p in _load("probe.json").get("prompts", [])]


def replay_prompts() -> list[str]:
    return [str(p) for p in _load("replay_prompts.json").get("prompts", [])]
