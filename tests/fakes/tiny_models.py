"""Models of the supported architectures with random weights, written as GGUF files the way
llama.cpp's converter lays them out (tensor names, llama's permuted q/k rows, Gemma's norms
+ 1), with the builtin model's tokenizer (Gemma 3's own for gemma3), so the whole path runs on them: the Ollama store
reader, the conversion cache, the worker, PEFT, the merge and llama.cpp. Only the size changes.

    write_gguf(path, "qwen3")                       # TINY: ~3 M parameters, ~7 MB, under a second
    write_gguf(path, "llama", LLAMA_3_2_1B)         # the real shape of Llama-3.2-1B
    folder(gguf, out)                               # the same model as a safetensors folder

The tensors are written one at a time (numpy, no torch), so a 1 B shape never sits in memory
whole. The tokenizer keys are copied from the builtin GGUF (SmolLM2's BPE, 49152 tokens) or
Gemma 3 270M's (tests/fakes/gemma3.py, 262144 tokens); a shape with a bigger vocabulary gets unused tokens after them, as real vocabularies have.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

ARCHITECTURES = ("llama", "qwen2", "qwen3", "gemma3")
LINEAR = {"attn_q": "q", "attn_k": "kv", "attn_v": "kv", "attn_output": "o", "ffn_gate": "up", "ffn_up": "up",
          "ffn_down": "down"}


@dataclass(frozen=True)
class Shape:
    hidden: int
    inter: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    vocab: int | None = None  # None: the builtin tokenizer's own 49152
    context: int = 2048
    embed_std: float = 0.02
    std: float = 0.02


# initializer 0.2 on the embedding: logits far enough from uniform that a few steps teach something
TINY = Shape(hidden=64, inter=128, layers=2, heads=4, kv_heads=2, head_dim=16, context=512, embed_std=0.2, std=0.1)
QWEN2_5_0_5B = Shape(hidden=896, inter=4864, layers=24, heads=14, kv_heads=2, head_dim=64, vocab=151936,
                     context=32768)
LLAMA_3_2_1B = Shape(hidden=2048, inter=8192, layers=16, heads=32, kv_heads=8, head_dim=64, vocab=128256,
                     context=131072)


def tokenizer_keys(arch: str) -> dict:
    """Every tokenizer.* key (name -> MetaValue) of the model whose tokenizer `arch` gets: the
    builtin's (SmolLM2's BPE) for llama and Qwen, Gemma 3's own (SentencePiece, 262144 tokens)
    for gemma3, since a Gemma tokenizer is what every gemma3 GGUF carries."""
    from ollama_trainer.bases import builtin_gguf
    from ollama_trainer.weights.gguf_info import read_header

    if arch == "gemma3":
        from tests.fakes import gemma3

        source = gemma3.gguf_path()
    else:
        source = builtin_gguf()
    return {k: v for k, v in read_header(source).fields.items() if k.startswith("tokenizer.")}


def _tensors(arch: str, shape: Shape, vocab: int) -> list[tuple[str, tuple[int, ...], str]]:
    """(GGUF name, numpy shape, kind) in llama.cpp's order; kind: embed, linear, norm, bias."""
    q_rows, kv_rows = shape.heads * shape.head_dim, shape.kv_heads * shape.head_dim
    dims = {"q": (q_rows, shape.hidden), "kv": (kv_rows, shape.hidden), "o": (shape.hidden, q_rows),
            "up": (shape.inter, shape.hidden), "down": (shape.hidden, shape.inter)}
    out = [("token_embd.weight", (vocab, shape.hidden), "embed")]
    for layer in range(shape.layers):
        blk = f"blk.{layer}"
        out.append((f"{blk}.attn_norm.weight", (shape.hidden,), "norm"))
        for name, kind in LINEAR.items():
            out.append((f"{blk}.{name}.weight", dims[kind], "linear"))
            if arch == "qwen2" and name in ("attn_q", "attn_k", "attn_v"):
                out.append((f"{blk}.{name}.bias", (dims[kind][0],), "bias"))
        if arch in ("qwen3", "gemma3"):
            out += [(f"{blk}.attn_q_norm.weight", (shape.head_dim,), "norm"),
                    (f"{blk}.attn_k_norm.weight", (shape.head_dim,), "norm")]
        out.append((f"{blk}.ffn_norm.weight", (shape.hidden,), "norm"))
        if arch == "gemma3":
            out += [(f"{blk}.post_attention_norm.weight", (shape.hidden,), "norm"),
                    (f"{blk}.post_ffw_norm.weight", (shape.hidden,), "norm")]
    out.append(("output_norm.weight", (shape.hidden,), "norm"))
    return out


TOWER_WIDTH = 32  # the embedded vision tower of a library_blob gemma3


