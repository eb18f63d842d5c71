"""How a model GGUF maps onto a Hugging Face model folder, without loading it: the config of
each supported architecture from the GGUF's metadata, and for every tensor its Hugging Face
name and what undoes llama.cpp's converter (llama's q/k row permutation, Gemma's norm + 1).

    hf_config(header)   -> {"model_type": "llama", "hidden_size": 576, ...}
    tensor_plan(header) -> [Planned(tensor, "model.layers.0.self_attn.q_proj.weight", unpermute=9), ...]

The conversion cache (training/worker/conversion.py) streams the tensors through this plan;
the merge (merge.py) goes the other way for the LoRA deltas only. numpy only: the app may
import it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ollama_trainer.weights import architectures, upstream
from ollama_trainer.weights.gguf_info import GGUFHeader, TensorInfo
from ollama_trainer.weights.lora import permutation

# GGUF block tensor (blk.N.<name>) -> Hugging Face module under model.layers.N
_BLOCK = {
    "attn_norm": "input_layernorm",
    "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj",
    "attn_q_norm": "self_attn.q_norm", "attn_k_norm": "self_attn.k_norm",
    "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj",
    "ffn_norm": "post_attention_layernorm",
}
# Gemma 3 has four norms a block; its ffn_norm is the one before the MLP.
_GEMMA_BLOCK = {**_BLOCK, "ffn_norm": "pre_feedforward_layernorm",
                "post_attention_norm": "post_attention_layernorm", "post_ffw_norm": "post_feedforward_layernorm"}
_TOP = {"token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head"}
_SKIPPED = {"rope_freqs.weight"}  # llama3 rope scaling: computed from the config (rope_scaling)
_BLOCK_NAME = re.compile(r"^blk\.(\d+)\.(\w+)\.(weight|bias)$")
_TOP_NAME = re.compile(r"^(\w+)\.(weight|bias)$")
HF_MODEL_TYPES = {"llama": "llama", "qwen2": "qwen2", "qwen3": "qwen3", "gemma3": "gemma3_text"}


class LayoutError(Exception):
    """The GGUF cannot be laid out as a Hugging Face model; the message says which file and why."""


@dataclass(frozen=True)
class Planned:
    tensor: TensorInfo
    hf_name: str
    unpermute: int | None = None  # heads to undo llama's q/k row permutation over
    norm_offset: float = 0.0  # subtracted after reading (Gemma stores its norms + 1)

    def rows(self, start: int, stop: int):
        """Where GGUF rows [start, stop) go in the Hugging Face tensor (llama's q/k rows are
        permuted by llama.cpp's converter: permuted[i] = original[index[i]])."""
        if not self.unpermute:
            return slice(start, stop)
        return permutation(self.tensor.shape[0], self.unpermute)[start:stop]

    def adjust(self, values: np.ndarray) -> np.ndarray:
        """The values themselves, as Hugging Face keeps them (float32)."""
        return values - np.float32(self.norm_offset) if self.norm_offset else values

    def restore(self, values: np.ndarray) -> np.ndarray:
        """The whole Hugging Face tensor from the whole de-quantized GGUF one."""
        out = np.empty_like(values)
        out[self.rows(0, values.shape[0]) if values.ndim >= 2 else slice(None)] = self.adjust(values)
        return out


def _arch(header: GGUFHeader) -> architectures.Architecture:
    name = str(header.get("general.architecture") or "")
    try:
        return architectures.get(name)
    except architectures.UnsupportedArchitecture as exc:
        raise LayoutError(f"{header.path}: {exc}") from None


def _number(header: GGUFHeader, key: str, default=None):
    value = header.get(key, default)
    if isinstance(value, list):  # per-layer values: the first
        value = value[0] if value else default
    return value


def tensor_plan(header: GGUFHeader) -> list[Planned]:
    arch = _arch(header)
    prefix = arch.name
    heads = int(_number(header, f"{prefix}.attention.head_count", 0) or 0)
    heads_kv = int(_number(header, f"{prefix}.attention.head_count_kv", heads) or heads)
    block_names = _GEMMA_BLOCK if arch.name == "gemma3" else _BLOCK
    gemma = arch.name == "gemma3"
    plan = []
    for tensor in header.tensors:
        if tensor.name in _SKIPPED or upstream.is_tower_tensor(tensor.name):
            continue  # an embedded vision/audio tower (Ollama's own blobs): the text model is trained
        match = _BLOCK_NAME.match(tensor.name)
        if match:
            layer, part, kind = int(match.group(1)), match.group(2), match.group(3)
            if part not in block_names:
                raise LayoutError(f"{header.path}: tensor {tensor.name} has no place in a {arch.name} model")
            hf = f"model.layers.{layer}.{block_names[part]}.{kind}"
        else:
            match = _TOP_NAME.match(tensor.name)
            if not match or match.group(1) not in _TOP:
                raise LayoutError(f"{header.path}: tensor {tensor.name} has no place in a {arch.name} model")
            part, kind = match.group(1), match.group(2)
            hf = f"{_TOP[part]}.{kind}"
        unpermute = None
        if arch.permute_qk and part in ("attn_q", "attn_k"):
            unpermute = heads if part == "attn_q" else heads_kv
        offset = 1.0 if gemma and part.endswith("norm") else 0.0
        plan.append(Planned(tensor, hf, unpermute, offset))
    return plan


def hf_config(header: GGUFHeader) -> dict:
    """The keyword arguments of the architecture's transformers config (AutoConfig.for_model)."""
    arch = _arch(header)
    p = arch.name

    def get(key, default=None):
        return _number(header, f"{p}.{key}", default)

    tensors = {t.name: t for t in header.tensors}
    if "token_embd.weight" not in tensors:
        raise LayoutError(f"{header.path}: the model has no token_embd.weight")
    vocab = tensors["token_embd.weight"].shape[0]
    hidden = int(get("embedding_length"))
    heads = int(get("attention.head_count"))
    head_dim = get("attention.key_length")
    config = {
        "model_type": HF_MODEL_TYPES[p],
        "vocab_size": vocab,
        "hidden_size": hidden,
        "intermediate_size": int(get("feed_forward_length")),
        "num_hidden_layers": int(get("block_count")),
        "num_attention_heads": heads,
        "num_key_value_heads": int(get("attention.head_count_kv", heads)),
        "head_dim": int(head_dim) if head_dim else hidden // heads,
        "max_position_embeddings": int(get("context_length", 2048)),
        "rms_norm_eps": float(get("attention.layer_norm_rms_epsilon", 1e-6)),
        "tie_word_embeddings": "output.weight" not in tensors,
    }
    for key, field in (("bos_token_id", "tokenizer.ggml.bos_token_id"), ("eos_token_id", "tokenizer.ggml.eos_token_id"),
                       ("pad_token_id", "tokenizer.ggml.padding_token_id")):
        if header.get(field) is not None:
            config[key] = int(header.get(field))
    theta = get("rope.freq_base")
    if p == "gemma3":
        config["rope_parameters"] = {
            "full_attention": {"rope_type": "default", "rope_theta": float(theta or 1_000_000.0)},
            "sliding_attention": {"rope_type": "default", "rope_theta": float(get("rope.freq_base_swa", 10_000.0))},
        }
        config["sliding_window"] = int(get("attention.sliding_window", 512))
        config["query_pre_attn_scalar"] = config["head_dim"]
        config["hidden_activation"] = "gelu_pytorch_tanh"
    else:
        rope = {"rope_type": "default", "rope_theta": float(theta or 10_000.0)}
        if "rope_freqs.weight" in tensors:
            rope = _llama3_rope(header, tensors["rope_freqs.weight"], rope["rope_theta"], config["head_dim"])
        config["rope_parameters"] = rope
    if p == "qwen2":
        config["use_sliding_window"] = False
    return config


def _llama3_rope(header: GGUFHeader, freqs: TensorInfo, theta: float, head_dim: int) -> dict:
    """Llama 3.1+ stores its rope scaling as a tensor of per-frequency factors (rope_freqs);
    the config names the parameters that make it. The published ones are tried in turn."""
    with open(header.path, "rb") as f:
        f.seek(freqs.offset)
        stored = np.frombuffer(f.read(freqs.n_bytes), dtype=np.float32)
    for factor, low, high, original in ((32.0, 1.0, 4.0, 8192), (8.0, 1.0, 4.0, 8192), (16.0, 1.0, 4.0, 8192)):
        if np.allclose(_llama3_factors(theta, head_dim, factor, low, high, original), stored, rtol=1e-4):
            return {"rope_type": "llama3", "rope_theta": theta, "factor": factor, "low_freq_factor": low,
                    "high_freq_factor": high, "original_max_position_embeddings": original}
    raise LayoutError(f"{header.path}: its rope scaling (rope_freqs) is not one the app knows")


def _llama3_factors(theta: float, dim: int, factor: float, low: float, high: float, original: int) -> np.ndarray:
    """llama.cpp's converter (LlamaModel.generate_extra_tensors): 1 / the scale of each frequency."""
    freqs = 1.0 / (theta ** (np.arange(0, dim, 2, dtype=np.float32) / dim))
    low_wavelen, high_wavelen = original / low, original / high
    out = []
    for freq in freqs:
        wavelen = 2 * np.pi / freq
        if wavelen < high_wavelen:
            out.append(1.0)
        elif wavelen > low_wavelen:
            out.append(factor)
        else:
            smooth = (original / wavelen - low) / (high - low)
            out.append(1 / ((1 - smooth) / factor + smooth))
    return np.array(out, dtype=np.float32)
