"""What the Ollama stand-in holds (its blobs on disk, its models, the requests it saw) and the
protocol's constants."""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
MODEL_NAME = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9._-]*/)?[A-Za-z0-9][A-Za-z0-9._-]{0,79}(?::[A-Za-z0-9][A-Za-z0-9._-]{0,79})?$")
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]", "0.0.0.0"}
BASE_MODEL = "smollm2:135m"
CURRENT_VERSION = "0.35.0"
NO_ADAPTERS_SINCE = (0, 34, 1)
DEBUG_RENDER_SINCE = (0, 12, 0)
ADAPTERS_REFUSED = "LoRA adapters are deprecated; the adapter layer is carried over but new adapters cannot be created"
ADAPTERS_GONE_SINCE = (0, 35, 0)
ADAPTERS_GONE = "LoRA adapters are no longer supported"
NO_GGUF_QUANTIZE_SINCE = (0, 35, 0)  # server/create.go validateCreateOptions
GGUF_QUANTIZE_REFUSED = ("create-time quantization is only supported for safetensors imports; quantize GGUF models "
                         "with llama.cpp tools before importing")
# config.json architectures Ollama's safetensors converter handles (convert/convert.go)
CONVERTIBLE = {"LlamaForCausalLM", "MistralForCausalLM", "GemmaForCausalLM", "Gemma2ForCausalLM",
               "Gemma3ForCausalLM", "Gemma3ForConditionalGeneration", "Qwen2ForCausalLM", "Qwen3ForCausalLM",
               "Phi3ForCausalLM", "MixtralForCausalLM"}
QUANTIZE_TYPES = {"q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q3_k_s", "q3_k_m", "q3_k_l", "q4_k_s", "q4_k_m", "q5_k_s",
                  "q5_k_m", "q6_k"}


def _version_tuple(text: str) -> tuple[int, int, int]:
    parts = (text.strip().lstrip("v").split("-")[0].split(".") + ["0", "0"])[:3]
    return tuple(int(p) for p in parts)  # type: ignore[return-value]


class BlobStore:
    """Blobs as files in a folder of their own (like ~/.ollama/models/blobs), by digest."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="ollama-standin-blobs-"))

    def path(self, digest: str) -> Path:
        return self.root / digest.replace(":", "-")

    def __contains__(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def __getitem__(self, digest: str) -> bytes:
        return self.path(digest).read_bytes()

    def __setitem__(self, digest: str, data: bytes) -> None:
        self.path(digest).write_bytes(data)

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _canonical(name: str) -> str:
    """'smollm2' -> 'smollm2:latest'; names compare case-insensitively."""
    name = name.strip().lower()
    return name if ":" in name.rsplit("/", 1)[-1] else name + ":latest"


@dataclass
class Recorded:
    method: str
    path: str
    json: object = None
    body_size: int = 0
    host: str = ""


@dataclass
class StandinModel:
    name: str
    parent: str = ""
    template: str = ""
    system: str = ""
    parameters: dict = field(default_factory=dict)
    adapters: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)
    digest: str = ""
    modified_at: str = field(default_factory=_now)
    gguf: Path | None = None  # the model's GGUF blob, when it was created from one
    architecture: str = "llama"
    parameter_size: str = "134.52M"
    quantization: str = "F16"