def write_gguf(path: Path, arch: str = "llama", shape: Shape = TINY, *, seed: int = 0, f16: bool = True,
               chat_template: str | None = None, name: str | None = None, library_blob: bool = False) -> Path:
    """A model GGUF of `arch` (llama, qwen2, qwen3, gemma3) at `shape`, tied embeddings, F16
    (or F32) 2-D tensors and F32 norms; tokenizer_keys(arch) (with their chat template, if
    any, unless `chat_template` is given). `library_blob`: laid out as Ollama's own library
    blobs are (weights/upstream.py): gemma3 with an embedded vision tower and projector (`v.*`,
    `mm.*` tensors, `gemma3.vision.*` / `gemma3.mm.*` keys), llama without `tokenizer.ggml.pre`
    (the first llama3 blobs)."""
    import gguf
    from gguf import GGUFValueType

    assert arch in ARCHITECTURES, arch
    rng = np.random.default_rng(seed)
    keys = tokenizer_keys(arch)
    tokens = list(keys["tokenizer.ggml.tokens"].value)
    vocab = shape.vocab or len(tokens)
    w = gguf.GGUFWriter(str(path), arch=arch)
    w.add_name(name or f"tiny {arch}")
    w.add_block_count(shape.layers)
    w.add_context_length(shape.context)
    w.add_embedding_length(shape.hidden)
    w.add_feed_forward_length(shape.inter)
    w.add_head_count(shape.heads)
    w.add_head_count_kv(shape.kv_heads)
    w.add_key_length(shape.head_dim)
    w.add_value_length(shape.head_dim)
    w.add_layer_norm_rms_eps(1e-6)
    w.add_rope_freq_base(1_000_000.0 if arch in ("gemma3", "qwen2", "qwen3") else 10_000.0)
    if arch == "gemma3":
        w.add_sliding_window(512)
    if arch == "llama":
        w.add_vocab_size(vocab)
        w.add_rope_dimension_count(shape.head_dim)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_F16 if f16 else gguf.LlamaFileType.ALL_F32)
    if chat_template is not None and "tokenizer.chat_template" not in keys:
        w.add_chat_template(chat_template)
    if library_blob and arch == "gemma3":
        w.add_uint32("gemma3.vision.block_count", 1)
        w.add_uint32("gemma3.vision.embedding_length", TOWER_WIDTH)
        w.add_uint32("gemma3.mm.tokens_per_image", 256)
    for key, item in keys.items():
        if library_blob and arch == "llama" and key == "tokenizer.ggml.pre":
            continue
        value = item.value
        if key == "tokenizer.ggml.tokens":
            value = tokens + [f"<unused{i}>" for i in range(vocab - len(tokens))]
        elif key == "tokenizer.ggml.token_type":
            value = list(value) + [5] * (vocab - len(tokens))  # UNUSED
        elif key == "tokenizer.ggml.scores":
            value = list(value) + [0.0] * (vocab - len(tokens))
        elif key == "tokenizer.chat_template" and chat_template is not None:
            value = chat_template
        sub = GGUFValueType(item.sub_type) if item.sub_type is not None else None
        w.add_key_value(key, value, GGUFValueType(item.type), sub_type=sub)

    plan = _tensors(arch, shape, vocab)
    if library_blob and arch == "gemma3":
        plan += [("v.blk.0.attn_q.weight", (TOWER_WIDTH, TOWER_WIDTH), "linear"),
                 ("v.post_layernorm.weight", (TOWER_WIDTH,), "norm"),
                 ("mm.input_projection.weight", (TOWER_WIDTH, shape.hidden), "linear")]
    for tname, tshape, kind in plan:
        dtype = np.float16 if (f16 and len(tshape) == 2) else np.float32
        w.add_tensor_info(tname, tshape, np.dtype(dtype), int(np.prod(tshape)) * np.dtype(dtype).itemsize)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    for tname, tshape, kind in plan:
        if kind == "norm":
            # about 1: a fresh norm in both layouts (Gemma stores 1 + w, and w = 0 is fresh)
            values = np.ones(tshape, np.float32) + rng.standard_normal(tshape).astype(np.float32) * 0.01
        elif kind == "bias":
            values = rng.standard_normal(tshape).astype(np.float32) * shape.std
        else:
            std = shape.embed_std if kind == "embed" else shape.std
            values = _normal(rng, tshape, std)
        dtype = np.float16 if (f16 and len(tshape) == 2) else np.float32
        w.write_tensor_data(values.astype(dtype, copy=False))
    w.close()
    return Path(path)


def _normal(rng, shape: tuple[int, ...], std: float) -> np.ndarray:
    return (rng.standard_normal(shape, dtype=np.float32) * np.float32(std))


def folder(gguf_path: Path, out: Path, tokenizers: Path) -> Path:
    """The model as a safetensors folder (config, tokenizer, bf16 weights), by the app's own
    conversion (the conversion cache's)."""
    from ollama_trainer.training.worker import conversion

    return conversion.write_folder(Path(gguf_path), Path(out), tokenizers=Path(tokenizers))
