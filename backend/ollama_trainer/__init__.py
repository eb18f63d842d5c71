"""Ollama Trainer: fine-tune local models with LoRA and hand them to Ollama."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ollama-trainer")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"
