"""What the user set in the window, in <data>/settings.json (written atomically)."""

from __future__ import annotations

import json
import logging
import threading

from pydantic import ValidationError

from ollama_trainer import atomic, paths
from ollama_trainer.contracts import Settings

log = logging.getLogger(__name__)
_lock = threading.Lock()


def _file():
    return paths.data_dir() / "settings.json"


def load() -> Settings:
    try:
        return Settings.model_validate_json(_file().read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except (OSError, ValidationError, ValueError) as exc:
        log.warning("%s is unreadable (%s); using defaults", _file(), str(exc).splitlines()[0])
        return Settings()


def update(changes: Settings) -> Settings:
    """Apply the fields the caller set (an explicit null clears one)."""
    with _lock:
        merged = load().model_copy(update=changes.model_dump(exclude_unset=True))
        atomic.write_text(_file(), json.dumps(merged.model_dump(mode="json"), indent=2))
        return merged


def ollama_host(explicit: str | None = None) -> str | None:
    return explicit or load().ollama_host
