"""Tiny GGUF files written in tests with gguf-py: a model (llama-shaped, a few tensors, a
tokenizer list) or a LoRA adapter, for the parts that read GGUF headers and files."""

from __future__ import annotations

from pathlib import Path

import numpy as np

HEADS, HEADS_KV, DIM = 2, 1, 8


def write_model(path: Path, *, arch: str = "llama", general_type: str | None = None, tokenizer: bool = True,
                chat_template: str | None = "{{ messages }}", file_type: str = "F32", seed: int = 1) -> dict:
    """Write a one-block model GGUF; returns its float32 tensors by name (token_embd Q8_0 on disk)."""
    import gguf
    from gguf.quants import quantize

    rng = np.random.default_rng(seed)
    w = gguf.GGUFWriter(str(path), arch=arch)
    if general_type:
        w.add_type(general_type)
    w.add_block_count(1)
    w.add_head_count(HEADS)
    w.add_head_count_kv(HEADS_KV)
    w.add_context_length(64)
    if tokenizer:
        w.add_tokenizer_model("gpt2")
        w.add_token_list(["<a>", "b", "c", "d"])
        w.add_token_types([1, 1, 1, 1])
    if chat_template:
        w.add_chat_template(chat_template)
    w.add_file_type(getattr(gguf.LlamaFileType, "ALL_F32" if file_type == "F32" else f"MOSTLY_{file_type}"))
    tensors = {
        "token_embd.weight": rng.standard_normal((4, 32)).astype(np.float32),
        "blk.0.attn_norm.weight": rng.standard_normal(DIM).astype(np.float32),
        "blk.0.attn_q.weight": rng.standard_normal((DIM, DIM)).astype(np.float32),
        "blk.0.attn_k.weight": rng.standard_normal((DIM // 2, DIM)).astype(np.float32),
        "blk.0.attn_v.weight": rng.standard_normal((DIM // 2, DIM)).astype(np.float32),
    }
    q8 = quantize(tensors["token_embd.weight"], gguf.GGMLQuantizationType.Q8_0)
    w.add_tensor("token_embd.weight", q8, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
    for name, value in list(tensors.items())[1:]:
        w.add_tensor(name, value)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return tensors


def write_lora(path: Path) -> Path:
    """A llama.cpp LoRA adapter GGUF (general.type adapter)."""
    import gguf

    w = gguf.GGUFWriter(str(path), arch="llama")
    w.add_type(gguf.GGUFType.ADAPTER)
    w.add_string(gguf.Keys.Adapter.TYPE, "lora")
    w.add_float32(gguf.Keys.Adapter.LORA_ALPHA, 8.0)
    w.add_tensor("blk.0.attn_q.weight.lora_a", np.zeros((2, DIM), np.float32))
    w.add_tensor("blk.0.attn_q.weight.lora_b", np.zeros((DIM, 2), np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path
