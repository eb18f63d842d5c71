"""Where config, data, runs and logs live.

The data folder comes from platformdirs; OLLAMA_TRAINER_HOME overrides it (tests always set
it). What ships with the app (config/: profiles and datasets; automation/flows/; docs/guide/,
which a shipped flow indexes) is read from the source checkout when the app runs from one,
else from the installed package, where the wheel puts a copy (`_shipped/`, read with
importlib.resources); OLLAMA_TRAINER_CONFIG overrides the config folder.
"""

from __future__ import annotations

import importlib.resources
import os
import re
from pathlib import Path

import platformdirs

APP_NAME = "ollama-trainer"
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent.parent


def data_dir() -> Path:
    override = os.environ.get("OLLAMA_TRAINER_HOME")
    root = Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    _make(root)
    return root


def _make(path: Path) -> None:
    """Create a folder; on a read-only or full disk leave it absent: whoever only reads finds
    nothing there, whoever writes gets the OSError (which names the file) and says so."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass


def shipped_root() -> Path:
    """The folder that holds config/, automation/flows/ and docs/guide/ as they ship."""
    if (REPO_ROOT / "config").is_dir() and (REPO_ROOT / "automation").is_dir():
        return REPO_ROOT  # a source checkout (or an editable install)
    return Path(str(importlib.resources.files("ollama_trainer"))) / "_shipped"


def config_dir() -> Path:
    override = os.environ.get("OLLAMA_TRAINER_CONFIG")
    return Path(override) if override else shipped_root() / "config"


def flows_dir() -> Path:
    return shipped_root() / "automation" / "flows"


def web_dir() -> Path:
    return PACKAGE_DIR / "web"


def sub(*parts: str) -> Path:
    """A folder under the data folder, created on first use."""
    path = data_dir().joinpath(*parts)
    _make(path)
    return path


def runs_dir() -> Path:
    return sub("runs")


def models_dir() -> Path:
    """Base models converted once into a fast-loading cache. OLLAMA_TRAINER_MODELS_CACHE lets
    several data folders (tests, say) share one cache."""
    override = os.environ.get("OLLAMA_TRAINER_MODELS_CACHE")
    if override:
        _make(Path(override))
        return Path(override)
    return sub("models")


def user_datasets_dir() -> Path:
    return sub("datasets")


def user_flows_dir() -> Path:
    return sub("flows")


def training_log() -> Path:
    return sub("logs", "training") / "training_runs.jsonl"


def flow_log() -> Path:
    return sub("logs", "flows") / "flow_runs.jsonl"


def app_log_dir() -> Path:
    return sub("logs")


def is_valid_id(value: str) -> bool:
    return isinstance(value, str) and bool(ID_PATTERN.fullmatch(value))
