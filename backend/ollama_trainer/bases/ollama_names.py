"""Ollama model names, parsed and compared as Ollama does (types/model/name.go):
`[host/][namespace/]model[:tag]`, defaults `registry.ollama.ai`, `library`, `latest`; see
store.py's docstring for the rules read from Ollama's source."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ollama_trainer.errors import DomainError

DEFAULT_HOST = "registry.ollama.ai"
V2_HOST = "ollama.com"  # how manifests-v2/ spells the public host
DEFAULT_NAMESPACE = "library"
DEFAULT_TAG = "latest"

_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_NAMESPACE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")
_HOST = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:-]*$")
_RULES = {  # part -> (pattern, longest, what it may hold), as types/model/name.go has them
    "model name": (_PART, 80, "letters, digits, '_', '-' and '.'"), "tag": (_PART, 80, "letters, digits, '_', '-' and '.'"),
    "namespace": (_NAMESPACE, 80, "letters, digits, '_' and '-'"), "host": (_HOST, 350, "letters, digits, '_', '-', '.' and ':'"),
}
_KINDS = ("skill", "agent", "mcp")
_EXAMPLES = "gemma3, gemma3:270m, library/gemma3:270m or registry.ollama.ai/library/gemma3:270m"


class StoreError(DomainError):
    """Codes: invalid_ollama_name, ollama_store_missing, unknown_ollama_model,
    invalid_ollama_manifest, unreadable_blob."""

    code = "ollama_store_error"


def _error(code: str, message: str) -> StoreError:
    return StoreError(message, code=code)


@dataclass(frozen=True, eq=False)
class ModelName:
    """One model's name with every part filled in. Equal (and hashed) case-insensitively, with
    registry.ollama.ai and ollama.com as one host, as Ollama compares names."""

    registry: str
    namespace: str
    name: str
    tag: str

    def __str__(self) -> str:  # what `ollama list` shows
        if not _same_host(self.registry, DEFAULT_HOST):
            return f"{self.registry}/{self.namespace}/{self.name}:{self.tag}"
        if self.namespace.lower() != DEFAULT_NAMESPACE:
            return f"{self.namespace}/{self.name}:{self.tag}"
        return f"{self.name}:{self.tag}"

    @property
    def full(self) -> str:
        return f"{self.registry}/{self.namespace}/{self.name}:{self.tag}"

    @property
    def key(self) -> tuple[str, str, str, str]:
        host = DEFAULT_HOST if _same_host(self.registry, DEFAULT_HOST) else self.registry.lower()
        return host, self.namespace.lower(), self.name.lower(), self.tag.lower()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ModelName) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def manifest_paths(self, root: Path) -> list[Path]:
        """Where Ollama looks for this name's manifest, in its order."""
        rest = (self.namespace, self.name, self.tag)
        if _same_host(self.registry, DEFAULT_HOST):
            return [root.joinpath("manifests-v2", V2_HOST, *rest), root.joinpath("manifests", self.registry, *rest),
                    root.joinpath("manifests", V2_HOST if self.registry.lower() == DEFAULT_HOST else DEFAULT_HOST, *rest)]
        return [root.joinpath("manifests-v2", self.registry, *rest), root.joinpath("manifests", self.registry, *rest)]


def _same_host(a: str, b: str) -> bool:
    public = (DEFAULT_HOST, V2_HOST)
    return a.lower() == b.lower() or (a.lower() in public and b.lower() in public)


def parse_name(text: str) -> ModelName:
    """`NAME[:TAG]`, `NAMESPACE/NAME[:TAG]` or `HOST/NAMESPACE/NAME[:TAG]`, defaults filled in;
    StoreError(invalid_ollama_name) saying which part is wrong."""
    raw = text
    text = (text or "").strip()
    if "://" in text:  # a scheme before the host, as Ollama allows
        text = text.split("://", 1)[1]
    if not text:
        raise _invalid(raw, "it is empty")
    tag = ""
    if text.rfind(":") > text.rfind("/"):
        text, _, tag = text.rpartition(":")
        if not tag:
            raise _invalid(raw, "nothing follows the ':' (the tag)")
    parts = text.split("/")
    if len(parts) in (3, 4) and parts[-2] in _KINDS:  # [host/]namespace/kind/name (Ollama's newer names)
        raise _invalid(raw, f"it names an Ollama {parts[-2]}, not a model")
    if len(parts) > 3:
        raise _invalid(raw, "it has more than three parts separated by '/'")
    host, namespace = "", ""
    if len(parts) == 3:
        host, namespace, model = parts
    elif len(parts) == 2:
        namespace, model = parts
    else:
        (model,) = parts
    given = [("model name", model), ("tag", tag), ("namespace", namespace), ("host", host)][:2 + max(0, len(parts) - 1)]
    for label, value in given:
        pattern, limit, allowed = _RULES[label]
        if not value and label != "tag":
            raise _invalid(raw, f"the {label} is empty")
        if len(value) > limit:
            raise _invalid(raw, f"the {label} is longer than {limit} characters")
        if value and not pattern.match(value):
            raise _invalid(raw, f"the {label} '{value}' may hold only {allowed}, and must start with a letter, digit or '_'")
    return ModelName(host or DEFAULT_HOST, namespace or DEFAULT_NAMESPACE, model, tag or DEFAULT_TAG)


def _invalid(text: str, why: str) -> StoreError:
    return _error("invalid_ollama_name", f"'{text}' is not an Ollama model name: {why}. Names look like {_EXAMPLES}.")
