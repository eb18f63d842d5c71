"""The local Ollama model store, read from disk: which models a user has and where their GGUF,
template, system prompt and parameters are. No HTTP, no torch, no GGUF parsing.

    store_root(env=None) -> Path | None
    parse_name("gemma3:270m") -> ModelName
    find("gemma3:270m") -> StoreModel           (checked: blob there, size right, GGUF magic)
    list_models() -> list[StoreModel]            (broken entries carry their error)
    verify_digest(model) -> bool                 (sha256 of the blob; slow, so apart)

What is read here follows Ollama's own server code (ollama/ollama: envconfig/config.go,
types/model/name.go, manifest/manifest.go, manifest/paths.go, manifest/layer.go,
server/images.go GetModel, types/model/config.go):

- Where: `OLLAMA_MODELS` (Ollama trims spaces and quotes from it), else `~/.ollama/models`;
  the Linux service install keeps its store in the `ollama` user's home,
  `/usr/share/ollama/.ollama/models`. The first of these that exists is the store; when
  OLLAMA_MODELS is set it is the only candidate (the server that reads it would not look
  elsewhere either).
- Names: `[host/][namespace/]model[:tag]`, defaults `registry.ollama.ai`, `library`,
  `latest`. A tag is what follows the last ':' when it comes after the last '/' (so a host
  may carry a port). Parts: model and tag `[A-Za-z0-9_][A-Za-z0-9_.-]*` (1-80), namespace
  the same without '.', host may also hold ':' (1-350). Ollama compares names
  case-insensitively (Name.EqualFold; `create` refuses a name that differs from an existing
  one only in case), so a lookup that misses the exact path falls back to a case-insensitive
  match. Shown the way `ollama list` does (DisplayShortest): `gemma3:270m`,
  `me/tuned:latest`, `example.com/me/tuned:latest`. Newer names with a kind
  (`ns/skill/name`) are skills or agents, not models, and are refused.
- Manifests: `manifests/<host>/<namespace>/<model>/<tag>` (a regular JSON file). Newer Ollama
  writes `manifests-v2/<host>/...` instead, a symlink to the manifest stored as a blob, with
  the public host spelled `ollama.com` there (registry.ollama.ai and ollama.com are one host);
  it reads manifests-v2 first, then the legacy folder under both host spellings. Both are read
  here, in that order.
- A manifest: `{schemaVersion: 2, mediaType, config: {mediaType, digest, size}, layers:
  [{mediaType, digest, size, from?, name?}]}`; newer Ollama may store a manifest list
  (`application/vnd.ollama.manifest.list.v2+json`, children per runner, a child either inline
  or a reference to a manifest blob): the child in GGUF format is read.
- Blobs: `blobs/sha256-<hex>` for digest `sha256:<hex>` (digests must match
  `^sha256[:-][0-9a-fA-F]{64}$`).
- Layers (a media type may carry `; name=...` parameters): `.model` the GGUF, `.template`
  (or the legacy `.prompt`) Go template text, `.system` text, `.params` a JSON object (stop,
  temperature, num_ctx, ...), `.messages` a JSON list, `.license` text, `.adapter` a LoRA
  applied on top (the model is the base plus an adapter), `.projector` a vision projector.
- Config blob (`application/vnd.docker.container.image.v1+json`): model_format,
  model_family, model_families, model_type (the parameter size, e.g. "268.10M"), file_type
  (the quantization, e.g. "Q4_K_M"), and in new versions renderer, parser, capabilities,
  context_length.

Whether a model can be trained here is not decided here: the caller reads the GGUF header
(weights.gguf_info.read_info(model.model_path)) and asks weights.architectures.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ollama_trainer.bases.ollama_names import (  # noqa: F401 - parse_name and ModelName are part of this API
    _HOST, _NAMESPACE, _PART, DEFAULT_HOST, V2_HOST, ModelName, StoreError, _error, _same_host, parse_name,
)

SYSTEM_STORE = Path("/usr/share/ollama/.ollama/models")  # Linux service install
GGUF_MAGIC = b"GGUF"

MEDIA_PREFIX = "application/vnd.ollama.image."
MEDIA_MODEL = MEDIA_PREFIX + "model"
MEDIA_TEMPLATE = MEDIA_PREFIX + "template"
MEDIA_PROMPT = MEDIA_PREFIX + "prompt"  # the template's old name
MEDIA_SYSTEM = MEDIA_PREFIX + "system"
MEDIA_PARAMS = MEDIA_PREFIX + "params"
MEDIA_MESSAGES = MEDIA_PREFIX + "messages"
MEDIA_LICENSE = MEDIA_PREFIX + "license"
MEDIA_ADAPTER = MEDIA_PREFIX + "adapter"
MEDIA_PROJECTOR = MEDIA_PREFIX + "projector"
MEDIA_CONFIG = "application/vnd.docker.container.image.v1+json"
MEDIA_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MEDIA_MANIFEST_LIST = "application/vnd.ollama.manifest.list.v2+json"

_DIGEST = re.compile(r"^sha256[:-]([0-9a-fA-F]{64})$")
_NAMES_SHOWN = 5


# -- the store's place ------------------------------------------------------------------


def store_candidates(env: Mapping[str, str] | None = None) -> list[Path]:
    """The folders a store may be in, in the order they are tried."""
    env = os.environ if env is None else env
    override = env.get("OLLAMA_MODELS", "").strip().strip("\"'")
    if override:
        return [Path(override).expanduser()]
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    return [home / ".ollama" / "models", SYSTEM_STORE]


def store_root(env: Mapping[str, str] | None = None) -> Path | None:
    """The local Ollama store, or None when there is none."""
    for path in store_candidates(env):
        if path.is_dir():
            return path
    return None


def _require_root(root: Path | None) -> Path:
    if root is not None:
        if not Path(root).is_dir():
            raise _error("ollama_store_missing", f"no Ollama model store at {root} (the folder does not exist)")
        return Path(root)
    found = store_root()
    if found is not None:
        return found
    override = os.environ.get("OLLAMA_MODELS", "").strip().strip("\"'")
    if override:
        raise _error("ollama_store_missing",
                     f"no Ollama model store found: OLLAMA_MODELS is set to {override}, which does not exist. "
                     "Point OLLAMA_MODELS at the folder your Ollama keeps its models in (it holds manifests/ and blobs/).")
    looked = " and ".join(str(p) for p in store_candidates())
    raise _error("ollama_store_missing",
                 f"no Ollama model store found: looked in {looked}. Install Ollama and pull a model "
                 "(`ollama pull gemma3:270m`), or, if Ollama keeps its models elsewhere, set OLLAMA_MODELS to that folder.")


# -- what find() returns ----------------------------------------------------------------


@dataclass(frozen=True)
class Layer:
    media_type: str  # without parameters ("application/vnd.ollama.image.model")
    digest: str  # "sha256:<hex>", lower case
    size: int
    path: Path  # blobs/sha256-<hex>
    params: dict[str, str] = field(default_factory=dict)  # the media type's "; name=..." parameters
    source: str | None = None  # "from": the model this layer came from, when Ollama recorded it


@dataclass(frozen=True)
class StoreModel:
    """One model in the store. From find() every field is filled and checked; in list_models()
    an entry whose manifest or blobs are broken has `error` set and only name, manifest_path
    and whatever could be read before the failure."""

    name: ModelName
    manifest_path: Path
    model_path: Path | None = None  # the GGUF blob
    digest: str | None = None  # "sha256:<hex>" of the GGUF blob
    size: int = 0  # bytes of the GGUF blob
    template: str | None = None  # Go template text
    system: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)  # the params layer (stop, temperature, ...)
    messages: list[dict] = field(default_factory=list)  # the messages layer
    has_license: bool = False
    has_adapter: bool = False  # built with ADAPTER: the GGUF alone is not the model Ollama runs
    has_projector: bool = False  # a vision model
    config: dict[str, Any] = field(default_factory=dict)  # the config blob
    layers: tuple[Layer, ...] = ()
    error: StoreError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def family(self) -> str | None:
        return self.config.get("model_family") or None

    @property
    def parameter_size(self) -> str | None:
        return self.config.get("model_type") or None

    @property
    def quantization(self) -> str | None:
        return self.config.get("file_type") or None


# -- reading ----------------------------------------------------------------------------


def blob_path(root: Path, digest: str) -> Path:
    match = _DIGEST.match(digest or "")
    if not match:
        raise ValueError(f"not a sha256 digest: {digest!r}")
    return Path(root) / "blobs" / f"sha256-{match.group(1).lower()}"


def find(name: str | ModelName, *, root: Path | None = None) -> StoreModel:
    """The named model, its layers read and its GGUF blob checked (there, the size the
    manifest says, starting with GGUF). StoreError on any failure."""
    wanted = name if isinstance(name, ModelName) else parse_name(name)
    store = _require_root(root)
    path = next((p for p in wanted.manifest_paths(store) if os.path.lexists(p)), None)
    if path is None:  # case-insensitive, as Ollama compares names; the store's spelling wins
        wanted, path = next(((n, p) for n, p in _manifest_files(store) if n == wanted), (wanted, None))
        if path is None:
            raise _unknown(wanted, store)
    return _read(wanted, path, store)


def list_models(*, root: Path | None = None) -> list[StoreModel]:
    """Every model in the store, sorted by name; an entry that cannot be read carries its
    error instead. StoreError(ollama_store_missing) when there is no store."""
    store = _require_root(root)
    models = []
    for name, path in _manifest_files(store):
        try:
            models.append(_read(name, path, store))
        except StoreError as exc:
            models.append(StoreModel(name=name, manifest_path=path, error=exc))
    return sorted(models, key=lambda m: (str(m.name).lower(), m.name.full.lower()))


def verify_digest(model: StoreModel, chunk: int = 1 << 20) -> bool:
    """Whether the GGUF blob's sha256 is its digest (reads the whole file)."""
    if model.model_path is None or model.digest is None:
        raise _error("unreadable_blob", f"{model.name}: no model blob to verify")
    digest = hashlib.sha256()
    try:
        with open(model.model_path, "rb") as f:
            while block := f.read(chunk):
                digest.update(block)
    except OSError as exc:
        raise _error("unreadable_blob", f"{model.name}: cannot read the model blob {model.model_path}: {exc.strerror or exc}") from None
    return "sha256:" + digest.hexdigest() == model.digest


