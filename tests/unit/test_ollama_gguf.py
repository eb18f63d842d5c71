"""The PEFT -> llama.cpp GGUF adapter conversion on hand-made tensors."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from safetensors.numpy import save_file

from ollama_trainer.weights import gguf_adapter as ga

LLAMA = {"model_type": "llama", "num_attention_heads": 4, "num_key_value_heads": 2}


def peft_name(layer: int, module: str, which: str) -> str:
    part = "mlp" if module in ("gate_proj", "up_proj", "down_proj") else "self_attn"
    return f"base_model.model.model.layers.{layer}.{part}.{module}.lora_{which}.weight"


def write_adapter(folder, tensors: dict, **config):
    folder.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(folder / "adapter_model.safetensors"))
    (folder / "adapter_config.json").write_text(json.dumps({"r": 2, "lora_alpha": 4, **config}))
    return folder


def test_permute_rows_matches_llama_permute():
    b = np.arange(16 * 2, dtype=np.float32).reshape(16, 2)
    out = ga.permute_rows(b, 2)
    # within each head of 8 rows, the two halves are interleaved: 0,4,1,5,2,6,3,7
    assert [int(r) for r in out[:8, 0] // 2] == [0, 4, 1, 5, 2, 6, 3, 7]
    assert [int(r) for r in out[8:, 0] // 2] == [8, 12, 9, 13, 10, 14, 11, 15]
    with pytest.raises(ga.GGUFAdapterError):
        ga.permute_rows(np.zeros((6, 2), np.float32), 4)


def test_convert_names_order_and_alpha(tmp_path):
    import gguf

    rng = np.random.default_rng(0)
    tensors = {}
    for module, (out, inp) in {"q_proj": (16, 16), "k_proj": (8, 16), "down_proj": (16, 32)}.items():
        tensors[peft_name(0, module, "A")] = rng.standard_normal((2, inp)).astype(np.float32)
        tensors[peft_name(0, module, "B")] = rng.standard_normal((out, 2)).astype(np.float32)
    adapter = write_adapter(tmp_path / "a", tensors, lora_alpha=4)
    path = ga.convert(adapter, tmp_path / "adapter.gguf", base_config=LLAMA, name="x")
    reader = gguf.GGUFReader(path)
    assert [t.name for t in reader.tensors] == [
        "blk.0.attn_q.weight.lora_a", "blk.0.attn_q.weight.lora_b",
        "blk.0.attn_k.weight.lora_a", "blk.0.attn_k.weight.lora_b",
        "blk.0.ffn_down.weight.lora_a", "blk.0.ffn_down.weight.lora_b",
    ]
    k_b = next(t for t in reader.tensors if t.name == "blk.0.attn_k.weight.lora_b")
    np.testing.assert_array_equal(k_b.data, ga.permute_rows(tensors[peft_name(0, "k_proj", "B")], 2))
    alpha = reader.fields["adapter.lora.alpha"]
    assert float(alpha.parts[alpha.data[0]][0]) == 4.0
    assert not (tmp_path / "adapter.gguf.tmp").exists()


def test_rslora_alpha_is_folded_in():
    assert ga.effective_alpha({"lora_alpha": 8, "r": 16}) == 8.0
    assert ga.effective_alpha({"lora_alpha": 8, "r": 16, "use_rslora": True}) == pytest.approx(8 * math.sqrt(16))


def test_reads_bf16_and_f16(tmp_path):
    import struct

    values = np.array([1.5, -2.0, 0.25, 3.0], dtype=np.float32)
    bf16 = (values.view(np.uint32) >> 16).astype("<u2").tobytes()
    f16 = values.astype("<f2").tobytes()
    header = {"a": {"dtype": "BF16", "shape": [2, 2], "data_offsets": [0, 8]},
              "b": {"dtype": "F16", "shape": [4], "data_offsets": [8, 16]}}
    raw = json.dumps(header).encode()
    (tmp_path / "t.safetensors").write_bytes(struct.pack("<Q", len(raw)) + raw + bf16 + f16)
    out = ga.read_safetensors(tmp_path / "t.safetensors")
    np.testing.assert_array_equal(out["a"], values.reshape(2, 2))
    np.testing.assert_array_equal(out["b"], values)


@pytest.mark.parametrize("tensors, config, base, message", [
    ({"base_model.model.lm_head.lora_A.weight": np.zeros((2, 4), np.float32)}, {}, LLAMA, "unsupported adapter tensor"),
    ({peft_name(0, "q_proj", "A"): np.zeros((2, 16), np.float32)}, {}, LLAMA, "must both be present"),
    ({peft_name(0, "v_proj", "A"): np.zeros((2, 16), np.float32),
      peft_name(0, "v_proj", "B"): np.zeros((16, 3), np.float32)}, {}, LLAMA, "not a LoRA pair"),
    ({peft_name(0, "v_proj", "A"): np.zeros((2, 16), np.float32)}, {"use_dora": True}, LLAMA, "DoRA"),
    ({peft_name(0, "v_proj", "A"): np.zeros((2, 16), np.float32)}, {}, {"model_type": "qwen2"}, "Llama-architecture"),
])
def test_refuses_what_llama_cpp_cannot_load(tmp_path, tensors, config, base, message):
    adapter = write_adapter(tmp_path / "a", tensors, **config)
    with pytest.raises(ga.GGUFAdapterError, match=message):
        ga.convert(adapter, tmp_path / "adapter.gguf", base_config=base)
    assert not (tmp_path / "adapter.gguf").exists()
