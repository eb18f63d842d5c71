"""What can be trained here (base_catalog: the builtin and the Ollama store's models, trainable
or why not) and the user's own profiles (user_profiles: saved to the data folder's
profiles.json, never over a shipped one, never with a base that is not there)."""

from __future__ import annotations

import json

import pytest

from ollama_trainer import catalog, paths, user_profiles
from ollama_trainer.bases import catalog as base_catalog
from ollama_trainer.bridge.commands import Commands
from ollama_trainer.bridge.registry import CommandFailed, dispatch
from ollama_trainer.contracts import TrainingProfile
from ollama_trainer.errors import DomainError
from tests.fakes.ollama_store import FakeModel, make_store
from tests.unit.ollama_store_helpers import TEMPLATE, write_gguf


@pytest.fixture
def store(tmp_path, monkeypatch):
    folder = tmp_path / "ggufs"
    folder.mkdir()
    root = make_store(tmp_path / "models", [
        FakeModel("tiny-llama:1m", write_gguf(folder / "llama.gguf", "llama"), template=TEMPLATE),
        FakeModel("oddity:1m", write_gguf(folder / "odd.gguf", "mamba", seed=1)),
        FakeModel("seeing:1m", write_gguf(folder / "vision.gguf", "llama", seed=2),
                  projector=write_gguf(folder / "proj.gguf", "clip", seed=3)),
    ])
    monkeypatch.setenv("OLLAMA_MODELS", str(root))
    return root


def test_the_builtin_comes_first_then_the_stores_models_each_trainable_or_why_not(store):
    found = base_catalog.list_bases()
    assert found.store == str(store) and found.note is None
    assert found.bases[0].kind == "builtin" and found.bases[0].trainable
    by_source = {b.source: b for b in found.bases}
    llama = by_source["ollama:tiny-llama:1m"]
    assert llama.trainable and llama.reason is None and llama.architecture == "llama"
    assert llama.quantization == "F32" and llama.parameter_size
    odd = by_source["ollama:oddity:1m"]
    assert not odd.trainable and "mamba" in odd.reason
    vision = by_source["ollama:seeing:1m"]
    assert not vision.trainable and "vision" in vision.reason


def test_without_a_store_the_list_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setenv("OLLAMA_MODELS", str(tmp_path / "nowhere"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr("ollama_trainer.bases.ollama_store.SYSTEM_STORE", tmp_path / "none")
    found = base_catalog.list_bases()
    assert found.store is None and [b.kind for b in found.bases] == ["builtin"]
    assert "OLLAMA_MODELS" in found.note


def test_a_model_too_big_for_this_machine_is_not_offered(monkeypatch):
    monkeypatch.setattr(base_catalog.estimate, "total_memory_gb", lambda: 8.0)
    shape = base_catalog.estimate.Shape
    assert base_catalog.why_not("llama", shape(135_000_000, 576, 30, 49152)) is None
    why = base_catalog.why_not("llama", shape(8_000_000_000, 4096, 32, 128256))  # Llama 3.1 8B: 16 GB in bf16
    assert "needs about 20 GB" in why and "4-bit on a GPU: about 10 GB" in why, why


def _profile(**changes) -> TrainingProfile:
    base = catalog.get_profile("quick-demo").model_dump()
    base.update({"id": "mine", "name": "Mine", "source": "user", **changes})
    return TrainingProfile.model_validate(base)


def test_a_saved_profile_is_listed_and_written_beside_the_users_others():
    path = catalog.user_profiles_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"profiles": [_profile(id="older", name="Older").model_dump(exclude={"source"})]}))
    saved = user_profiles.save(_profile(base_model="builtin", learning_rate=0.0005))
    assert saved.source == "user" and saved.base_model == "smollm2-135m-instruct" and saved.learning_rate == 0.0005
    ids = [p["id"] for p in json.loads(path.read_text())["profiles"]]
    assert ids == ["older", "mine"]
    assert {"older", "mine", "quick-demo"} <= {p.id for p in catalog.list_profiles()}


def test_a_taken_id_is_refused_unless_replaced_and_a_shipped_profile_is_never_written():
    user_profiles.save(_profile())
    with pytest.raises(DomainError) as err:
        user_profiles.save(_profile(name="Again"))
    assert err.value.code == "profile_exists" and "one of your profiles" in err.value.message
    assert user_profiles.save(_profile(name="Again"), replace=True).name == "Again"
    with pytest.raises(DomainError) as err:
        user_profiles.save(_profile(id="quick-demo"))
    assert err.value.code == "profile_exists" and "shipped" in err.value.message
    shipped = paths.REPO_ROOT / "config" / "training_profiles.json"
    before = shipped.read_bytes()
    user_profiles.save(_profile(id="quick-demo", name="My demo"), replace=True)  # the user's copy replaces it in the list
    assert catalog.get_profile("quick-demo").name == "My demo" and shipped.read_bytes() == before
    user_profiles.delete("quick-demo")  # and deleting the copy brings the shipped one back
    assert catalog.get_profile("quick-demo").name != "My demo"


def test_a_profile_whose_base_is_not_there_is_never_saved(tmp_path):
    with pytest.raises(DomainError) as err:
        user_profiles.save(_profile(base_model=str(tmp_path / "no-such-model.gguf")))
    assert err.value.code == "base_model_not_found"
    assert not catalog.user_profiles_file().exists() or "mine" not in catalog.user_profiles_file().read_text()


@pytest.mark.parametrize("profile_id, code", [("standard-lora", "invalid_argument"), ("never-was", "unknown_profile")])
def test_only_the_users_own_profiles_can_be_deleted(profile_id, code):
    with pytest.raises(DomainError) as err:
        user_profiles.delete(profile_id)
    assert err.value.code == code


def test_the_bridge_saves_lists_and_deletes_profiles():
    commands = Commands()
    body = _profile().model_dump(mode="json")
    saved = dispatch(commands, "save_training_profile", {"profile": body})
    assert saved["id"] == "mine" and saved["source"] == "user"
    assert "mine" in [p["id"] for p in dispatch(commands, "list_training_profiles", {})]
    with pytest.raises(CommandFailed) as err:
        dispatch(commands, "save_training_profile", {"profile": {**body, "learning_rate": 5}})
    assert err.value.code == "invalid_argument" and "learning_rate" in err.value.message
    dispatch(commands, "delete_training_profile", {"profile_id": "mine"})
    assert "mine" not in [p["id"] for p in dispatch(commands, "list_training_profiles", {})]
    assert dispatch(commands, "list_base_models", {})["bases"][0]["kind"] == "builtin"


def test_a_hub_id_is_refused_up_front_when_the_hub_cannot_be_reached(monkeypatch):
    """`--base foo/bar` offline: a clear refusal before any run exists, not a network failure a
    minute into the run; with the hub reachable it is a hub id."""
    import pytest

    from ollama_trainer.bases import sources as bases

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(bases.BaseModelNotFound) as err:
        bases.resolve("foo/bar")
    assert "Hugging Face cache" in err.value.message and "ollama:NAME" in err.value.message
    monkeypatch.setattr(bases, "hub_reachable", lambda timeout=3.0: True)
    assert bases.resolve("foo/bar").kind == "hub"
