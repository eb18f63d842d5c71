"""Base models: where the weights a run starts from come from, without loading them (no torch).

- sources.py: resolve a base by name (the builtin, `ollama:NAME`, a .gguf file, a safetensors
  folder, a Hugging Face id) to a BaseModelFile, recorded in the run's job.json;
- catalog.py: the bases a user can pick here, each with size, quantization and memory, and
  whether it can be trained on this machine or why not;
- ollama_store.py, ollama_names.py: the local Ollama model store read from disk (no HTTP) and
  Ollama's model names, parsed as Ollama does;
- chat_template.py: the chat template saved with a local model folder.

Talking to an Ollama server is ollama/'s job; this package only reads files.
"""

from ollama_trainer.bases.sources import (
    BUILTIN_ALIAS,
    BUILTIN_ARCHITECTURE,
    BUILTIN_ID,
    OLLAMA_PREFIX,
    BaseModelNotFound,
    builtin_gguf,
    canonical,
    file_key,
    hub_cache_folder,
    looks_like_path,
    resolve,
)

__all__ = ["BUILTIN_ALIAS", "BUILTIN_ARCHITECTURE", "BUILTIN_ID", "OLLAMA_PREFIX", "BaseModelNotFound",
           "builtin_gguf", "canonical", "file_key", "hub_cache_folder", "looks_like_path", "resolve"]
