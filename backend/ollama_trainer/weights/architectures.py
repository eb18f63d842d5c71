"""The model architectures the app can train and export, and what differs between them.

Every entry names the LoRA target modules (Hugging Face names), the GGUF tensor each one
merges into, and the conventions of llama.cpp's converter that the merge must repeat: only
`llama` has its q/k rows permuted (LlamaModel.permute in convert_hf_to_gguf.py); qwen2, qwen3
and gemma3 store q/k as Hugging Face does. An architecture missing here is listed by the app
with the reason, not offered for training.
"""

from __future__ import annotations

from dataclasses import dataclass

ALL_LINEAR = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
# Hugging Face module -> the GGUF tensor of block N (blk.N.<name>.weight), the same in every
# architecture below.
GGUF_TENSOR = {
    "q_proj": "attn_q", "k_proj": "attn_k", "v_proj": "attn_v", "o_proj": "attn_output",
    "gate_proj": "ffn_gate", "up_proj": "ffn_up", "down_proj": "ffn_down",
}


@dataclass(frozen=True)
class Architecture:
    name: str  # GGUF general.architecture
    hf_model_types: tuple[str, ...]  # config.json model_type
    lora_targets: tuple[str, ...] = ALL_LINEAR
    permute_qk: bool = False
    ollama_converts_safetensors: bool = True  # Ollama can import a merged safetensors folder


ARCHITECTURES: dict[str, Architecture] = {
    a.name: a for a in (
        Architecture("llama", ("llama",), permute_qk=True),
        Architecture("qwen2", ("qwen2",)),
        Architecture("qwen3", ("qwen3",)),
        Architecture("gemma3", ("gemma3", "gemma3_text")),
    )
}


class UnsupportedArchitecture(Exception):
    """The app cannot train or export this architecture; the message says which and why."""


def get(name: str) -> Architecture:
    """By GGUF architecture name or Hugging Face model_type."""
    for arch in ARCHITECTURES.values():
        if name == arch.name or name in arch.hf_model_types:
            return arch
    known = ", ".join(sorted(ARCHITECTURES))
    raise UnsupportedArchitecture(f"architecture '{name}' is not supported (the app trains and exports {known})")


def gguf_tensor_name(layer: int, module: str) -> str:
    return f"blk.{layer}.{GGUF_TENSOR[module]}.weight"


def qk_heads(arch: Architecture, module: str, head_count: int, head_count_kv: int) -> int | None:
    """How many heads to permute the rows of a q/k delta over, or None when not permuted."""
    if not arch.permute_qk:
        return None
    return {"q_proj": head_count, "k_proj": head_count_kv}.get(module)
