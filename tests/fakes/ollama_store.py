"""A local Ollama model store laid out as Ollama lays it out, for tests of everything that reads
one (ollama_trainer.bases.ollama_store and its callers):

    make_store(root, [FakeModel("gemma3:270m", gguf_path, template=..., params={...})]) -> root

    root/blobs/sha256-<hex>                                   every layer and the config
    root/manifests/registry.ollama.ai/library/gemma3/270m     the manifest (legacy layout)
    root/manifests-v2/ollama.com/library/gemma3/270m          newer Ollama: a symlink to the
                                                              manifest stored as a blob

The model blob is a hard link to the given GGUF when both are on one file system (a copy
otherwise), so the 93-253 MB test models cost no disk and no time. A test that damages a blob
must unlink it first and write a new file: writing into it would change the linked GGUF too. Digests are the real
sha256 of each file; those of big files are cached in .cache/sha256.json, keyed by path, size
and mtime, because hashing 250 MB every session takes seconds.

Config and manifest are written as Ollama writes them (server/images.go, manifest/*.go):
config {model_format, model_family, model_families, model_type, file_type, architecture, os,
rootfs}, manifest {schemaVersion 2, mediaType, config, layers: model, license, template,
system, params, messages, adapter, projector}.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DIGEST_CACHE = REPO / ".cache" / "sha256.json"
CACHE_FROM_BYTES = 16 << 20  # smaller files are hashed each time (and kept out of the cache)

MEDIA = "application/vnd.ollama.image."
MEDIA_CONFIG = "application/vnd.docker.container.image.v1+json"
MEDIA_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"


@dataclass
class FakeModel:
    name: str  # an Ollama name: "gemma3:270m", "me/tuned", "example.com/me/tuned:v1"
    gguf: Path
    template: str | None = None
    system: str | None = None
    params: dict[str, Any] | None = None
    license: str | None = None
    messages: list[dict] | None = None
    adapter: Path | None = None  # a LoRA GGUF: the model is base + adapter
    projector: Path | None = None  # a vision projector
    config: dict[str, Any] = field(default_factory=dict)  # overrides of the config blob's keys
    layout: str = "legacy"  # "legacy": manifests/<host>/...; "v2": manifests-v2/ symlink to a blob


def make_store(root: str | Path, models: list[FakeModel]) -> Path:
    """Write (or add to) a store at root; returns root."""
    root = Path(root)
    (root / "blobs").mkdir(parents=True, exist_ok=True)
    for model in models:
        _write_model(root, model)
    return root


def sha256_of(path: str | Path) -> str:
    """The hex sha256 of a file; cached for big files (path + size + mtime)."""
    path = Path(path).resolve()
    st = path.stat()
    key = f"{path}|{st.st_size}|{st.st_mtime_ns}"
    big = st.st_size >= CACHE_FROM_BYTES
    cache = _read_cache() if big else {}
    if key in cache:
        return cache[key]
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    hexdigest = digest.hexdigest()
    if big:
        cache = {k: v for k, v in _read_cache().items() if not k.startswith(f"{path}|")}
        cache[key] = hexdigest
        _write_atomic(DIGEST_CACHE, json.dumps(cache, indent=1, sort_keys=True).encode())
    return hexdigest


def manifest_path(root: Path, name: str, layout: str = "legacy") -> Path:
    host, namespace, model, tag = _parts(name)
    if layout == "v2":
        return root / "manifests-v2" / ("ollama.com" if host == "registry.ollama.ai" else host) / namespace / model / tag
    return root / "manifests" / host / namespace / model / tag


def blob(root: Path, digest: str) -> Path:
    return root / "blobs" / digest.replace(":", "-")


def _write_model(root: Path, model: FakeModel) -> None:
    from ollama_trainer.weights import gguf_info

    try:
        info = gguf_info.read_info(model.gguf)
        described = {"model_family": info.architecture, "model_families": [info.architecture],
                     "model_type": info.parameter_size, "file_type": info.file_type}
    except gguf_info.GGUFFileError:  # a test's broken "model": Ollama would not have made it, but say little
        described = {"model_family": "", "model_families": [], "model_type": "", "file_type": ""}
    layers = [_file_layer(root, model.gguf, "model")]
    if model.license is not None:
        layers.append(_bytes_layer(root, model.license.encode(), "license"))
    if model.template is not None:
        layers.append(_bytes_layer(root, model.template.encode(), "template"))
    if model.system is not None:
        layers.append(_bytes_layer(root, model.system.encode(), "system"))
    if model.params is not None:
        layers.append(_bytes_layer(root, json.dumps(model.params).encode(), "params"))
    if model.messages is not None:
        layers.append(_bytes_layer(root, json.dumps(model.messages).encode(), "messages"))
    if model.adapter is not None:
        layers.append(_file_layer(root, model.adapter, "adapter"))
    if model.projector is not None:
        layers.append(_file_layer(root, model.projector, "projector"))
    config = {
        "model_format": "gguf",
        **described,
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [layer["digest"] for layer in layers]},
        **model.config,
    }
    config_layer = _bytes_layer(root, json.dumps(config).encode(), None)
    manifest = {"schemaVersion": 2, "mediaType": MEDIA_MANIFEST, "config": config_layer, "layers": layers}
    data = (json.dumps(manifest) + "\n").encode()
    target = manifest_path(root, model.name, model.layout)
    target.parent.mkdir(parents=True, exist_ok=True)
    if model.layout == "v2":
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        _write_atomic(blob(root, digest), data)
        if os.path.lexists(target):
            target.unlink()
        target.symlink_to(os.path.relpath(blob(root, digest), target.parent))
    else:
        _write_atomic(target, data)


def _file_layer(root: Path, path: Path, kind: str) -> dict:
    path = Path(path)
    digest = "sha256:" + sha256_of(path)
    target = blob(root, digest)
    if not target.exists():
        try:
            os.link(path, target)
        except OSError:  # another file system, or links not allowed
            tmp = target.with_name(target.name + ".partial")
            shutil.copyfile(path, tmp)
            os.replace(tmp, target)
    return {"mediaType": MEDIA + kind, "digest": digest, "size": path.stat().st_size}


def _bytes_layer(root: Path, data: bytes, kind: str | None) -> dict:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    target = blob(root, digest)
    if not target.exists():
        _write_atomic(target, data)
    return {"mediaType": MEDIA_CONFIG if kind is None else MEDIA + kind, "digest": digest, "size": len(data)}


def _parts(name: str) -> tuple[str, str, str, str]:
    from ollama_trainer.bases.ollama_store import parse_name

    n = parse_name(name)
    return n.registry, n.namespace, n.name, n.tag


def _read_cache() -> dict[str, str]:
    try:
        data = json.loads(DIGEST_CACHE.read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
