"""Training profiles and datasets: load the shipped catalog and the user's own, validate, list.

Shipped entries live in config/ (training_profiles.json, datasets.json); the user's own live in
the data folder (profiles.json, datasets/index.json). A user entry with the id of a shipped one
replaces it. A broken catalog file is reported by name, never silently ignored.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from pydantic import ValidationError

from ollama_trainer import paths
from ollama_trainer.contracts import DatasetEntry, DatasetInfo, DatasetIssue, TrainingProfile
from ollama_trainer.errors import DomainError, NotFound


class CatalogError(DomainError):
    code = "invalid_catalog"


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise CatalogError(f"{path}:{exc.lineno}: {exc.msg}") from None


def _entries(path: Path, key: str, model, source: str) -> list:
    if not path.exists():
        return []
    data = _read_json(path)
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise CatalogError(f"{path}: expected an object with a '{key}' list")
    out = []
    for index, item in enumerate(items):
        try:
            entry = model.model_validate({**item, "source": source} if isinstance(item, dict) else item)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            raise CatalogError(f"{path}: {key}[{index}].{field}: {first['msg']}") from None
        if model is DatasetEntry:
            entry.path = str((path.parent / entry.path).resolve())
        out.append(entry)
    return out


def _merge(builtin: list, user: list) -> list:
    by_id = {e.id: e for e in builtin}
    by_id.update({e.id: e for e in user})
    return list(by_id.values())


def user_profiles_file() -> Path:
    return paths.data_dir() / "profiles.json"


def user_datasets_file() -> Path:
    return paths.user_datasets_dir() / "index.json"


def list_profiles() -> list[TrainingProfile]:
    builtin = _entries(paths.config_dir() / "training_profiles.json", "profiles", TrainingProfile, "builtin")
    user = _entries(user_profiles_file(), "profiles", TrainingProfile, "user")
    return _merge(builtin, user)


def get_profile(profile_id: str) -> TrainingProfile:
    for profile in list_profiles():
        if profile.id == profile_id:
            return profile
    raise NotFound(f"unknown training profile '{profile_id}'", code="unknown_profile")


def list_dataset_entries() -> list[DatasetEntry]:
    builtin = _entries(paths.config_dir() / "datasets.json", "datasets", DatasetEntry, "builtin")
    user = _entries(user_datasets_file(), "datasets", DatasetEntry, "user")
    return _merge(builtin, user)


def get_dataset_entry(dataset_id: str) -> DatasetEntry:
    for entry in list_dataset_entries():
        if entry.id == dataset_id:
            return entry
    raise NotFound(f"unknown dataset '{dataset_id}'", code="unknown_dataset")


_lock = threading.Lock()


def register_user_dataset(entry: DatasetEntry) -> None:
    """Add or replace an entry in the user's dataset index (written atomically)."""
    with _lock:
        index = user_datasets_file()
        current = _entries(index, "datasets", DatasetEntry, "user") if index.exists() else []
        entries = [e for e in current if e.id != entry.id] + [entry]
        payload = {"datasets": [e.model_dump(exclude={"source"}) for e in entries]}
        tmp = index.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        tmp.replace(index)


def describe_dataset(entry: DatasetEntry) -> DatasetInfo:
    """Validate a dataset and describe it for the UI: examples, format, tokens, first error."""
    from ollama_trainer import datasets  # local: the datasets package is large-ish

    info = DatasetInfo(**entry.model_dump())
    try:
        loaded = datasets.load(entry.path, entry.format, display_path=_display(entry))
    except DomainError as exc:
        info.errors = [DatasetIssue(line=None, message=exc.message)]
        info.first_error = exc.message
        return info
    info.examples = len(loaded.examples)
    info.detected_format = loaded.detected_format
    info.errors = list(loaded.errors)
    info.warnings = list(loaded.warnings)
    info.valid = loaded.valid
    info.tokens = datasets.approx_tokens(loaded) if hasattr(datasets, "approx_tokens") else None
    if loaded.errors:
        info.first_error = loaded.report_lines()[0]
    elif not loaded.valid:
        info.first_error = "no examples"
    return info


def _display(entry: DatasetEntry) -> str:
    path = Path(entry.path)
    try:
        return str(path.relative_to(paths.REPO_ROOT))
    except ValueError:
        return str(path)


def list_datasets() -> list[DatasetInfo]:
    return [describe_dataset(e) for e in list_dataset_entries()]
