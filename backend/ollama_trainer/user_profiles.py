"""The user's own training profiles: saved to the data folder's profiles.json (written
atomically; the file's other profiles kept as they were), edited and deleted. The shipped
profiles in config/ are never written: saving one under its id makes the user's copy, which
replaces it in the list."""

from __future__ import annotations

import threading

from ollama_trainer import catalog

from ollama_trainer import bases
from ollama_trainer.contracts import TrainingProfile
from ollama_trainer.errors import DomainError

_lock = threading.Lock()


def _rewrite(change) -> None:
    """profiles.json with `change(the valid profiles)`; a broken entry stays as it was."""
    catalog.rewrite_user_file(catalog.user_profiles_file(), "profiles", TrainingProfile, change)


def _own() -> list[TrainingProfile]:
    path = catalog.user_profiles_file()
    return catalog.user_entries(path, "profiles", TrainingProfile) if path.exists() else []


def save(profile: TrainingProfile, *, replace: bool = False) -> TrainingProfile:
    """Add or (with `replace`) overwrite; the base is checked first, so a profile that names a
    base that is not there is never saved."""
    profile = profile.model_copy(update={"base_model": bases.canonical(profile.base_model), "source": "user"})
    bases.resolve(profile.base_model)  # raises base_model_not_found / ollama_store_missing
    with _lock:
        taken = {p.id: p for p in catalog.list_profiles()}
        if profile.id in taken and not replace:
            where = "a shipped profile" if taken[profile.id].source == "builtin" else "one of your profiles"
            raise DomainError(f"'{profile.id}' is already {where}: choose another id, or edit that profile",
                              code="profile_exists")
        _rewrite(lambda own: [p for p in own if p.id != profile.id] + [profile])
    return catalog.get_profile(profile.id)


def delete(profile_id: str) -> None:
    """Remove one of the user's profiles (a shipped one it replaced comes back). Runs trained
    with it keep their record: job.json holds the profile they were started with."""
    with _lock:
        own = _own()
        if not any(p.id == profile_id for p in own):
            catalog.get_profile(profile_id)  # unknown_profile when there is none at all
            raise DomainError(f"'{profile_id}' ships with the app; only your own profiles can be deleted",
                              code="invalid_argument")
        _rewrite(lambda current: [p for p in current if p.id != profile_id])
