"""Ollama's own library blobs differ from upstream llama.cpp's layout (weights/upstream.py): one
fixture per family shows what reading such a blob as a base does (it works, or it says exactly
what is not supported) and that the model file the app writes from it is upstream-clean, which
llama.cpp (the engine under a current Ollama) loads."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import gguf
import pytest

from ollama_trainer.bases import catalog as base_catalog
from ollama_trainer.contracts import DatasetEntry, TrainingProfile
from ollama_trainer.errors import DomainError
from ollama_trainer.training import plan
from ollama_trainer.weights import hf_layout, upstream
from ollama_trainer.weights.gguf_info import read_header
from ollama_trainer.weights.merge import merge_into_gguf
from tests import llamacpp_engine as engine
from tests.fakes import ollama_store, tiny_gguf, tiny_models
from tests.integration.conftest import profile, write_chat_dataset


@pytest.fixture(scope="module")
def blobs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("library-blobs")
    llama3 = replace(tiny_models.TINY, vocab=upstream.LLAMA3_VOCAB)  # Llama 3's vocabulary size
    out = {
        "gemma3": tiny_models.write_gguf(root / "gemma3.gguf", "gemma3", library_blob=True),
        "llama3": tiny_models.write_gguf(root / "llama3.gguf", "llama", llama3, library_blob=True),
    }
    for arch in ("qwen35", "gemma4"):  # families upstream llama.cpp (and the app) do not have
        writer = gguf.GGUFWriter(str(root / f"{arch}.gguf"), arch=arch)
        writer.add_block_count(1)
        writer.add_tensor("token_embd.weight", tiny_gguf.np.zeros((8, 4), tiny_gguf.np.float32))
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        out[arch] = root / f"{arch}.gguf"
    return out


def _fields(path: Path) -> dict:
    return {name: field.contents() for name, field in gguf.GGUFReader(str(path)).fields.items()
            if not name.startswith("tokenizer.ggml.") or name == "tokenizer.ggml.pre"}


def test_gemma3_with_an_embedded_vision_tower_trains_its_text_model_and_exports_clean(blobs, tmp_path):
    """Ollama's gemma3 blobs hold the vision tower and projector in the model file; upstream keeps
    them apart (mmproj) and refuses a text model with extra tensors. The app reads around them
    and its model file leaves them out."""
    engine.require()
    blob = blobs["gemma3"]
    header = read_header(blob)
    assert upstream.has_towers(t.name for t in header.tensors)
    plan = hf_layout.tensor_plan(header)  # what the conversion to a trainable folder writes
    assert plan and not any(upstream.is_tower_tensor(p.tensor.name) for p in plan)
    with pytest.raises(engine.LlamaCppError):
        engine.complete(blob, ["Hello"], max_tokens=2)  # the blob as it is: not an upstream file

    adapter = tiny_gguf.write_peft_adapter(tmp_path / "adapter", rank=4)
    report = merge_into_gguf(blob, adapter, tmp_path / "model.gguf")
    names = {t.name for t in gguf.GGUFReader(str(report.path)).tensors}
    assert names == {t.name for t in header.tensors} - {"v.blk.0.attn_q.weight", "v.post_layernorm.weight",
                                                        "mm.input_projection.weight"}
    fields = _fields(report.path)
    assert not [k for k in fields if k.startswith(("gemma3.vision.", "gemma3.mm."))]
    assert {"gemma3.vision.block_count", "gemma3.mm.tokens_per_image"} <= set(report.skipped_keys)
    (answer,) = engine.complete(report.path, ["Hello"], max_tokens=2)
    assert answer["tokens"], answer


def test_llama3_without_a_pre_tokenizer_gets_llama_3s(blobs, tmp_path):
    """The first llama3 blobs predate tokenizer.ggml.pre: upstream would split text with its
    default pre-tokenizer; the app's model file names Llama 3's, as llama.cpp's converter does."""
    engine.require()
    blob = blobs["llama3"]
    assert "tokenizer.ggml.pre" not in read_header(blob).fields
    report = merge_into_gguf(blob, None, tmp_path / "model.gguf")
    assert _fields(report.path)["tokenizer.ggml.pre"] == "llama-bpe"
    assert engine.info(report.path)  # llama.cpp loads it
    # an upstream file keeps what it says
    clean = merge_into_gguf(tiny_models.write_gguf(tmp_path / "smollm.gguf", "llama"), None, tmp_path / "again.gguf")
    assert _fields(clean.path)["tokenizer.ggml.pre"] == "smollm"


@pytest.mark.parametrize("arch", ["qwen35", "gemma4"])
def test_a_family_upstream_does_not_have_is_listed_with_its_reason(blobs, arch, tmp_path, monkeypatch):
    store = ollama_store.make_store(tmp_path / "store", [ollama_store.FakeModel(f"{arch}:latest", blobs[arch])])
    monkeypatch.setenv("OLLAMA_MODELS", str(store))
    (listed,) = [b for b in base_catalog.list_bases().bases if b.kind == "ollama"]
    assert not listed.trainable
    assert listed.reason == (f"architecture '{arch}' is not supported "
                             "(the app trains and exports gemma3, llama, qwen2, qwen3)")
    with pytest.raises(hf_layout.LayoutError, match=f"architecture '{arch}' is not supported"):
        hf_layout.tensor_plan(read_header(blobs[arch]))
    # a run on it is refused before any run folder exists, with the same reason
    with pytest.raises(DomainError, match=f"cannot be trained here: architecture '{arch}' is not supported") as err:
        plan.resolve(TrainingProfile.model_validate(profile(f"ollama:{arch}")), DatasetEntry.model_validate(
            {"id": "colours", "name": "Colours", "path": str(write_chat_dataset(tmp_path / "c.jsonl")),
             "format": "chat"}))
    assert err.value.code == "not_available"
