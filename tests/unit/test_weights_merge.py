"""The merged model GGUF: base + scale * B @ A in every adapted tensor, metadata carried over,
streamed, and no half file on a failure. On a tiny hand-made llama GGUF."""

from __future__ import annotations

import json

import numpy as np
import pytest
from safetensors.numpy import save_file

from ollama_trainer.weights import gguf_info, merge
from ollama_trainer.weights.lora import permute_rows

from tests.fakes.tiny_gguf import DIM, HEADS, HEADS_KV
from tests.fakes.tiny_gguf import write_model as write_base
from tests.fault_helpers import full_disk_on_call


def write_adapter(folder, modules=("q_proj", "k_proj"), r=2, alpha=4, shapes=None):
    rng = np.random.default_rng(2)
    shapes = shapes or {"q_proj": (DIM, DIM), "k_proj": (DIM // 2, DIM)}
    tensors = {}
    for module in modules:
        out, inp = shapes[module]
        tensors[f"base_model.model.model.layers.0.self_attn.{module}.lora_A.weight"] = rng.standard_normal((r, inp)).astype(np.float32)
        tensors[f"base_model.model.model.layers.0.self_attn.{module}.lora_B.weight"] = rng.standard_normal((out, r)).astype(np.float32)
    folder.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(folder / "adapter_model.safetensors"))
    (folder / "adapter_config.json").write_text(json.dumps({"r": r, "lora_alpha": alpha}))
    return tensors


def read_tensor(path, name):
    import gguf
    from gguf.quants import dequantize

    tensor = next(t for t in gguf.GGUFReader(str(path)).tensors if t.name == name)
    return tensor.tensor_type.name, dequantize(tensor.data, tensor.tensor_type)


def delta(lora, module, heads):
    a = lora[f"base_model.model.model.layers.0.self_attn.{module}.lora_A.weight"]
    b = lora[f"base_model.model.model.layers.0.self_attn.{module}.lora_B.weight"]
    return permute_rows(2.0 * (b @ a), heads)  # scale = alpha / r = 4 / 2


def test_merge_adds_the_permuted_delta_and_keeps_everything_else(tmp_path):
    base = write_base(tmp_path / "base.gguf")
    lora = write_adapter(tmp_path / "adapter")
    report = merge.merge_into_gguf(tmp_path / "base.gguf", tmp_path / "adapter", tmp_path / "model.gguf")
    assert (report.tensors, report.merged, report.architecture) == (5, 2, "llama")

    kind, q = read_tensor(tmp_path / "model.gguf", "blk.0.attn_q.weight")
    assert kind == "F16"
    np.testing.assert_allclose(q, base["blk.0.attn_q.weight"] + delta(lora, "q_proj", HEADS), atol=5e-3)
    _, k = read_tensor(tmp_path / "model.gguf", "blk.0.attn_k.weight")
    np.testing.assert_allclose(k, base["blk.0.attn_k.weight"] + delta(lora, "k_proj", HEADS_KV), atol=5e-3)
    _, v = read_tensor(tmp_path / "model.gguf", "blk.0.attn_v.weight")  # not adapted: unchanged
    np.testing.assert_allclose(v, base["blk.0.attn_v.weight"], atol=5e-3)
    kind, norm = read_tensor(tmp_path / "model.gguf", "blk.0.attn_norm.weight")
    assert kind == "F32"
    np.testing.assert_array_equal(norm, base["blk.0.attn_norm.weight"])
    kind, embd = read_tensor(tmp_path / "model.gguf", "token_embd.weight")  # de-quantized Q8_0
    assert kind == "F16"
    np.testing.assert_allclose(embd, base["token_embd.weight"], atol=0.05)

    info = gguf_info.read_info(tmp_path / "model.gguf")
    assert (info.architecture, info.file_type, info.head_count, info.head_count_kv) == ("llama", "F16", 2, 1)
    assert info.chat_template == "{{ messages }}" and info.has_tokenizer
    header = gguf_info.read_header(tmp_path / "model.gguf")
    assert header.get("tokenizer.ggml.tokens") == ["<a>", "b", "c", "d"]
    assert not list(tmp_path.glob(".model.gguf.tmp-*"))


def test_the_header_reader_agrees_with_gguf_reader(tmp_path):
    import gguf

    write_base(tmp_path / "base.gguf")
    ours = gguf_info.read_header(tmp_path / "base.gguf")
    theirs = gguf.GGUFReader(str(tmp_path / "base.gguf"))
    assert [(t.name, t.offset, t.n_bytes) for t in ours.tensors] == \
        [(t.name, t.data_offset, t.n_bytes) for t in theirs.tensors]
    for key, value in ours.fields.items():
        assert theirs.fields[key].contents() == value.value, key


def test_a_non_llama_architecture_is_merged_without_permutation(tmp_path):
    base = write_base(tmp_path / "base.gguf", arch="qwen2")
    lora = write_adapter(tmp_path / "adapter")
    merge.merge_into_gguf(tmp_path / "base.gguf", tmp_path / "adapter", tmp_path / "model.gguf")
    _, q = read_tensor(tmp_path / "model.gguf", "blk.0.attn_q.weight")
    a = lora["base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"]
    b = lora["base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight"]
    np.testing.assert_allclose(q, base["blk.0.attn_q.weight"] + 2.0 * (b @ a), atol=5e-3)


@pytest.mark.parametrize("setup, message", [
    (lambda p: (write_base(p / "base.gguf", arch="mamba"), write_adapter(p / "adapter")), "architecture 'mamba' is not supported"),
    (lambda p: (write_base(p / "base.gguf", general_type="adapter"), write_adapter(p / "adapter")), "adapter GGUF, not a model"),
    (lambda p: (write_base(p / "base.gguf"), write_adapter(p / "adapter", shapes={"q_proj": (DIM, 4), "k_proj": (4, 4)})),
     "not trained on this base model"),
    (lambda p: (write_base(p / "base.gguf"), None), "no trained adapter"),
    (lambda p: ((p / "base.gguf").write_bytes(b"PK\x03\x04 a zip"), write_adapter(p / "adapter")), "not a GGUF file"),
])
def test_refusals_name_the_reason(tmp_path, setup, message):
    setup(tmp_path)
    with pytest.raises(merge.MergeError, match=message):
        merge.merge_into_gguf(tmp_path / "base.gguf", tmp_path / "adapter", tmp_path / "model.gguf")
    assert not (tmp_path / "model.gguf").exists()


def test_a_full_disk_leaves_no_half_file(tmp_path, monkeypatch):
    write_base(tmp_path / "base.gguf")
    write_adapter(tmp_path / "adapter")
    (tmp_path / "model.gguf").write_bytes(b"an earlier model")
    full_disk_on_call(monkeypatch, merge, "_blocks", 3)
    with pytest.raises(OSError):
        merge.merge_into_gguf(tmp_path / "base.gguf", tmp_path / "adapter", tmp_path / "model.gguf")
    assert (tmp_path / "model.gguf").read_bytes() == b"an earlier model"
    assert not list(tmp_path.glob(".model.gguf.tmp-*"))


def test_blocks_split_big_tensors(tmp_path, monkeypatch):
    base = write_base(tmp_path / "base.gguf")
    lora = write_adapter(tmp_path / "adapter")
    monkeypatch.setattr(merge, "BLOCK_VALUES", 16)  # two rows of eight per block
    merge.merge_into_gguf(tmp_path / "base.gguf", tmp_path / "adapter", tmp_path / "model.gguf", out_type="f32")
    kind, q = read_tensor(tmp_path / "model.gguf", "blk.0.attn_q.weight")
    assert kind == "F32"
    np.testing.assert_allclose(q, base["blk.0.attn_q.weight"] + delta(lora, "q_proj", HEADS), atol=1e-5)
