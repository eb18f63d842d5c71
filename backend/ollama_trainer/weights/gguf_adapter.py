"""Convert a PEFT LoRA adapter (safetensors) into a llama.cpp LoRA GGUF file.

Layout, as llama.cpp's convert_lora_to_gguf.py writes it (read from ggml-org/llama.cpp):
- metadata: general.architecture = "llama", general.type = "adapter", adapter.type = "lora",
  adapter.lora.alpha = float32 alpha;
- tensors `blk.N.<attn_q|attn_k|attn_v|attn_output|ffn_gate|ffn_up|ffn_down>.weight.lora_a`
  and `.lora_b`, holding PEFT's matrices *untransposed*: lora_a = A with numpy shape [r, in],
  lora_b = B with numpy shape [out, r]. GGUF stores dimensions reversed (ne), so llama.cpp sees
  a.ne = [in, r] and b.ne = [r, out], which is what llama-adapter.cpp checks against the base
  tensor (model.ne[0] == a.ne[0], model.ne[1] == b.ne[1], a.ne[1] == b.ne[0]);
- q_proj and k_proj rows are permuted exactly like the base weights are when a Llama model is
  converted to GGUF (LlamaModel.permute: reshape(n_head, 2, out/n_head/2, ...).swapaxes(1, 2)),
  with n_head for q and n_kv_head for k. For a LoRA pair that permutes B's rows only (A is
  untouched), since (P B) A = P (B A).

The base model's head counts come from its config.json. Only the `llama` architecture is
supported (SmolLM2 is llama). No torch: the safetensors file is read with numpy (lora.py).

Since Ollama 0.34.1 refuses new adapters, this file is an artifact for llama.cpp users only;
what goes to Ollama is the merged model (merge.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ollama_trainer.weights.architectures import GGUF_TENSOR as MODULE_NAMES
from ollama_trainer.weights.lora import LoraError as GGUFAdapterError
from ollama_trainer.weights.lora import effective_alpha, pair_tensors, permute_rows, read_adapter, read_safetensors

__all__ = ["GGUFAdapterError", "MODULE_NAMES", "convert", "effective_alpha", "head_counts", "permute_rows",
           "read_safetensors", "tensor_pairs"]

ARCH = "llama"
SMOLLM2_135M_HEADS = (9, 3)  # the builtin base, when its converted folder is not at hand


def head_counts(config: dict) -> tuple[int, int]:
    arch = config.get("model_type") or ""
    archs = config.get("architectures") or []
    if arch != "llama" and "LlamaForCausalLM" not in archs:
        raise GGUFAdapterError(f"only Llama-architecture bases can be converted to a GGUF adapter, not '{arch or archs}'")
    n_head = int(config["num_attention_heads"])
    return n_head, int(config.get("num_key_value_heads") or n_head)


def tensor_pairs(tensors: dict[str, np.ndarray], n_head: int, n_kv_head: int) -> list[tuple[str, np.ndarray]]:
    """(gguf name, array) in layer order, lora_a before lora_b."""
    pairs = pair_tensors(tensors)
    order = list(MODULE_NAMES)
    out: list[tuple[str, np.ndarray]] = []
    for (layer, module) in sorted(pairs, key=lambda k: (k[0], order.index(k[1]))):
        a, b = pairs[(layer, module)]
        if module == "q_proj":
            b = permute_rows(b, n_head)
        elif module == "k_proj":
            b = permute_rows(b, n_kv_head)
        base = f"blk.{layer}.{MODULE_NAMES[module]}.weight"
        out.append((base + ".lora_a", np.ascontiguousarray(a, dtype=np.float32)))
        out.append((base + ".lora_b", np.ascontiguousarray(b, dtype=np.float32)))
    return out


def convert(adapter_dir: Path, out_path: Path, *, base_config: dict, name: str | None = None) -> Path:
    """Write `out_path` (atomically) from `adapter_dir`; returns it."""
    import gguf

    out_path = Path(out_path)
    n_head, n_kv_head = head_counts(base_config)
    adapter = read_adapter(Path(adapter_dir))
    if adapter.token_rows:
        raise GGUFAdapterError("this adapter also trains the chat format's turn-token embeddings, which a llama.cpp "
                        "LoRA adapter cannot carry: use the merged model file (model.gguf) instead")
    pairs = tensor_pairs(read_safetensors(Path(adapter_dir) / "adapter_model.safetensors"), n_head, n_kv_head)

    tmp = out_path.with_name(out_path.name + ".tmp")
    writer = gguf.GGUFWriter(str(tmp), arch=ARCH)
    try:
        writer.add_type(gguf.GGUFType.ADAPTER)
        writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
        writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, effective_alpha(adapter.config))
        if name:
            writer.add_name(name)
        writer.add_file_type(gguf.LlamaFileType.ALL_F32)
        for tensor_name, array in pairs:
            writer.add_tensor(tensor_name, array)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
    finally:
        writer.close()
    tmp.replace(out_path)
    return out_path