def _manifest_files(store: Path) -> list[tuple[ModelName, Path]]:
    """(name, manifest path) of every model, manifests-v2 first, each name once."""
    seen: dict[ModelName, Path] = {}
    for folder in ("manifests-v2", "manifests"):
        base = store / folder
        if not base.is_dir():
            continue
        for path in sorted(base.glob("*/*/*/*")):
            if path.is_dir():
                continue
            host, namespace, model, tag = path.relative_to(base).parts
            if not (_HOST.match(host) and _NAMESPACE.match(namespace) and _PART.match(model) and _PART.match(tag)):
                continue  # a stray file (.DS_Store, a temp file); Ollama skips these too
            name = ModelName(DEFAULT_HOST if _same_host(host, DEFAULT_HOST) else host, namespace, model, tag)
            seen.setdefault(name, path)
    return list(seen.items())


def _unknown(wanted: ModelName, store: Path) -> StoreError:
    names = [n for n, _ in _manifest_files(store)]
    if not names:
        return _error("unknown_ollama_model",
                      f"no model '{wanted}' in the Ollama store at {store}: it holds no models yet. "
                      f"Pull one with `ollama pull {wanted}`.")
    names.sort(key=lambda n: (n.name.lower() != wanted.name.lower(), str(n).lower()))  # same model, other tags first
    shown = ", ".join(str(n) for n in names[:_NAMES_SHOWN])
    more = f" and {len(names) - _NAMES_SHOWN} more" if len(names) > _NAMES_SHOWN else ""
    return _error("unknown_ollama_model",
                  f"no model '{wanted}' in the Ollama store at {store} (it has {shown}{more}). "
                  f"Pick one of those, or pull it with `ollama pull {wanted}`.")


