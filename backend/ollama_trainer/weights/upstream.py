"""What an Ollama library blob carries beyond upstream llama.cpp's layout, and how a file the app
writes from one is made upstream-clean (shared/reference/ollama-api.md: Ollama runs GGUF on
upstream llama.cpp and patches its own published blobs in memory).

- **Embedded towers**: Ollama's gemma3 (4b and up), gemma3n and gemma4 blobs hold the vision
  (`v.*`), projector (`mm.*`) and audio (`a.*`) tensors in the model file itself, with their
  `<arch>.vision.*` / `<arch>.mm.*` / `<arch>.audio.*` keys; upstream keeps them in a separate
  mmproj file, and a text model with extra tensors does not load there. The app trains the text
  model: it reads around them, and the files it writes leave them out.
- **Llama 3 without a pre-tokenizer**: Ollama's first llama3 blobs predate
  `tokenizer.ggml.pre`; upstream then splits text with its default pre-tokenizer, not Llama 3's
  ("generation quality will be degraded"). A Llama 3 tokenizer (the gpt2 model, 128,256 tokens)
  gets `llama-bpe`, the name llama.cpp's converter gives it.

An architecture upstream does not have (qwen35, gemma4, ...) is not cleaned here: the app lists
it with its reason (architectures.py) and never trains it.
"""

from __future__ import annotations

TOWER_PREFIXES = ("v.", "mm.", "a.")
TOWER_KEYS = ("vision", "mm", "audio")
LLAMA3_VOCAB = 128256


def is_tower_tensor(name: str) -> bool:
    """A tensor of an embedded vision, projector or audio tower."""
    return name.startswith(TOWER_PREFIXES)


def is_tower_key(architecture: str, key: str) -> bool:
    return any(key.startswith(f"{architecture}.{part}.") for part in TOWER_KEYS)


def has_towers(tensor_names) -> bool:
    return any(is_tower_tensor(n) for n in tensor_names)


def added_keys(architecture: str, fields: dict) -> dict[str, str]:
    """Keys an upstream file of this model has that the blob lacks (name -> string value)."""
    tokens = fields.get("tokenizer.ggml.tokens")
    count = len(tokens.value) if tokens is not None and tokens.value is not None else 0
    model = fields.get("tokenizer.ggml.model")
    if (architecture == "llama" and "tokenizer.ggml.pre" not in fields and model is not None
            and model.value == "gpt2" and count == LLAMA3_VOCAB):
        return {"tokenizer.ggml.pre": "llama-bpe"}
    return {}
