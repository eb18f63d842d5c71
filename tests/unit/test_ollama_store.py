"""The local Ollama store (ollama_trainer.bases.ollama_store) on fake stores laid out as Ollama lays
them out (tests/fakes/ollama_store.py), holding tiny GGUF files (ollama_store_helpers.py): names,
where the store is, find, list and digests. What it says when something is wrong is
test_ollama_store_errors.py."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from ollama_trainer.bases import ollama_store as store
from ollama_trainer.bases.ollama_store import ModelName, parse_name

from tests.fakes.ollama_store import FakeModel, blob, make_store, manifest_path, sha256_of
from tests.unit.ollama_store_helpers import TEMPLATE, codes, ggufs, root  # noqa: F401


# -- names -------------------------------------------------------------------------------


@pytest.mark.parametrize("text, parts, short", [
    ("gemma3", ("registry.ollama.ai", "library", "gemma3", "latest"), "gemma3:latest"),
    ("gemma3:270m", ("registry.ollama.ai", "library", "gemma3", "270m"), "gemma3:270m"),
    ("library/gemma3:270m", ("registry.ollama.ai", "library", "gemma3", "270m"), "gemma3:270m"),
    ("registry.ollama.ai/library/gemma3:270m", ("registry.ollama.ai", "library", "gemma3", "270m"), "gemma3:270m"),
    ("ollama.com/library/gemma3:270m", ("ollama.com", "library", "gemma3", "270m"), "gemma3:270m"),
    ("me/tuned", ("registry.ollama.ai", "me", "tuned", "latest"), "me/tuned:latest"),
    ("hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M",
     ("hf.co", "bartowski", "Llama-3.2-1B-Instruct-GGUF", "Q4_K_M"), "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M"),
    ("localhost:5000/me/tuned", ("localhost:5000", "me", "tuned", "latest"), "localhost:5000/me/tuned:latest"),
    ("https://example.com/me/tuned:v2", ("example.com", "me", "tuned", "v2"), "example.com/me/tuned:v2"),
    ("  qwen2.5:0.5b-instruct-q4_K_M ", ("registry.ollama.ai", "library", "qwen2.5", "0.5b-instruct-q4_K_M"),
     "qwen2.5:0.5b-instruct-q4_K_M"),
])
def test_names_fill_in_ollamas_defaults_and_print_the_short_form(text, parts, short):
    name = parse_name(text)
    assert (name.registry, name.namespace, name.name, name.tag) == parts
    assert str(name) == short
    assert name.full == "/".join(parts[:3]) + ":" + parts[3]


def test_names_compare_case_insensitively_and_the_two_public_hosts_are_one():
    assert parse_name("Gemma3:270M") == parse_name("gemma3:270m")
    assert parse_name("ollama.com/library/gemma3") == parse_name("gemma3:latest")
    assert len({parse_name("Gemma3"), parse_name("gemma3:latest"), parse_name("library/GEMMA3")}) == 1
    assert parse_name("gemma3:1b") != parse_name("gemma3:270m")
    assert parse_name("me/gemma3") != parse_name("gemma3")
    assert str(parse_name("Gemma3:270M")) == "Gemma3:270M"  # the spelling is kept for display


@pytest.mark.parametrize("text, why", [
    ("", "it is empty"),
    ("   ", "it is empty"),
    ("gemma3:", "nothing follows the ':'"),
    (":270m", "the model name is empty"),
    ("/gemma3", "the namespace is empty"),
    ("gemma 3", "the model name 'gemma 3' may hold only"),
    ("-gemma3", "must start with a letter, digit or '_'"),
    ("gemma3:270m!", "the tag '270m!' may hold only"),
    ("my.ns/gemma3", "the namespace 'my.ns' may hold only"),
    ("a/b/c/d", "more than three parts"),
    ("me/skill/summarize", None),
    ("x" * 81, "longer than 80 characters"),
    ("gemma3@sha256-abc", "may hold only"),
])
def test_invalid_names_are_refused_saying_which_part_is_wrong(text, why):
    err = codes(parse_name, text)
    assert err.code == "invalid_ollama_name"
    assert f"'{text}' is not an Ollama model name" in err.message
    assert "gemma3:270m" in err.message  # an example of what a name looks like
    if why:
        assert why in err.message


def test_a_name_with_a_kind_is_not_a_model():
    err = codes(parse_name, "registry.ollama.ai/me/skill/summarize:latest")
    assert "names an Ollama skill, not a model" in err.message


# -- where the store is ------------------------------------------------------------------


def test_store_root_prefers_ollama_models_then_home_then_the_service_install(tmp_path, monkeypatch):
    home, system, custom = tmp_path / "home", tmp_path / "system", tmp_path / "custom"
    monkeypatch.setattr(store, "SYSTEM_STORE", system)
    env = {"HOME": str(home)}
    assert store.store_root(env) is None
    system.mkdir()
    assert store.store_root(env) == system
    (home / ".ollama" / "models").mkdir(parents=True)
    assert store.store_root(env) == home / ".ollama" / "models"
    custom.mkdir()
    assert store.store_root({**env, "OLLAMA_MODELS": str(custom)}) == custom
    assert store.store_root({**env, "OLLAMA_MODELS": f' "{custom}" '}) == custom  # trimmed as Ollama trims it
    # set, but not there: the server reading it would not look elsewhere, and neither do we
    assert store.store_root({**env, "OLLAMA_MODELS": str(tmp_path / "nowhere")}) is None


def test_ollama_models_is_honoured_by_find_and_list(root, monkeypatch):
    monkeypatch.setenv("OLLAMA_MODELS", str(root))
    assert store.find("gemma3:270m").manifest_path.is_relative_to(root)
    assert [str(m.name) for m in store.list_models()] == ["gemma3:270m", "me/tuned:v1", "smollm2:135m"]


def test_no_store_says_where_it_looked_and_about_ollama_models(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "SYSTEM_STORE", tmp_path / "system")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("OLLAMA_MODELS", raising=False)
    for call in (lambda: store.find("gemma3"), store.list_models):
        err = codes(call)
        assert err.code == "ollama_store_missing" and err.http_status == 404
        assert str(tmp_path / "home" / ".ollama" / "models") in err.message
        assert str(tmp_path / "system") in err.message
        assert "OLLAMA_MODELS" in err.message

    monkeypatch.setenv("OLLAMA_MODELS", str(tmp_path / "elsewhere"))
    err = codes(store.find, "gemma3")
    assert err.code == "ollama_store_missing"
    assert f"OLLAMA_MODELS is set to {tmp_path / 'elsewhere'}, which does not exist" in err.message

    err = codes(store.find, "gemma3", root=tmp_path / "given")
    assert err.code == "ollama_store_missing" and str(tmp_path / "given") in err.message


# -- find --------------------------------------------------------------------------------


def test_find_reads_the_model_blob_template_system_params_and_config(root, ggufs):
    model = store.find("smollm2:135m", root=root)
    assert model.ok and model.error is None
    assert model.name == parse_name("smollm2:135m")
    assert model.manifest_path == root / "manifests/registry.ollama.ai/library/smollm2/135m"
    digest = "sha256:" + sha256_of(ggufs["a"])
    assert model.digest == digest
    assert model.model_path == root / "blobs" / digest.replace(":", "-")
    assert model.model_path.samefile(ggufs["a"])  # a hard link, not a copy
    assert model.size == ggufs["a"].stat().st_size
    assert model.template == TEMPLATE
    assert model.system == "You are brief."
    assert model.parameters == {"stop": ["<|user|>"], "temperature": 0.2}
    assert model.has_license and not model.has_adapter and not model.has_projector
    assert (model.family, model.quantization) == ("llama", "F32")
    assert model.config["model_format"] == "gguf" and model.config["model_families"] == ["llama"]
    assert model.parameter_size == model.config["model_type"]
    kinds = [layer.media_type.rsplit(".", 1)[-1] for layer in model.layers]
    assert kinds == ["model", "license", "template", "system", "params"]
    # the caller's next step, the GGUF header, reads the blob as it is

    from ollama_trainer.weights import gguf_info

    assert gguf_info.read_info(model.model_path).architecture == "llama"


def test_a_model_without_optional_layers_has_none_of_them(root):
    model = store.find("gemma3:270m", root=root)
    assert (model.template, model.system, model.parameters, model.messages) == (None, None, {}, [])
    assert not (model.has_license or model.has_adapter or model.has_projector)


@pytest.mark.parametrize("text", ["GEMMA3:270M", "library/Gemma3:270m", "registry.ollama.ai/library/gemma3:270m",
                                  "ollama.com/library/gemma3:270m"])
def test_find_matches_names_as_ollama_does(root, text):
    model = store.find(text, root=root)
    assert str(model.name) == "gemma3:270m"  # the store's spelling
    assert model.manifest_path == manifest_path(root, "gemma3:270m")


def test_find_takes_a_parsed_name_and_other_namespaces(root):
    assert store.find(parse_name("me/tuned:v1"), root=root).template == TEMPLATE
    assert store.find(ModelName("registry.ollama.ai", "me", "tuned", "v1"), root=root).ok


def test_adapter_projector_and_messages_layers_are_seen(tmp_path, ggufs):
    root = make_store(tmp_path / "models", [
        FakeModel("tuned:latest", ggufs["a"], adapter=ggufs["b"], messages=[{"role": "user", "content": "hi"}]),
        FakeModel("vision:latest", ggufs["a"], projector=ggufs["c"]),
    ])
    tuned, vision = store.find("tuned", root=root), store.find("vision", root=root)
    assert tuned.has_adapter and not tuned.has_projector
    assert tuned.messages == [{"role": "user", "content": "hi"}]
    assert vision.has_projector and not vision.has_adapter
    assert tuned.model_path == vision.model_path  # one blob for both


def test_newer_ollamas_manifests_v2_symlinks_are_read_first(tmp_path, ggufs):
    root = make_store(tmp_path / "models", [FakeModel("gemma3:270m", ggufs["a"], layout="v2", system="new"),
                                             FakeModel("gemma3:270m", ggufs["b"], system="old"),
                                             FakeModel("qwen3:0.6b", ggufs["c"], layout="v2")])
    v2 = root / "manifests-v2/ollama.com/library/gemma3/270m"
    assert v2.is_symlink()
    model = store.find("gemma3:270m", root=root)
    assert model.manifest_path == v2 and model.system == "new"
    assert [(str(m.name), m.system) for m in store.list_models(root=root)] == [("gemma3:270m", "new"), ("qwen3:0.6b", None)]


def test_a_manifest_list_gives_its_gguf_child(tmp_path, ggufs):
    root = make_store(tmp_path / "models", [FakeModel("gemma3:270m", ggufs["a"], template=TEMPLATE)])
    path = manifest_path(root, "gemma3:270m")
    child = json.loads(path.read_text())
    child_blob = json.dumps(child).encode()
    digest = "sha256:" + hashlib.sha256(child_blob).hexdigest()
    blob(root, digest).write_bytes(child_blob)
    path.write_text(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.ollama.manifest.list.v2+json",
                                "manifests": [
                                    {"mediaType": store.MEDIA_MANIFEST, "runner": "mlx", "format": "safetensors",
                                     "config": {}, "layers": [{"mediaType": "application/vnd.ollama.image.tensor",
                                                               "digest": digest, "size": 1}]},
                                    {"mediaType": store.MEDIA_MANIFEST, "digest": digest, "runner": "ollama",
                                     "format": "gguf"}]}))
    model = store.find("gemma3:270m", root=root)
    assert model.template == TEMPLATE and model.digest == "sha256:" + sha256_of(ggufs["a"])


# -- list --------------------------------------------------------------------------------


def test_list_sorts_by_name_and_lists_a_broken_manifest_with_its_error(root):
    manifest_path(root, "me/tuned:v1").write_text("{oops")
    (root / "manifests/registry.ollama.ai/library/gemma3/.DS_Store").write_text("")  # stray files are no models
    models = store.list_models(root=root)
    assert [str(m.name) for m in models] == ["gemma3:270m", "me/tuned:v1", "smollm2:135m"]
    good, broken, other = models
    assert good.ok and other.ok and other.template == TEMPLATE
    assert not broken.ok and broken.error.code == "invalid_ollama_manifest"
    assert broken.manifest_path == manifest_path(root, "me/tuned:v1") and broken.model_path is None


def test_list_includes_other_registries(tmp_path, ggufs):
    root = make_store(tmp_path / "models", [FakeModel("hf.co/someone/Tiny-GGUF:Q8_0", ggufs["a"]),
                                             FakeModel("zeta:latest", ggufs["b"]), FakeModel("alpha:latest", ggufs["c"])])
    assert [str(m.name) for m in store.list_models(root=root)] == ["alpha:latest", "hf.co/someone/Tiny-GGUF:Q8_0",
                                                                    "zeta:latest"]
    assert store.find("hf.co/someone/tiny-gguf:q8_0", root=root).ok


# -- digests -----------------------------------------------------------------------------


def test_verify_digest_is_true_for_the_pulled_file_and_false_for_a_changed_one(root):
    model = store.find("gemma3:270m", root=root)
    assert store.verify_digest(model) is True
    data = bytearray(model.model_path.read_bytes())
    data[-1] ^= 0xFF  # same size, same magic: only the digest can tell
    model.model_path.unlink()
    model.model_path.write_bytes(bytes(data))
    assert store.find("gemma3:270m", root=root).ok
    assert store.verify_digest(model) is False
    model.model_path.unlink()
    err = codes(store.verify_digest, model)
    assert err.code == "unreadable_blob" and str(model.model_path) in err.message


def test_the_fake_store_caches_digests_of_big_files_only(tmp_path, monkeypatch):
    from tests.fakes import ollama_store

    cache = tmp_path / "sha256.json"
    monkeypatch.setattr(ollama_store, "DIGEST_CACHE", cache)
    monkeypatch.setattr(ollama_store, "CACHE_FROM_BYTES", 1000)
    small, big = tmp_path / "small", tmp_path / "big"
    small.write_bytes(b"x" * 10)
    big.write_bytes(b"y" * 2000)
    assert sha256_of(small) == hashlib.sha256(b"x" * 10).hexdigest()
    assert not cache.exists()
    assert sha256_of(big) == hashlib.sha256(b"y" * 2000).hexdigest()
    entries = json.loads(cache.read_text())
    assert list(entries) == [f"{big.resolve()}|2000|{big.stat().st_mtime_ns}"]
    cache.write_text(json.dumps({next(iter(entries)): "cached"}))
    assert sha256_of(big) == "cached"  # read back, not recomputed
    big.write_bytes(b"z" * 2000)
    os.utime(big, ns=(1, 1))
    assert sha256_of(big) == hashlib.sha256(b"z" * 2000).hexdigest()  # a changed file is hashed again
    assert len(json.loads(cache.read_text())) == 1
