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


# -- a small llama-shaped model and a PEFT LoRA for it, both without torch --------------------
ALL_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
GGUF_NAMES = {"q_proj": "attn_q", "k_proj": "attn_k", "v_proj": "attn_v", "o_proj": "attn_output",
              "gate_proj": "ffn_gate", "up_proj": "ffn_up", "down_proj": "ffn_down"}


def module_shapes(hidden: int, inter: int, heads: int, kv_heads: int) -> dict[str, tuple[int, int]]:
    kv = hidden // heads * kv_heads
    return {"q_proj": (hidden, hidden), "k_proj": (kv, hidden), "v_proj": (kv, hidden), "o_proj": (hidden, hidden),
            "gate_proj": (inter, hidden), "up_proj": (inter, hidden), "down_proj": (hidden, inter)}


def write_llama(path: Path, *, layers: int = 2, hidden: int = 64, inter: int = 128, heads: int = 4,
                kv_heads: int = 2, vocab: int = 256, chat_template: str | None = None, seed: int = 0) -> Path:
    """A complete little llama model GGUF (F32), with a byte-level token list."""
    import gguf

    rng = np.random.default_rng(seed)
    w = gguf.GGUFWriter(str(path), arch="llama")
    w.add_name("tiny llama")
    w.add_block_count(layers)
    w.add_context_length(128)
    w.add_embedding_length(hidden)
    w.add_feed_forward_length(inter)
    w.add_head_count(heads)
    w.add_head_count_kv(kv_heads)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_tokenizer_model("gpt2")
    w.add_token_list([f"<{i}>" for i in range(vocab)])
    w.add_token_types([1] * vocab)
    if chat_template:
        w.add_chat_template(chat_template)
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_tensor("token_embd.weight", rng.standard_normal((vocab, hidden)).astype(np.float32) * 0.1)
    for layer in range(layers):
        w.add_tensor(f"blk.{layer}.attn_norm.weight", np.ones(hidden, np.float32))
        for module, shape in module_shapes(hidden, inter, heads, kv_heads).items():
            w.add_tensor(f"blk.{layer}.{GGUF_NAMES[module]}.weight", rng.standard_normal(shape).astype(np.float32) * 0.1)
        w.add_tensor(f"blk.{layer}.ffn_norm.weight", np.ones(hidden, np.float32))
    w.add_tensor("output_norm.weight", np.ones(hidden, np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def write_peft_adapter(folder: Path, *, layers: int = 2, hidden: int = 64, inter: int = 128, heads: int = 4,
                       kv_heads: int = 2, rank: int = 4, alpha: int = 8, seed: int = 1) -> Path:
    """adapter_model.safetensors + adapter_config.json as PEFT writes them (random A and B)."""
    import json

    from safetensors.numpy import save_file

    rng = np.random.default_rng(seed)
    tensors = {}
    for layer in range(layers):
        for module, (out, inp) in module_shapes(hidden, inter, heads, kv_heads).items():
            part = "mlp" if module in ("gate_proj", "up_proj", "down_proj") else "self_attn"
            stem = f"base_model.model.model.layers.{layer}.{part}.{module}"
            tensors[f"{stem}.lora_A.weight"] = rng.standard_normal((rank, inp)).astype(np.float32)
            tensors[f"{stem}.lora_B.weight"] = rng.standard_normal((out, rank)).astype(np.float32)
    folder.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(folder / "adapter_model.safetensors"))
    (folder / "adapter_config.json").write_text(json.dumps(
        {"r": rank, "lora_alpha": alpha, "target_modules": list(ALL_MODULES), "peft_type": "LORA"}))
    return folder
