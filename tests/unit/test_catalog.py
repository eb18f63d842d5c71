"""Profiles and datasets: the shipped catalog, the user's own, imports and bad files."""

from __future__ import annotations

import json

import pytest

from ollama_trainer import catalog
from ollama_trainer.errors import DomainError


def test_shipped_profiles_and_datasets():
    profiles = {p.id: p for p in catalog.list_profiles()}
    assert {"quick-demo", "standard-lora"} <= set(profiles)
    assert profiles["quick-demo"].name == "Quick demo (CPU)"
    assert isinstance(profiles["quick-demo"].lora.alpha, int)
    infos = {d.id: d for d in catalog.list_datasets()}
    assert {"identity-demo", "support-faq"} <= set(infos)
    assert all(d.valid and d.examples > 10 and d.tokens > 100 for d in infos.values())
    assert len(infos["identity-demo"].held_out_prompts) >= 3


@pytest.mark.parametrize("lookup, code", [("get_profile", "unknown_profile"), ("get_dataset_entry", "unknown_dataset")])
def test_unknown_ids_have_their_codes(lookup, code):
    with pytest.raises(DomainError) as exc:
        getattr(catalog, lookup)("nope")
    assert exc.value.code == code


def test_import_dataset_copies_and_registers(tmp_path):
    src = tmp_path / "my faq.jsonl"
    src.write_text('{"prompt": "Hi", "completion": "Hello!"}\n{"prompt": "Bye", "completion": "See you"}\n')
    info = catalog.import_dataset(str(src))
    assert info.id == "my-faq" and info.valid and info.examples == 2 and info.source == "user"
    src.unlink()  # the copy in the data folder is what the catalog uses
    assert catalog.describe_dataset(catalog.get_dataset_entry("my-faq")).valid


def test_import_rejects_a_broken_file_and_names_the_line(tmp_path):
    src = tmp_path / "bad.jsonl"
    src.write_text('{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}\n{oops\n')
    with pytest.raises(DomainError) as exc:
        catalog.import_dataset(str(src))
    assert exc.value.code == "invalid_dataset" and "bad.jsonl:2" in exc.value.message
    assert all(d.id != "bad" for d in catalog.list_dataset_entries())


def test_import_says_each_problem_on_a_line_of_its_own(tmp_path):
    src = tmp_path / "bad.jsonl"
    src.write_text('{oops\n{"messages": []}\n[1, 2\n')
    with pytest.raises(DomainError) as exc:
        catalog.import_dataset(str(src))
    lines = exc.value.message.splitlines()
    assert len(lines) >= 2 and all("bad.jsonl:" in line for line in lines) and ";" not in exc.value.message


def test_import_cannot_shadow_a_builtin(tmp_path):
    src = tmp_path / "identity-demo.jsonl"
    src.write_text('{"text": "hello"}\n')
    with pytest.raises(DomainError) as exc:
        catalog.import_dataset(str(src), dataset_id="identity-demo")
    assert exc.value.code == "dataset_exists"
    # an id made from the file name never takes a taken one: it gets a free id instead
    assert catalog.import_dataset(str(src)).id == "identity-demo-2"
    assert catalog.get_dataset_entry("identity-demo").source == "builtin"


def test_invalid_dataset_listed_with_first_error(tmp_path, data_home):
    bad = tmp_path / "broken.jsonl"
    bad.write_text('{"text": "fine"}\n{"text": ""}\n')
    catalog.register_user_dataset(catalog.DatasetEntry(id="broken", name="Broken", path=str(bad), source="user"))
    info = {d.id: d for d in catalog.list_datasets()}["broken"]
    assert not info.valid and ":2:" in info.first_error


def test_broken_user_profiles_file_names_file_and_field(data_home):
    data_home.mkdir(parents=True, exist_ok=True)
    (data_home / "profiles.json").write_text(json.dumps({"profiles": [{"id": "x", "name": "X", "base_model": "m",
                                                                       "ollama_base": "b", "lora": {"alpha": 1.5}}]}))
    assert "x" not in [p.id for p in catalog.list_profiles()]  # left out, the others listed
    (broken,) = catalog.broken_entries().profiles
    assert "profiles.json" in broken.error and "lora.alpha" in broken.error
