"""Replace a file whole or not at all: write a temporary file beside it, flush and fsync it,
then rename it over the target. A crash or a full disk leaves the old file intact (and at
worst a stray temporary file, never a half-written target)."""

from __future__ import annotations

import os
import threading
from pathlib import Path


def write_text(path: str | Path, text: str) -> Path:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
