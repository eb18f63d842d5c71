"""What an export can be asked for: the Ollama model name (as given, checked by Ollama's own
rules; a default made from the dataset and the run) and the model file's types, each with its
size and whether it can be made here (Q4_K_M by default from 1 B parameters)."""

from __future__ import annotations

import re
from typing import get_args

from ollama_trainer.contracts import QuantizeChoice, QuantizeOption
from ollama_trainer.errors import InvalidArgument
from ollama_trainer.protocol import JobSpec
from ollama_trainer.training import history
from ollama_trainer.training.run_folder import MODEL_GGUF, RunFolder

QUANTIZE_CHOICES = get_args(QuantizeChoice)


def sanitize_model_name(text: str) -> str:
    """Lowercase, only [a-z0-9._-], optional `:tag`; runs of other characters become '-'."""
    name, _, tag = text.strip().lower().partition(":")

    def clean(part: str) -> str:
        part = re.sub(r"[^a-z0-9._-]+", "-", part)
        part = re.sub(r"-{2,}", "-", part).strip("-._")
        return part[:80]

    name, tag = clean(name), clean(tag)
    if not name:
        name = "model"
    return f"{name}:{tag}" if tag else name


def default_model_name(dataset_id: str, training_id: str) -> str:
    short = training_id.rsplit("-", 1)[-1][-6:] if "-" in training_id else training_id[-6:]
    return sanitize_model_name(f"{dataset_id}-{short}")


QUANTIZE_FROM_PARAMETERS = 1_000_000_000  # Q4_K_M by default from this size: an F16 of 8 B is 16 GB


def default_quantize(job: JobSpec) -> str:
    """Q4_K_M for a base of 1 B parameters or more (what people run in Ollama), F16 below (a small
    model loses more to 4 bits than it gains in size)."""
    if job.base is None or not job.base.gguf:
        return "f16"  # a safetensors folder goes to Ollama as it is
    return "q4_K_M" if (job.base.parameters or 0) >= QUANTIZE_FROM_PARAMETERS else "f16"


def quantize_options(training_id: str) -> list[QuantizeOption]:
    """What the run's model file can be exported as, with about how big each is."""
    from ollama_trainer.weights import quantize

    job = history.load_job(training_id)
    if job is None:
        return []
    base = job.base
    parameters = base.parameters if base else None
    if not parameters and base and base.gguf:  # a run recorded before the size was
        from ollama_trainer.weights import gguf_info

        try:
            parameters = gguf_info.read_info(base.gguf).parameters
        except (OSError, ValueError, gguf_info.GGUFFileError):
            parameters = None
    default = default_quantize(job)
    missing = quantize.available()
    # a GGUF base, or a folder base whose trained model llama.cpp's converter wrote as model.gguf,
    # quantizes here; a model left as merged/ (an architecture the converter does not know) goes as it is
    as_gguf = bool(base and base.gguf) or RunFolder.of(training_id).file(MODEL_GGUF).is_file()
    options = []
    for kind in QUANTIZE_CHOICES:
        if kind != "f16" and not as_gguf:
            continue
        needs_llama = kind == "q4_K_M"
        options.append(QuantizeOption(kind=kind, bytes=quantize.estimate_bytes(parameters, kind) if parameters else None,
                                      default=kind == default, available=not (needs_llama and missing),
                                      why_not=missing if needs_llama and missing else None))
    return options


def check_model_name(name: str) -> str:
    """The name as given, checked by Ollama's own rules (`[host/][namespace/]model[:tag]`,
    names.parse_name): never changed behind the user's back (Ollama keeps its case, and
    compares names case-insensitively)."""
    from ollama_trainer.bases.ollama_names import StoreError, parse_name

    value = name.strip()
    try:
        parse_name(value)
    except StoreError as exc:
        raise InvalidArgument(f"{exc.message} For example: '{sanitize_model_name(name)}'",
                              code="invalid_model_name") from None
    return value


def replaced_model(client, name: str) -> str | None:
    """The server's model that creating `name` replaces (Ollama compares names case-insensitively,
    so 'quill:Latest' replaces 'quill'), or None."""
    from ollama_trainer.bases.ollama_names import StoreError, parse_name

    try:
        wanted = parse_name(name)
        for model in client.list().models:
            if model.model and parse_name(model.model) == wanted:
                return model.model
    except (StoreError, Exception):  # noqa: BLE001 - only a notice: never stop the export for it
        return None
    return None
