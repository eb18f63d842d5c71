"""The local Ollama store (ollama_trainer.bases.ollama_store) says what is wrong: an unknown name, an
empty store, a missing, short or foreign model blob, missing small blobs, bad params, a manifest
without a model layer or one that cannot be read. On the fake stores of ollama_store_helpers.py."""

from __future__ import annotations

import json

import pytest

from ollama_trainer.bases import ollama_store as store

from tests.fakes.ollama_store import FakeModel, make_store, manifest_path
from tests.unit.ollama_store_helpers import TEMPLATE, codes, ggufs, root  # noqa: F401


def test_an_unknown_name_lists_up_to_five_that_are_there(tmp_path, ggufs):
    names = ["gemma3:1b", "gemma3:4b", "llama3.2:1b", "llama3.2:3b", "qwen3:0.6b", "qwen3:1.7b", "smollm2:135m"]
    root = make_store(tmp_path / "models", [FakeModel(n, ggufs["a"]) for n in names])
    err = codes(store.find, "gemma3:270m", root=root)
    assert err.code == "unknown_ollama_model" and err.http_status == 404
    assert f"no model 'gemma3:270m' in the Ollama store at {root}" in err.message
    # the same model's other tags first, then the rest by name, five in all
    assert "(it has gemma3:1b, gemma3:4b, llama3.2:1b, llama3.2:3b, qwen3:0.6b and 2 more)" in err.message
    assert "ollama pull gemma3:270m" in err.message


def test_an_unknown_name_in_an_empty_store_says_it_is_empty(tmp_path):
    (tmp_path / "models").mkdir()
    err = codes(store.find, "gemma3", root=tmp_path / "models")
    assert err.code == "unknown_ollama_model"
    assert "holds no models yet" in err.message and "ollama pull gemma3:latest" in err.message
    assert store.list_models(root=tmp_path / "models") == []


def test_a_missing_model_blob_is_named(root):
    model = store.find("gemma3:270m", root=root)
    model.model_path.unlink()
    err = codes(store.find, "gemma3:270m", root=root)
    assert err.code == "unreadable_blob"
    assert f"the model blob {model.model_path} is missing" in err.message
    assert "ollama pull gemma3:270m" in err.message


def test_a_short_model_blob_is_named_with_both_sizes(root):
    model = store.find("gemma3:270m", root=root)
    data = model.model_path.read_bytes()
    model.model_path.unlink()  # a hard link to the test's GGUF: replace it, do not write into it
    model.model_path.write_bytes(data[:-100])
    err = codes(store.find, "gemma3:270m", root=root)
    assert err.code == "unreadable_blob"
    assert f"{model.model_path} is {len(data) - 100} bytes, its manifest says {len(data)}" in err.message


def test_a_blob_that_is_not_gguf_is_named(tmp_path):
    fake = tmp_path / "not.gguf"
    fake.write_bytes(b"PK\x03\x04" + bytes(60))
    root = make_store(tmp_path / "models", [FakeModel("broken:latest", fake)])
    err = codes(store.find, "broken", root=root)
    assert err.code == "unreadable_blob"
    assert "is not a GGUF file (it starts with b'PK\\x03\\x04'" in err.message
    assert f"the model blob {root / 'blobs'}/sha256-" in err.message


def test_missing_small_blobs_and_bad_params_are_named(root):
    model = store.find("smollm2:135m", root=root)
    template = next(layer for layer in model.layers if layer.media_type == store.MEDIA_TEMPLATE)
    template.path.unlink()
    err = codes(store.find, "smollm2:135m", root=root)
    assert err.code == "unreadable_blob" and f"its template blob {template.path} is missing" in err.message
    template.path.write_text(TEMPLATE)

    params = next(layer for layer in model.layers if layer.media_type == store.MEDIA_PARAMS)
    params.path.write_text("[1, 2]")
    err = codes(store.find, "smollm2:135m", root=root)
    assert err.code == "unreadable_blob" and f"the parameters blob {params.path} is not a JSON object" in err.message


def test_a_manifest_without_a_model_layer_says_what_it_has(root):
    path = manifest_path(root, "gemma3:270m")
    manifest = json.loads(path.read_text())
    manifest["layers"] = [{"mediaType": "application/vnd.ollama.image.tensor; name=x; dtype=BF16", "digest":
                           manifest["layers"][0]["digest"], "size": 1}]
    path.write_text(json.dumps(manifest))
    err = codes(store.find, "gemma3:270m", root=root)
    assert err.code == "unreadable_blob"
    assert "has no GGUF model layer" in err.message and "application/vnd.ollama.image.tensor" in err.message


@pytest.mark.parametrize("content, why", [
    ("{not json", "cannot be read as JSON"),
    ("[]", "it is not a JSON object"),
    ('{"layers": {"a": 1}}', "its layers are not a list"),
    ('{"layers": [{"mediaType": "application/vnd.ollama.image.model", "digest": "sha256:abc", "size": 1}]}',
     "malformed digest 'sha256:abc'"),
])
def test_a_broken_manifest_is_named(root, content, why):
    path = manifest_path(root, "gemma3:270m")
    path.write_text(content)
    err = codes(store.find, "gemma3:270m", root=root)
    assert err.code == "invalid_ollama_manifest"
    assert f"gemma3:270m: its manifest {path}" in err.message and why in err.message
