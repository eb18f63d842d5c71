"""The stand-in's blob and create routes: HEAD /api/blobs/<digest> and POST /api/create, with
the checks a real Ollama makes on the files and adapters it is given."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.fakes.ollama_standin.server import OllamaStandin, _Handler

from tests.fakes.ollama_standin.state import (ADAPTERS_GONE, ADAPTERS_GONE_SINCE, GGUF_QUANTIZE_REFUSED,
                                              NO_GGUF_QUANTIZE_SINCE, ADAPTERS_REFUSED, CONVERTIBLE, DIGEST, MODEL_NAME, NO_ADAPTERS_SINCE,
                                              QUANTIZE_TYPES, StandinModel)


def _digest_of(path: str) -> str:
    return path[len("/api/blobs/"):]


def _blob_head(h: _Handler, s: OllamaStandin, path, body, req) -> None:
    digest = _digest_of(path)
    if not DIGEST.match(digest):
        return h._error(400, "invalid digest format")
    h._send_json(200 if digest in s.blobs else 404, None)


def _is_relative(name: str) -> bool:
    return bool(name) and not name.startswith(("/", "\\")) and ".." not in name.replace("\\", "/").split("/") \
        and not re.match(r"^[A-Za-z]:", name)


def _gguf_facts(path: Path) -> dict | str:
    """What Ollama's GGUF decoder learns from a model file, or why it refuses it. Read with
    gguf-py's own reader: independent of the app's parser."""
    import gguf

    with open(path, "rb") as f:
        if f.read(4) != b"GGUF":
            return "invalid file magic"
    try:
        reader = gguf.GGUFReader(str(path))
    except Exception as exc:  # noqa: BLE001 - any decoding failure is a refused file
        return f"invalid GGUF file: {exc}"

    def value(key):
        fld = reader.fields.get(key)
        return fld.contents() if fld is not None else None

    if value("general.type") == "adapter" or value("adapter.type"):
        return "the GGUF file is a LoRA adapter, not a model: adapters cannot be created"
    arch = value("general.architecture")
    if not arch:
        return "the GGUF file has no general.architecture"
    if value("tokenizer.ggml.tokens") is None:
        return "the GGUF file has no tokenizer"
    n = sum(int(t.n_elements) for t in reader.tensors)
    size = f"{n / 1e9:.2f}B" if n >= 1e9 else f"{n / 1e6:.2f}M"
    try:
        quant = gguf.LlamaFileType(value("general.file_type")).name.removeprefix("MOSTLY_").removeprefix("ALL_")
    except (ValueError, TypeError):
        quant = "unknown"
    return {"architecture": arch, "parameter_size": size, "quantization": quant}


def _check_files(s: OllamaStandin, files: dict) -> dict | str:
    """A GGUF model file or a safetensors model folder, as Ollama's create accepts them."""
    ggufs = [k for k in files if k.endswith(".gguf")]
    if ggufs:
        if len(ggufs) > 1:
            return "only one GGUF model file is supported"
        facts = _gguf_facts(s.blobs.path(files[ggufs[0]]))
        if isinstance(facts, str):
            return facts
        return {**facts, "gguf": s.blobs.path(files[ggufs[0]])}
    if "config.json" not in files:
        return "open config.json: file does not exist"
    try:
        config = json.loads(s.blobs[files["config.json"]])
    except ValueError:
        return "invalid config.json"
    archs = set(config.get("architectures") or [])
    if not archs & CONVERTIBLE:
        return "unsupported architecture"
    if not any(k.endswith(".safetensors") for k in files):
        return "no safetensors files"
    if not any(k in files for k in ("tokenizer.json", "tokenizer.model")):
        return "open tokenizer.json: file does not exist"
    return {"architecture": str(config.get("model_type") or "llama"), "parameter_size": "unknown",
            "quantization": str(config.get("torch_dtype") or config.get("dtype") or "F16").upper().replace("FLOAT", "F"),
            "converted": True}


