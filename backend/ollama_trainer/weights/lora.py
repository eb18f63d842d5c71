"""A PEFT LoRA adapter's tensors, read with numpy: the (A, B) pair of every adapted module,
its scale, and llama.cpp's q/k row permutation. Used by the merged model GGUF (merge.py) and
by the llama.cpp LoRA GGUF (gguf_adapter.py)."""

from __future__ import annotations

import json
import math
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ollama_trainer.weights.architectures import GGUF_TENSOR

PEFT_NAME = re.compile(
    r"^base_model\.model\.model\.layers\.(\d+)\.(?:self_attn|mlp)\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)"
    r"\.lora_([AB])\.weight$"
)
# trained turn-token rows beside the LoRA (training/worker/token_rows.py): index, rows (the new
# embedding rows; the head's too when tied) and head_rows (an untied head's)
TOKEN_ROWS = "token_rows.safetensors"
ADAPTER_FILES = ("adapter_model.safetensors", "adapter_config.json")


class LoraError(Exception):
    """The adapter cannot be read or used; the message says why."""


def read_safetensors(path: Path, *, integers: bool = False) -> dict[str, np.ndarray]:
    """All tensors of a safetensors file as float32 arrays (F32, F16 and BF16; with `integers`,
    I64 ones as int64)."""
    data = Path(path).read_bytes()
    if len(data) < 8:
        raise LoraError(f"{path} is not a safetensors file")
    (header_len,) = struct.unpack("<Q", data[:8])
    try:
        header = json.loads(data[8:8 + header_len])
    except ValueError as exc:
        raise LoraError(f"{path} has a broken header: {exc}") from exc
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
        elif dtype == "I64" and integers:
            out[name] = np.frombuffer(raw, dtype="<i8").reshape(shape).copy()
            continue
        else:
            raise LoraError(f"{path}: tensor {name} has unsupported dtype {dtype}")
        out[name] = arr.reshape(shape).astype(np.float32, copy=True)
    return out


def permutation(rows: int, n_head: int) -> np.ndarray:
    """Row indices of llama.cpp's LlamaModel.permute: permuted[i] = original[index[i]]."""
    if rows % (n_head * 2):
        raise LoraError(f"cannot permute {rows} rows over {n_head} heads")
    return np.arange(rows).reshape(n_head, 2, rows // n_head // 2).swapaxes(1, 2).reshape(rows)


def permute_rows(weights: np.ndarray, n_head: int) -> np.ndarray:
    """LlamaModel.permute on the output dimension (rows) of a [out, ...] matrix."""
    return weights[permutation(weights.shape[0], n_head)]


def effective_alpha(adapter_config: dict) -> float:
    """llama.cpp scales by alpha / r; rsLoRA scales by alpha / sqrt(r), so fold sqrt(r) in."""
    alpha = float(adapter_config.get("lora_alpha") or adapter_config.get("r") or 1)
    if adapter_config.get("use_rslora"):
        alpha *= math.sqrt(float(adapter_config.get("r") or 1))
    return alpha


@dataclass
class LoraAdapter:
    config: dict
    pairs: dict[tuple[int, str], tuple[np.ndarray, np.ndarray]]  # (layer, module) -> (A [r, in], B [out, r])
    token_rows: dict[int, np.ndarray] = field(default_factory=dict)  # token id -> its new embedding row
    head_rows: dict[int, np.ndarray] = field(default_factory=dict)  # ... its new output row (an untied head)

    @property
    def rank(self) -> int:
        return int(self.config.get("r") or next(iter(self.pairs.values()))[0].shape[0])

    @property
    def scale(self) -> float:
        """What B @ A is multiplied by in the forward pass (PEFT's `scaling`)."""
        return effective_alpha(self.config) / self.rank

    def ordered(self) -> list[tuple[int, str]]:
        order = list(GGUF_TENSOR)
        return sorted(self.pairs, key=lambda k: (k[0], order.index(k[1])))


def pair_tensors(tensors: dict[str, np.ndarray]) -> dict[tuple[int, str], tuple[np.ndarray, np.ndarray]]:
    found: dict[tuple[int, str], dict[str, np.ndarray]] = {}
    for name, value in tensors.items():
        match = PEFT_NAME.match(name)
        if not match:
            raise LoraError(f"unsupported adapter tensor '{name}' (only q/k/v/o and gate/up/down LoRA "
                            "on the decoder layers can be used)")
        layer, module, which = int(match.group(1)), match.group(2), match.group(3)
        found.setdefault((layer, module), {})[which] = value
    pairs = {}
    for (layer, module), pair in found.items():
        if set(pair) != {"A", "B"}:
            raise LoraError(f"layer {layer} {module}: lora_A and lora_B must both be present")
        a, b = pair["A"], pair["B"]
        if a.ndim != 2 or b.ndim != 2 or a.shape[0] != b.shape[1]:
            raise LoraError(f"layer {layer} {module}: shapes {a.shape} and {b.shape} are not a LoRA pair")
        pairs[(layer, module)] = (a, b)
    if not pairs:
        raise LoraError("the adapter holds no LoRA tensors")
    return pairs


def read_adapter(adapter_dir: Path) -> LoraAdapter:
    adapter_dir = Path(adapter_dir)
    missing = [name for name in ADAPTER_FILES if not (adapter_dir / name).is_file()]
    if missing:
        raise LoraError(f"no trained adapter in {adapter_dir} ({', '.join(missing)} missing)")
    try:
        config = json.loads((adapter_dir / "adapter_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LoraError(f"cannot read {adapter_dir / 'adapter_config.json'}: {exc}") from exc
    if config.get("use_dora"):
        raise LoraError("DoRA adapters cannot be merged or converted by the app")
    adapter = LoraAdapter(config, pair_tensors(read_safetensors(adapter_dir / "adapter_model.safetensors")))
    if (adapter_dir / TOKEN_ROWS).is_file():
        saved = read_safetensors(adapter_dir / TOKEN_ROWS, integers=True)
        index = [int(i) for i in saved["index"]]
        adapter.token_rows = {i: saved["rows"][n] for n, i in enumerate(index)}
        if "head_rows" in saved:
            adapter.head_rows = {i: saved["head_rows"][n] for n, i in enumerate(index)}
    return adapter
