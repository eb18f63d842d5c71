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
supported (SmolLM2 is llama). No torch: the safetensors file is read with numpy.
"""

from __future__ import annotations

import json
import math
import re
import struct
from pathlib import Path

import numpy as np

ARCH = "llama"
MODULE_NAMES = {
    "q_proj": "attn_q", "k_proj": "attn_k", "v_proj": "attn_v", "o_proj": "attn_output",
    "gate_proj": "ffn_gate", "up_proj": "ffn_up", "down_proj": "ffn_down",
}
PEFT_NAME = re.compile(
    r"^base_model\.model\.model\.layers\.(\d+)\.(?:self_attn|mlp)\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)"
    r"\.lora_([AB])\.weight$"
)
SMOLLM2_135M_HEADS = (9, 3)  # the builtin base, when its converted folder is not at hand


class GGUFAdapterError(Exception):
    """The adapter cannot be converted; the message says why."""


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """All tensors of a safetensors file as float32 arrays (F32, F16 and BF16)."""
    data = Path(path).read_bytes()
    if len(data) < 8:
        raise GGUFAdapterError(f"{path} is not a safetensors file")
    (header_len,) = struct.unpack("<Q", data[:8])
    try:
        header = json.loads(data[8:8 + header_len])
    except ValueError as exc:
        raise GGUFAdapterError(f"{path} has a broken header: {exc}") from exc
    body = memoryview(data)[8 + header_len:]
    out: dict[str, np.ndarray] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        raw = body[start:end]
        dtype, shape = info["dtype"], tuple(info["shape"])
        if dtype == "F32":
            arr = np.frombuffer(raw, dtype="<f4")
        elif dtype == "F16":
            arr = np.frombuffer(raw, dtype="<f2").astype(np.float32)
        elif dtype == "BF16":
            arr = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            raise GGUFAdapterError(f"{path}: tensor {name} has unsupported dtype {dtype}")
        out[name] = arr.reshape(shape).astype(np.float32, copy=True)
    return out


def permute_rows(weights: np.ndarray, n_head: int) -> np.ndarray:
    """LlamaModel.permute on the output dimension (rows) of a [out, ...] matrix."""
    out = weights.shape[0]
    if out % (n_head * 2):
        raise GGUFAdapterError(f"cannot permute {out} rows over {n_head} heads")
    return (weights.reshape(n_head, 2, out // n_head // 2, *weights.shape[1:])
            .swapaxes(1, 2).reshape(weights.shape))


def head_counts(config: dict) -> tuple[int, int]:
    arch = config.get("model_type") or ""
    archs = config.get("architectures") or []
    if arch != "llama" and "LlamaForCausalLM" not in archs:
        raise GGUFAdapterError(f"only Llama-architecture bases can be converted to a GGUF adapter, not '{arch or archs}'")
    n_head = int(config["num_attention_heads"])
    return n_head, int(config.get("num_key_value_heads") or n_head)


def tensor_pairs(tensors: dict[str, np.ndarray], n_head: int, n_kv_head: int) -> list[tuple[str, np.ndarray]]:
    """(gguf name, array) in layer order, lora_a before lora_b."""
    pairs: dict[tuple[int, str], dict[str, np.ndarray]] = {}
    for name, value in tensors.items():
        match = PEFT_NAME.match(name)
        if not match:
            raise GGUFAdapterError(f"unsupported adapter tensor '{name}' (only q/k/v/o and gate/up/down LoRA "
                                   "on the decoder layers can be converted)")
        layer, module, which = int(match.group(1)), match.group(2), match.group(3)
        pairs.setdefault((layer, module), {})[which] = value
    order = list(MODULE_NAMES)
    out: list[tuple[str, np.ndarray]] = []
    for (layer, module) in sorted(pairs, key=lambda k: (k[0], order.index(k[1]))):
        pair = pairs[(layer, module)]
        if set(pair) != {"A", "B"}:
            raise GGUFAdapterError(f"layer {layer} {module}: lora_A and lora_B must both be present")
        a, b = pair["A"], pair["B"]
        if a.ndim != 2 or b.ndim != 2 or a.shape[0] != b.shape[1]:
            raise GGUFAdapterError(f"layer {layer} {module}: shapes {a.shape} and {b.shape} are not a LoRA pair")
        if module == "q_proj":
            b = permute_rows(b, n_head)
        elif module == "k_proj":
            b = permute_rows(b, n_kv_head)
        base = f"blk.{layer}.{MODULE_NAMES[module]}.weight"
        out.append((base + ".lora_a", np.ascontiguousarray(a, dtype=np.float32)))
        out.append((base + ".lora_b", np.ascontiguousarray(b, dtype=np.float32)))
    if not out:
        raise GGUFAdapterError("the adapter holds no LoRA tensors")
    return out


def effective_alpha(adapter_config: dict) -> float:
    """llama.cpp scales by alpha / r; rsLoRA scales by alpha / sqrt(r), so fold sqrt(r) in."""
    alpha = float(adapter_config.get("lora_alpha") or adapter_config.get("r") or 1)
    if adapter_config.get("use_rslora"):
        alpha *= math.sqrt(float(adapter_config.get("r") or 1))
    return alpha


def convert(adapter_dir: Path, out_path: Path, *, base_config: dict, name: str | None = None) -> Path:
    """Write `out_path` (atomically) from `adapter_dir`; returns it."""
    import gguf

    adapter_dir, out_path = Path(adapter_dir), Path(out_path)
    try:
        config = json.loads((adapter_dir / "adapter_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GGUFAdapterError(f"cannot read {adapter_dir / 'adapter_config.json'}: {exc}") from exc
    if config.get("use_dora"):
        raise GGUFAdapterError("DoRA adapters cannot be converted to a llama.cpp LoRA GGUF")
    weights = adapter_dir / "adapter_model.safetensors"
    if not weights.is_file():
        raise GGUFAdapterError(f"{weights} is missing")
    n_head, n_kv_head = head_counts(base_config)
    pairs = tensor_pairs(read_safetensors(weights), n_head, n_kv_head)

    tmp = out_path.with_name(out_path.name + ".tmp")
    writer = gguf.GGUFWriter(str(tmp), arch=ARCH)
    try:
        writer.add_type(gguf.GGUFType.ADAPTER)
        writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
        writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, effective_alpha(config))
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