def _create(h: _Handler, s: OllamaStandin, path, body, req) -> None:
    if not isinstance(req, dict):
        return h._error(400, "missing request body")
    stream = req.get("stream", True) is not False
    if s.legacy_create:
        return h._error(400, "neither 'from' or 'files' was specified")
    name = req.get("model") or req.get("name") or ""
    if not MODEL_NAME.match(name):
        return h._error(400, "invalid model name")
    files, adapters = req.get("files") or {}, req.get("adapters") or {}
    if not req.get("from") and not files:
        return h._error(400, "neither 'from' or 'files' was specified")
    if not isinstance(files, dict) or not isinstance(adapters, dict):
        return h._error(400, "unknown type")
    for key in list(files) + list(adapters):
        if not _is_relative(key):
            return h._error(400, "file path must be relative")
    for digest in list(files.values()) + list(adapters.values()):
        if not isinstance(digest, str) or not DIGEST.match(digest):
            return h._error(400, "invalid digest format")
        if digest not in s.blobs:
            return h._error(400, f"blob {digest} not found: upload it first")
    if adapters and s.at_least(ADAPTERS_GONE_SINCE):
        return h._error(400, ADAPTERS_GONE)
    if adapters and s.at_least(NO_ADAPTERS_SINCE):
        return h._error(400, ADAPTERS_REFUSED)
    if adapters:
        ggufs = [k for k in adapters if k.endswith(".gguf")]
        if ggufs and len(adapters) > 1:
            return h._error(400, "only one adapter is currently supported")
        if not ggufs:
            if "adapter_config.json" not in adapters:
                return h._error(400, "open adapter_config.json: file does not exist")
            try:
                config = json.loads(s.blobs[adapters["adapter_config.json"]])
                alpha = config.get("lora_alpha")
                if not isinstance(alpha, int) or isinstance(alpha, bool) or alpha < 0:
                    raise ValueError
            except (ValueError, AttributeError):
                return h._error(400, "json: cannot unmarshal number into Go struct field "
                                     "AdapterParameters.lora_alpha of type uint32")
            if not any(k.endswith(".safetensors") for k in adapters):
                return h._error(400, "unknown type")
    facts = None
    if files:
        facts = _check_files(s, files)
        if isinstance(facts, str):
            return h._error(400, facts)
    quantize = req.get("quantize") or req.get("quantization")
    if quantize and s.at_least(NO_GGUF_QUANTIZE_SINCE) and (req.get("from") or (facts and not facts.get("converted"))):
        return h._error(400, GGUF_QUANTIZE_REFUSED)  # a GGUF import (files or from): quantize it before
    if quantize:
        if str(quantize).lower() not in QUANTIZE_TYPES:
            return h._error(400, f"unsupported quantization type {quantize}")
        if facts is None or facts["quantization"] not in ("F16", "F32", "BF16"):
            return h._error(400, "quantization is only supported for F16 and F32 models")
    template = req.get("template")
    if template is not None and template.count("{{") != template.count("}}"):
        return h._error(400, "template error: unexpected EOF")

    base = s.find(req["from"]) if req.get("from") else None
    statuses: list[dict | str] = []
    if req.get("from") and base is None:
        error = "pull model manifest: file does not exist"
        if not stream:
            return h._error(500, error)
        h._start_stream()
        h._stream_line({"status": "pulling manifest"})
        h._stream_line({"error": error})
        return h._end_stream()
    if facts is not None:
        statuses.append({"status": "converting model" if facts.get("converted") else "parsing GGUF"})
    if quantize:
        statuses.append({"status": f"quantizing {facts['quantization']} model to {str(quantize).upper()}"})
        facts = {**facts, "quantization": str(quantize).upper()}
    if adapters:
        statuses.append({"status": "converting adapter"})
    for digest in files.values():
        statuses.append({"status": f"using existing layer {digest}"})
    layers = [json.dumps(v, sort_keys=True) for v in (adapters, template, req.get("system"), req.get("parameters")) if v]
    for layer in layers:
        statuses.append({"status": f"creating new layer sha256:{hashlib.sha256(layer.encode()).hexdigest()}"})
    statuses.append({"status": "writing manifest"})
    fault = s.create_error_after
    if not stream:
        if fault:
            return h._error(500, fault["error"])
        _store(s, name, req, base, facts)
        return h._send_json(200, {"status": "success"})
    h._start_stream()
    for line in statuses:
        h._stream_line(line)
        if s.malformed_line and line is statuses[0]:
            h._stream_line("this is not json {")
        if fault and line["status"] == fault.get("after"):
            h._stream_line({"error": fault["error"]})
            return h._end_stream()
    _store(s, name, req, base, facts)
    h._stream_line({"status": "success"})
    h._end_stream()


def _store(s: OllamaStandin, name: str, req: dict, base: StandinModel | None, facts: dict | None) -> None:
    params = dict(base.parameters) if base else {}
    params.update(req.get("parameters") or {})
    extra = {}
    if facts is not None:
        extra = {"architecture": facts["architecture"], "parameter_size": facts["parameter_size"],
                 "quantization": facts["quantization"], "gguf": facts.get("gguf")}
    elif base is not None:
        extra = {"architecture": base.architecture, "parameter_size": base.parameter_size,
                 "quantization": base.quantization, "gguf": base.gguf}
    s.add_model(name, parent=base.name if base else "", template=req.get("template") or (base.template if base else ""),
                system=req.get("system") or (base.system if base else ""), parameters=params,
                adapters=dict(req.get("adapters") or {}), files=dict(req.get("files") or {}), **extra)
