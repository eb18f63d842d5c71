"""Every test runs against its own empty data folder; base models are converted once into a
shared cache (.cache/models) so tests don't each pay for the conversion."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("OLLAMA_TRAINER_MODELS_CACHE", str(REPO / ".cache" / "models"))


@pytest.fixture(autouse=True)
def data_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("OLLAMA_TRAINER_HOME", str(home))
    return home