def _read(name: ModelName, manifest_path: Path, store: Path) -> StoreModel:
    manifest = _select_runnable(_load_json(manifest_path, name, "manifest"), name, manifest_path, store)
    layers = tuple(_layer(item, name, manifest_path, store) for item in _as_list(manifest.get("layers"), name, manifest_path))
    raw_config = manifest.get("config") or {}
    if not isinstance(raw_config, dict):
        raise _bad_manifest(name, manifest_path, "its config is not an object")
    config = _json_blob(_layer(raw_config, name, manifest_path, store), name, "config", dict) if raw_config.get("digest") else {}
    models = [layer for layer in layers if layer.media_type == MEDIA_MODEL]
    if not models:
        kinds = ", ".join(sorted({layer.media_type for layer in layers})) or "none"
        raise _error("unreadable_blob", f"{name}: its manifest {manifest_path} has no GGUF model layer ({MEDIA_MODEL}); "
                                        f"its layers are: {kinds}")
    if len(models) > 1:
        raise _error("unreadable_blob", f"{name}: the model is split over {len(models)} GGUF files; "
                                        "only single-file models can be read")
    model = models[0]
    _check_gguf_blob(model, name)

    fields: dict[str, Any] = {"parameters": {}, "messages": []}
    for layer in layers:
        kind = layer.media_type
        if kind in (MEDIA_TEMPLATE, MEDIA_PROMPT) and "name" not in layer.params:
            fields["template"] = _read_text(layer, name, "template")
        elif kind == MEDIA_SYSTEM:
            fields["system"] = _read_text(layer, name, "system prompt")
        elif kind == MEDIA_PARAMS:
            fields["parameters"] = _json_blob(layer, name, "parameters", dict)
        elif kind == MEDIA_MESSAGES:
            fields["messages"] = _json_blob(layer, name, "messages", list)
    return StoreModel(
        name=name, manifest_path=manifest_path, model_path=model.path, digest=model.digest, size=model.size,
        has_license=any(layer.media_type == MEDIA_LICENSE for layer in layers),
        has_adapter=any(layer.media_type == MEDIA_ADAPTER for layer in layers),
        has_projector=any(layer.media_type == MEDIA_PROJECTOR for layer in layers),
        config=config, layers=layers, **fields,
    )


