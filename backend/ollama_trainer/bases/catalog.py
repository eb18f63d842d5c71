"""The base models a user can train here: the builtin default and every model in the local
Ollama store, each with its family, size and quantization, and whether it can be trained on
this machine or why not (an architecture the app cannot train or export, a vision model, a
model built with an adapter, more memory than the machine has)."""

from __future__ import annotations

import threading

from ollama_trainer import chat_formats, estimate
from ollama_trainer.bases import sources as bases
from ollama_trainer.contracts import BaseModelInfo, BaseModelList
from ollama_trainer.weights import architectures, gguf_info

_headers: dict[str, gguf_info.GGUFInfo] = {}  # by blob digest: a header never changes
_lock = threading.Lock()


def _header(path, digest: str | None) -> gguf_info.GGUFInfo:
    key = digest or str(path)
    with _lock:
        if key not in _headers:
            _headers[key] = gguf_info.read_info(path)
        return _headers[key]


def why_not(architecture: str | None, shape: estimate.Shape | None) -> str | None:
    """None when a model of this architecture and size can be trained and exported here."""
    try:
        architectures.get(architecture or "")
    except architectures.UnsupportedArchitecture as exc:
        return str(exc)
    if shape and shape.parameters:
        need, have = estimate.memory_gb(shape), estimate.total_memory_gb()
        if have and need > have:
            return (f"needs about {need:.0f} GB of memory to train in bf16, this machine has {have:.0f} GB "
                    f"(4-bit on a GPU: about {estimate.memory_gb(shape, bits=4):.0f} GB)")
    return None


def _memory(shape: estimate.Shape | None) -> dict:
    if not shape or not shape.parameters:
        return {}
    return {"memory_gb": estimate.memory_gb(shape), "memory_gb_4bit": estimate.memory_gb(shape, bits=4)}


def _shape(info: gguf_info.GGUFInfo) -> estimate.Shape:
    return estimate.Shape(info.parameters, info.hidden, info.layers, info.vocab)


def list_bases() -> BaseModelList:
    out = []
    builtin = bases.resolve(bases.BUILTIN_ID)
    header = _header(builtin.gguf, None)
    out.append(BaseModelInfo(
        source=bases.BUILTIN_ID, name="SmolLM2 135M Instruct", kind="builtin",  # the kind says it ships
        architecture=builtin.architecture, family=builtin.architecture,
        parameter_size=gguf_info.size_label(builtin.parameters or 0), quantization=header.file_type,
        trainable=True, reason=None, chat_format=builtin.chat_format, path=builtin.gguf, **_memory(_shape(header))))
    from ollama_trainer.bases import ollama_store as store

    root = store.store_root()
    note = None if root else ("no Ollama model store on this machine (looked in OLLAMA_MODELS, ~/.ollama/models and "
                              "/usr/share/ollama/.ollama/models)")
    for model in store.list_models(root=root) if root else []:
        out.append(_from_store(model))
    return BaseModelList(bases=out, store=str(root) if root else None, note=note)


def _from_store(model) -> BaseModelInfo:
    source = f"{bases.OLLAMA_PREFIX}{model.name}"
    common = dict(source=source, name=str(model.name), kind="ollama", family=model.family,
                  parameter_size=model.parameter_size, quantization=model.quantization,
                  path=str(model.model_path) if model.model_path else None)
    if not model.ok:
        return BaseModelInfo(**common, trainable=False, reason=model.error.message)
    if model.has_projector:
        return BaseModelInfo(**common, trainable=False, reason="a vision model: the app trains text models only")
    if model.has_adapter:
        return BaseModelInfo(**common, trainable=False,
                             reason="built with a LoRA adapter on a base: train on that base model instead")
    try:
        info = _header(model.model_path, model.digest)
    except gguf_info.GGUFFileError as exc:
        return BaseModelInfo(**common, trainable=False, reason=str(exc))
    common.update(parameter_size=info.parameter_size, quantization=info.file_type, family=model.family or
                  info.architecture)
    fmt = chat_formats.choose(ollama_template=model.template, chat_template=info.chat_template,
                              architecture=info.architecture)  # as bases.resolve would, from what is read already
    reason = why_not(info.architecture, _shape(info))
    return BaseModelInfo(**common, architecture=info.architecture, trainable=reason is None, reason=reason,
                         chat_format=fmt.name if fmt else None, **_memory(_shape(info)))
