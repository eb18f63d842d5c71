"""The trained model as a whole model, written at the end of a run (and on demand for older
runs: `python -m ollama_trainer.training.worker merge --run-dir DIR`):

- a base read from a GGUF (the builtin, a GGUF file, a model in Ollama's store): `model.gguf`,
  the LoRA merged into that very file's weights (weights/merge.py, numpy, streamed);
- a base given as a safetensors folder: the folder with the LoRA merged into its weights, shard
  by shard, plus its config and tokenizer files (`merged/`), then written as `model.gguf` by
  llama.cpp's own converter (weights/hf_to_gguf.py, in this process), so it runs on every Ollama and quantizes
  here like any GGUF; `merged/` is removed then. Where the converter cannot write it (an
  architecture llama.cpp does not know), `merged/` stays, and the run says so: from 0.35 only
  Ollama's MLX engine (Apple Silicon, NVIDIA on Linux) imports a safetensors folder.

A failure here does not fail the training (the adapter is saved): the run says why, and the
export tries again.

Imports torch (safetensors.torch) for the folder merge: worker process only.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from ollama_trainer import bases
from ollama_trainer.errors import DomainError
from ollama_trainer.protocol import JobSpec
from ollama_trainer.training.run_folder import MERGED as MERGED_DIR
from ollama_trainer.training.run_folder import ADAPTER, MODEL_GGUF
from ollama_trainer.weights import hf_to_gguf
from ollama_trainer.weights.lora import LoraAdapter, LoraError, read_adapter
from ollama_trainer.weights.merge import merge_into_gguf

HF_WEIGHT = re.compile(r"^model\.layers\.(\d+)\.(?:self_attn|mlp)\.(\w+)\.weight$")
FOLDER_FILES = re.compile(r"^(config\.json|generation_config\.json|tokenizer.*|special_tokens_map\.json|"
                          r"chat_template\.jinja|vocab\.json|merges\.txt|added_tokens\.json|.*\.model)$")


class ModelFileError(Exception):
    """The model file cannot be written; the message says why."""


@dataclass(frozen=True)
class Written:
    path: Path
    bytes: int
    seconds: float
    note: str = ""  # what the run should say about it (a folder that stayed a folder)


def write(job: JobSpec, run_dir: Path, *, on_progress=None) -> Written | None:
    """Write the run's model file; None when the base gives nothing to merge into locally (a
    hub id that is not in the hub cache). on_progress(tensors done, tensors in all): a folder
    base counts each tensor twice, merged and then written by llama.cpp's converter."""
    run_dir, base = Path(run_dir), job.base
    t0 = time.monotonic()
    if base is None:  # a job.json from before the base was recorded
        try:
            base = bases.resolve(job.profile.base_model)
        except DomainError:
            return None
    adapter = run_dir / ADAPTER
    try:
        if base.gguf:
            report = merge_into_gguf(base.gguf, adapter, run_dir / MODEL_GGUF, on_progress=on_progress)
            return Written(report.path, report.bytes, round(time.monotonic() - t0, 3))
        folder = base.folder or bases.hub_cache_folder(job.profile.base_model)
        if folder:
            n = tensor_count(Path(folder))
            merged = (lambda done: on_progress(done, 2 * n)) if on_progress else None
            out = merge_folder(Path(folder), adapter, run_dir / MERGED_DIR, on_tensor=merged)
            written = (lambda done: on_progress(n + min(done, n - 1), 2 * n)) if on_progress else None
            try:
                converted = hf_to_gguf.convert_here(out, run_dir / MODEL_GGUF, on_tensor=written)
            except hf_to_gguf.ConvertError as exc:
                size = sum(f.stat().st_size for f in out.iterdir())
                return Written(out, size, round(time.monotonic() - t0, 3),
                               note=f"the trained model stays a safetensors folder ({exc}): from Ollama 0.35 only "
                                    "its MLX engine (Apple Silicon, NVIDIA on Linux) imports it")
            shutil.rmtree(out, ignore_errors=True)
            if on_progress:
                on_progress(2 * n, 2 * n)
            return Written(converted.path, converted.bytes, round(time.monotonic() - t0, 3))
    except LoraError as exc:
        raise ModelFileError(str(exc)) from exc
    return None


def tensor_count(folder: Path) -> int:
    """How many tensors the safetensors shards of `folder` hold (their headers only)."""
    from safetensors import safe_open

    count = 0
    for shard in sorted(folder.glob("*.safetensors")):
        with safe_open(str(shard), framework="pt") as f:
            count += len(f.keys())
    return max(count, 1)


def merge_folder(base: Path, adapter_dir: Path, out_dir: Path, *, on_tensor=None) -> Path:
    """The safetensors folder `base` with the adapter merged in, written to `out_dir`.
    on_tensor(tensors merged so far)."""
    import torch
    from safetensors import safe_open
    from safetensors.torch import save_file

    adapter = read_adapter(adapter_dir)
    shards = sorted(base.glob("*.safetensors"))
    if not shards:
        raise ModelFileError(f"{base} has no .safetensors weights (pickled .bin weights cannot be merged: "
                             "save the base with safe_serialization=True)")
    tmp = out_dir.with_name(f".{out_dir.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        left, done = dict(adapter.pairs), 0
        for shard in shards:
            tensors, metadata = {}, None
            with safe_open(str(shard), framework="pt") as f:
                metadata = f.metadata()
                for name in f.keys():
                    tensors[name] = _merged(name, f.get_tensor(name), adapter, left, torch)
                    done += 1
                    if on_tensor is not None:
                        on_tensor(done)
            save_file(tensors, str(tmp / shard.name), metadata=metadata or {"format": "pt"})
            del tensors
        if left:
            missing = ", ".join(f"layer {layer} {module}" for layer, module in sorted(left)[:3])
            raise ModelFileError(f"the adapter changes weights that {base} does not have ({missing}): "
                                 "it was not trained on this base model")
        for extra in base.iterdir():
            if extra.is_file() and (FOLDER_FILES.match(extra.name) or extra.name == "model.safetensors.index.json"):
                shutil.copy2(extra, tmp / extra.name)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(tmp, out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


def _merged(name: str, weight, adapter: LoraAdapter, left: dict, torch):
    new_rows = {"model.embed_tokens.weight": adapter.token_rows, "lm_head.weight": adapter.head_rows}.get(name)
    if new_rows:  # trained turn-token rows
        weight = weight.clone()
        for row, values in new_rows.items():
            weight[row] = torch.from_numpy(values).to(weight.dtype)
        return weight
    match = HF_WEIGHT.match(name)
    key = (int(match.group(1)), match.group(2)) if match else None
    if key not in adapter.pairs:
        return weight
    a, b = adapter.pairs[key]
    left.pop(key, None)
    delta = torch.from_numpy(b) @ torch.from_numpy(a) * adapter.scale
    if tuple(delta.shape) != tuple(weight.shape):
        raise ModelFileError(f"{name} is {tuple(weight.shape)} but the adapter's delta is {tuple(delta.shape)}: "
                             "the adapter was not trained on this base model")
    return (weight.float() + delta).to(weight.dtype).contiguous()