def _select_runnable(manifest: Any, name: ModelName, path: Path, store: Path) -> dict:
    """A plain manifest as it is; of a manifest list, the GGUF child (Ollama's runner order)."""
    if not isinstance(manifest, dict):
        raise _bad_manifest(name, path, "it is not a JSON object")
    if manifest.get("mediaType") != MEDIA_MANIFEST_LIST:
        return manifest
    children = [c for c in _as_list(manifest.get("manifests"), name, path) if isinstance(c, dict)
                and c.get("mediaType") in (None, "", MEDIA_MANIFEST)]
    runners = ("ollama", "llamacpp", "mlx")
    children.sort(key=lambda c: (str(c.get("format", "")).lower() != "gguf",
                                 runners.index(c["runner"].lower()) if str(c.get("runner", "")).lower() in runners else 9))
    for child in children:
        if not child.get("layers") and not child.get("config") and child.get("digest"):
            try:
                resolved = _load_json(blob_path(store, child["digest"]), name, "manifest blob", blob=True)
            except ValueError:
                raise _bad_manifest(name, path, f"a child manifest has a malformed digest {child['digest']!r}") from None
            if isinstance(resolved, dict):
                child = resolved
        if any(isinstance(layer, dict) and _base_type(layer.get("mediaType")) == MEDIA_MODEL for layer in child.get("layers") or []):
            return child
    raise _error("unreadable_blob", f"{name}: its manifest list {path} has no manifest with a GGUF model layer")


def _layer(item: Any, name: ModelName, manifest_path: Path, store: Path) -> Layer:
    if not isinstance(item, dict):
        raise _bad_manifest(name, manifest_path, "a layer is not an object")
    digest = str(item.get("digest", ""))
    try:
        path = blob_path(store, digest)
    except ValueError:
        raise _bad_manifest(name, manifest_path, f"a layer has a malformed digest {digest!r}") from None
    size = item.get("size", 0)
    if not isinstance(size, int) or size < 0:
        raise _bad_manifest(name, manifest_path, f"the layer {digest} has a malformed size {size!r}")
    media = str(item.get("mediaType", ""))
    params = {}
    for piece in media.split(";")[1:]:
        key, _, value = piece.partition("=")
        params[key.strip()] = value.strip()
    return Layer(_base_type(media), "sha256:" + path.name.removeprefix("sha256-"), size, path, params, item.get("from"))


def _base_type(media: Any) -> str:
    return str(media or "").split(";")[0].strip()


def _check_gguf_blob(layer: Layer, name: ModelName) -> None:
    try:
        actual = layer.path.stat().st_size
        with open(layer.path, "rb") as f:
            magic = f.read(4)
    except FileNotFoundError:
        raise _error("unreadable_blob", f"{name}: the model blob {layer.path} is missing (an interrupted pull or a "
                                        f"pruned store? `ollama pull {name}` fetches it again)") from None
    except OSError as exc:
        raise _error("unreadable_blob", f"{name}: cannot read the model blob {layer.path}: {exc.strerror or exc}") from None
    if actual != layer.size:
        raise _error("unreadable_blob", f"{name}: the model blob {layer.path} is {actual} bytes, its manifest says "
                                        f"{layer.size} (an interrupted pull? `ollama pull {name}` fetches it again)")
    if magic != GGUF_MAGIC:
        raise _error("unreadable_blob", f"{name}: the model blob {layer.path} is not a GGUF file "
                                        f"(it starts with {magic!r}, not {GGUF_MAGIC!r})")


def _read_text(layer: Layer, name: ModelName, what: str) -> str:
    try:
        return layer.path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _error("unreadable_blob", f"{name}: its {what} blob {layer.path} is missing") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _error("unreadable_blob", f"{name}: cannot read its {what} blob {layer.path}: {exc}") from None


def _json_blob(layer: Layer, name: ModelName, what: str, kind: type) -> Any:
    value = _load_json(layer.path, name, f"{what} blob", blob=True)
    if not isinstance(value, kind):
        raise _error("unreadable_blob", f"{name}: the {what} blob {layer.path} is not a JSON {'object' if kind is dict else 'list'}")
    return value


def _load_json(path: Path, name: ModelName, what: str, blob: bool = False) -> Any:
    code = "unreadable_blob" if blob else "invalid_ollama_manifest"
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _error(code, f"{name}: its {what} {path} is missing") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _error(code, f"{name}: its {what} {path} cannot be read as JSON ({exc})") from None


def _as_list(value: Any, name: ModelName, path: Path) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _bad_manifest(name, path, "its layers are not a list")
    return value


def _bad_manifest(name: ModelName, path: Path, why: str) -> StoreError:
    return _error("invalid_ollama_manifest", f"{name}: its manifest {path} is broken: {why}")
