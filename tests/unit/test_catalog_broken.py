"""One bad entry breaks nothing else: a user profile or dataset entry that does not validate is
listed apart with its error (file, entry, field), is never offered, survives every save of the
file untouched; a profiles.json that is not JSON at all leaves the shipped profiles working."""

from __future__ import annotations

import json

import pytest

from ollama_trainer import catalog, user_profiles
from ollama_trainer.errors import DomainError


def _own_profile(**changes):
    shipped = catalog.get_profile("quick-demo").model_dump(exclude={"source"})
    return {**shipped, "id": "mine", "name": "Mine", **changes}


def test_a_broken_profile_is_listed_apart_and_the_rest_work(data_home):
    data_home.mkdir(parents=True, exist_ok=True)
    path = data_home / "profiles.json"
    path.write_text(json.dumps({"profiles": [_own_profile(), _own_profile(id="wild", learning_rate=1000)]}))
    ids = [p.id for p in catalog.list_profiles()]
    assert "mine" in ids and "quick-demo" in ids and "wild" not in ids
    (broken,) = catalog.broken_entries().profiles
    assert (broken.kind, broken.id, broken.file) == ("profile", "wild", str(path))
    assert "profiles[1].learning_rate" in broken.error
    with pytest.raises(DomainError) as err:
        catalog.get_profile("wild")
    assert err.value.code == "unknown_profile"

    # saving another profile keeps the broken entry as it was, for the user to fix
    user_profiles.save(catalog.get_profile("mine").model_copy(update={"id": "mine2", "name": "Mine 2"}))
    user_profiles.delete("mine")
    saved = json.loads(path.read_text())["profiles"]
    assert [p["id"] for p in saved] == ["wild", "mine2"] and saved[0]["learning_rate"] == 1000


def test_a_profiles_file_that_is_not_json_leaves_the_shipped_profiles(data_home):
    data_home.mkdir(parents=True, exist_ok=True)
    (data_home / "profiles.json").write_text('{"profiles": [ {"id": "half"')
    assert "quick-demo" in [p.id for p in catalog.list_profiles()]
    (broken,) = catalog.broken_entries().profiles
    assert broken.id is None and "profiles.json:1" in broken.error


def test_a_broken_dataset_entry_is_listed_apart(data_home, tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text('{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}\n')
    index = data_home / "datasets" / "index.json"
    index.parent.mkdir(parents=True)
    index.write_text(json.dumps({"datasets": [{"id": "ok", "name": "OK", "path": str(data)},
                                              {"id": "Bad Id!", "name": "Bad", "path": str(data)}]}))
    assert "ok" in [d.id for d in catalog.list_datasets()]
    (broken,) = catalog.broken_entries().datasets
    assert broken.name == "Bad" and "datasets[1].id" in broken.error
    catalog.update_dataset("ok", name="Still OK")
    assert [d["id"] for d in json.loads(index.read_text())["datasets"]] == ["Bad Id!", "ok"]
