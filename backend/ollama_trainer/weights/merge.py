"""The trained model as one GGUF file: the base GGUF with the LoRA merged into its weights.

    merge_into_gguf(base_gguf, adapter_dir, out_path) -> MergeReport

This is what goes to Ollama (0.34.1 and later create models from whole model files only) and
what llama.cpp loads. Every metadata key of the base is copied (architecture, hyperparameters,
tokenizer, chat template) except `general.file_type`, which says what the file now holds
(F16 by default). 2-D tensors are written as F16 (or F32), 1-D tensors (norms) as F32; each
adapted tensor gets `scale * B @ A` added to the de-quantized base weights, which are the
weights the model was trained on (the worker loads the same GGUF, de-quantized). llama's q/k
rows are permuted as llama.cpp's converter does (architectures.py).

Streamed: the header is written first, then each tensor is read from the base file, merged
and written in blocks of rows, so the extra memory is a few blocks (about 16 MB), never the
model. The file is written next to `out_path` and renamed into place once complete and
synced: a failure (a full disk, say) leaves no half file behind.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ollama_trainer.weights import architectures, upstream
from ollama_trainer.weights.gguf_info import GGUFFileError, GGUFHeader, TensorInfo, read_header, row_blocks
from ollama_trainer.weights.lora import LoraAdapter, LoraError, permutation, read_adapter

Q8_0_BLOCK = 32

BLOCK_VALUES = 2_000_000  # float32 values per block of rows (8 MB), before the F16 copy
OUT_TYPES = ("f16", "f32", "q8_0")


class MergeError(Exception):
    """The merged model cannot be written; the message says why."""


@dataclass
class MergeReport:
    path: Path
    architecture: str
    tensors: int
    merged: int  # tensors that got a LoRA delta
    bytes: int
    seconds: float
    out_type: str
    skipped_keys: list[str] = field(default_factory=list)


class _Streamed:
    """Quacks like the numpy array GGUFWriter.write_tensor_data expects (nbytes, tofile), but
    writes its data block by block."""

    def __init__(self, nbytes: int, blocks: Callable[[], object]):
        self.nbytes = nbytes
        self._blocks = blocks

    def tofile(self, fout) -> None:
        for block in self._blocks():
            fout.write(block.tobytes() if hasattr(block, "tobytes") else block)


def merge_into_gguf(base_gguf: str | Path, adapter_dir: str | Path | None, out_path: str | Path, *,
                    out_type: str = "f16", on_progress: Callable[[int, int], None] | None = None) -> MergeReport:
    """Write the merged model to `out_path`. on_progress(tensors done, tensors in all). Without
    an adapter it only writes the model again in `out_type` (q8_0: gguf-py's numpy quantizer,
    when llama.cpp's is not installed)."""
    import gguf

    if out_type not in OUT_TYPES:
        raise MergeError(f"out_type must be one of {', '.join(OUT_TYPES)}, not '{out_type}'")
    t0 = time.monotonic()
    base_gguf, out_path = Path(base_gguf), Path(out_path)
    try:
        header = read_header(base_gguf)
        adapter = read_adapter(Path(adapter_dir)) if adapter_dir is not None else LoraAdapter({}, {})
    except (GGUFFileError, LoraError) as exc:
        raise MergeError(str(exc)) from exc
    if header.get("general.type", "model") != "model":
        raise MergeError(f"{base_gguf} is a {header.get('general.type')} GGUF, not a model")
    arch_name = str(header.get("general.architecture") or "")
    try:
        arch = architectures.get(arch_name)
    except architectures.UnsupportedArchitecture as exc:
        raise MergeError(f"{base_gguf}: {exc}") from exc
    deltas = _delta_plan(adapter, arch, header)
    if adapter.token_rows:  # trained turn-token embeddings: new rows of the (tied) embedding
        embed = next((t for t in header.tensors if t.name == "token_embd.weight"), None)
        if embed is None or max(adapter.token_rows) >= embed.shape[0] or \
                next(iter(adapter.token_rows.values())).shape[0] != embed.shape[1]:
            raise MergeError(f"the adapter's trained token rows do not fit {base_gguf}'s token_embd.weight: "
                             "the adapter was not trained on this base model")
        deltas["token_embd.weight"] = adapter.token_rows
        if adapter.head_rows and any(t.name == "output.weight" for t in header.tensors):
            deltas["output.weight"] = adapter.head_rows  # an untied head has rows of its own
    out_dtype = np.float32 if out_type == "f32" else np.float16
    tmp = out_path.with_name(f".{out_path.name}.tmp-{os.getpid()}")
    writer = gguf.GGUFWriter(str(tmp), arch=arch_name)
    skipped = _copy_metadata(header, writer, arch_name)
    writer.add_file_type({"f16": gguf.LlamaFileType.MOSTLY_F16, "f32": gguf.LlamaFileType.ALL_F32,
                          "q8_0": gguf.LlamaFileType.MOSTLY_Q8_0}[out_type])
    plan = []
    for tensor in header.tensors:
        if upstream.is_tower_tensor(tensor.name):
            continue  # an embedded vision/audio tower of an Ollama blob: upstream's text model has none
        if out_type == "q8_0" and len(tensor.shape) >= 2 and tensor.shape[-1] % Q8_0_BLOCK == 0:
            dtype = "q8_0"  # 32 values as one fp16 scale and 32 int8: 34 bytes
            nbytes = tensor.n_elements // Q8_0_BLOCK * 34
            writer.add_tensor_info(tensor.name, tensor.shape, np.dtype(np.float16), nbytes,  # shape in values
                                   raw_dtype=gguf.GGMLQuantizationType.Q8_0)
        else:
            dtype = out_dtype if len(tensor.shape) >= 2 else np.float32
            nbytes = tensor.n_elements * np.dtype(dtype).itemsize
            writer.add_tensor_info(tensor.name, tensor.shape, np.dtype(dtype), nbytes)
        plan.append((tensor, dtype, nbytes))

    try:
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        with open(base_gguf, "rb") as source:
            for done, (tensor, dtype, nbytes) in enumerate(plan, start=1):
                delta = deltas.pop(tensor.name, None)
                writer.write_tensor_data(_Streamed(nbytes, lambda: _blocks(source, tensor, dtype, delta)))
                if on_progress is not None:
                    on_progress(done, len(plan))
        writer.fout[0].flush()
        os.fsync(writer.fout[0].fileno())
        writer.close()
        if deltas:  # _delta_plan checked the names; a leftover means a tensor was missing
            raise MergeError(f"{len(deltas)} adapted tensors were not found in {base_gguf}")
        os.replace(tmp, out_path)
    except BaseException:
        writer.close()
        tmp.unlink(missing_ok=True)
        raise
    return MergeReport(out_path, arch_name, len(plan), len(adapter.pairs) + bool(adapter.token_rows),
                       out_path.stat().st_size,
                       round(time.monotonic() - t0, 3), out_type, skipped)


def _delta_plan(adapter: LoraAdapter, arch, header: GGUFHeader) -> dict[str, tuple]:
    """GGUF tensor name -> (A, B, scale, row permutation or None), checked against the base."""
    base_gguf = header.path
    heads = header.get(f"{arch.name}.attention.head_count")
    heads_kv = header.get(f"{arch.name}.attention.head_count_kv", heads)
    shapes = {t.name: t.shape for t in header.tensors}
    plan = {}
    for layer, module in adapter.ordered():
        a, b = adapter.pairs[(layer, module)]
        name = architectures.gguf_tensor_name(layer, module)
        if name not in shapes:
            raise MergeError(f"the adapter changes {module} of layer {layer}, but {base_gguf} has no tensor {name}: "
                             "the adapter was not trained on this base model")
        if shapes[name] != (b.shape[0], a.shape[1]):
            raise MergeError(f"{name} is {shapes[name]} in {base_gguf} but the adapter's delta is "
                             f"{(b.shape[0], a.shape[1])}: the adapter was not trained on this base model")
        n = architectures.qk_heads(arch, module, int(heads or 0), int(heads_kv or 0))
        try:
            perm = permutation(b.shape[0], n) if n else None
        except LoraError as exc:
            raise MergeError(f"{name}: {exc}") from exc
        plan[name] = (a, b, adapter.scale, perm)
    return plan


def _copy_metadata(header: GGUFHeader, writer, arch_name: str) -> list[str]:
    """Every key of the base but the file's own bookkeeping and an embedded tower's keys, plus
    what upstream has that an Ollama blob lacks (upstream.py); returns the keys left out."""
    from gguf import GGUFValueType

    skipped = []
    for name, item in header.fields.items():
        if name in ("general.architecture", "general.file_type", "general.alignment"):
            continue
        if upstream.is_tower_key(arch_name, name):
            skipped.append(name)
            continue
        if item.type == GGUFValueType.ARRAY and (item.sub_type == GGUFValueType.ARRAY or not item.value):
            skipped.append(name)  # nested or empty arrays: not used by the architectures we support
            continue
        sub = GGUFValueType(item.sub_type) if item.sub_type is not None else None
        writer.add_key_value(name, item.value, GGUFValueType(item.type), sub_type=sub)
    for name, value in upstream.added_keys(arch_name, header.fields).items():
        writer.add_key_value(name, value, GGUFValueType.STRING)
    return skipped


def _blocks(source, tensor: TensorInfo, dtype, delta):
    """The merged tensor in blocks of rows, converted to `dtype`; `delta` is a LoRA pair
    (A, B, scale, row permutation) or whole new rows ({row: values})."""
    try:
        for start, stop, values in row_blocks(source, tensor, BLOCK_VALUES):
            if isinstance(delta, dict):  # whole rows replaced: {row: values}
                values = np.array(values, dtype=np.float32)
                for row, new in delta.items():
                    if start <= row < stop:
                        values[row - start] = new
            elif delta is not None:
                a, b, scale, perm = delta
                b_rows = b[perm[start:stop]] if perm is not None else b[start:stop]
                values = values + scale * (b_rows @ a)
            if dtype == "q8_0":
                from gguf import GGMLQuantizationType
                from gguf.quants import quantize

                yield quantize(np.ascontiguousarray(values, dtype=np.float32), GGMLQuantizationType.Q8_0)
            else:
                yield np.ascontiguousarray(values, dtype=dtype)
    except GGUFFileError as exc:
        raise MergeError(f"the base model file cannot be read: {exc}") from exc
