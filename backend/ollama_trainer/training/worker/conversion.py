"""A base model GGUF into a Hugging Face folder in 16 bits, streamed tensor by tensor.

    write_folder(gguf, tmp_folder, tokenizers=models_dir / "tokenizers")

Each tensor is de-quantized a block of rows at a time (weights/gguf_info.row_blocks), put back
in the Hugging Face layout (weights/hf_layout.py: llama's q/k rows, Gemma's norms) and written
in bf16 into safetensors shards of about SHARD_BYTES, so converting a model holds one shard and
a few MB of rows, never the model in fp32 (which transformers' own GGUF loader does: 32 GB for
an 8 B model). The config comes from the GGUF's metadata (hf_layout.hf_config); the tokenizer
from transformers' GGUF reader, converted once per distinct tokenizer (models of one family
share it) into `tokenizers/<digest>/` and copied.

Imports torch, transformers and safetensors: worker process only.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

import torch

from ollama_trainer.weights import hf_layout
from ollama_trainer.weights.gguf_info import read_header, row_blocks

SHARD_BYTES = 1 << 30
STORED_DTYPE = torch.bfloat16
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja",
                   "tokenizer.model", "added_tokens.json")


def write_folder(gguf: Path, folder: Path, *, tokenizers: Path, on_progress=None) -> Path:
    """Write the model folder (config, generation config, tokenizer, bf16 shards) into `folder`."""
    from safetensors.torch import save_file
    from transformers import AutoConfig, GenerationConfig

    gguf, folder = Path(gguf), Path(folder)
    header = read_header(gguf)
    plan = hf_layout.tensor_plan(header)
    kwargs = hf_layout.hf_config(header)
    folder.mkdir(parents=True, exist_ok=True)
    config = AutoConfig.for_model(**kwargs)
    config.dtype = STORED_DTYPE
    config.architectures = [_causal_lm_class(kwargs["model_type"])]
    config.save_pretrained(folder)
    GenerationConfig.from_model_config(config).save_pretrained(folder)
    _copy_tokenizer(gguf, header, folder, tokenizers)

    shards = _shards(plan)
    names = [f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors" for i in range(len(shards))] \
        if len(shards) > 1 else ["model.safetensors"]
    weight_map, done = {}, 0
    with open(gguf, "rb") as source:
        for shard, name in zip(shards, names):
            tensors = {}
            for item in shard:
                tensors[item.hf_name] = _read(source, item)
                weight_map[item.hf_name] = name
                done += 1
                if on_progress is not None:
                    on_progress(done, len(plan))
            save_file(tensors, str(folder / name), metadata={"format": "pt"})
            del tensors
    if len(names) > 1:
        total = sum(item.tensor.n_elements for item in plan) * STORED_DTYPE.itemsize
        (folder / "model.safetensors.index.json").write_text(
            json.dumps({"metadata": {"total_size": total}, "weight_map": weight_map}, indent=2))
    return folder


def _causal_lm_class(model_type: str) -> str:
    return {"llama": "LlamaForCausalLM", "qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM",
            "gemma3_text": "Gemma3ForCausalLM"}[model_type]


def _shards(plan: list[hf_layout.Planned]) -> list[list[hf_layout.Planned]]:
    shards, size = [[]], 0
    for item in plan:
        nbytes = item.tensor.n_elements * STORED_DTYPE.itemsize
        if shards[-1] and size + nbytes > SHARD_BYTES:
            shards.append([])
            size = 0
        shards[-1].append(item)
        size += nbytes
    return shards


def _read(source, item: hf_layout.Planned) -> torch.Tensor:
    """One tensor in the Hugging Face layout and STORED_DTYPE, filled a block of rows at a time."""
    tensor = item.tensor
    dtype = STORED_DTYPE if len(tensor.shape) >= 2 else torch.float32  # norms and biases stay exact
    out = torch.empty(tensor.shape, dtype=dtype)
    for start, stop, values in row_blocks(source, tensor):
        rows = item.rows(start, stop)
        values = item.adjust(values)
        block = torch.from_numpy(values if values.flags.writeable else values.copy())
        if len(tensor.shape) >= 2:
            out[rows] = block.to(dtype)
        else:
            out.copy_(block.reshape(tensor.shape).to(dtype))
    return out


def tokenizer_digest(header) -> str:
    """What identifies a GGUF's tokenizer: its architecture and every tokenizer.* key."""
    digest = hashlib.sha256(str(header.get("general.architecture")).encode())
    for key in sorted(k for k in header.fields if k.startswith("tokenizer.")):
        digest.update(key.encode())
        digest.update(json.dumps(header.fields[key].value, ensure_ascii=False).encode())
    return digest.hexdigest()[:20]


def _copy_tokenizer(gguf: Path, header, folder: Path, tokenizers: Path) -> None:
    cached = Path(tokenizers) / tokenizer_digest(header)
    if not (cached / "tokenizer_config.json").is_file():
        from transformers import AutoTokenizer

        tmp = cached.with_name(f".{cached.name}.tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            print(f"reading the tokenizer of {gguf.name}", file=sys.stderr, flush=True)
            AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name).save_pretrained(tmp)
            if not cached.exists():
                os.replace(tmp, cached)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    for name in TOKENIZER_FILES:
        if (cached / name).is_file():
            shutil.copy2(cached / name, folder / name)
