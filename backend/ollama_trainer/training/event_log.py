"""The worker's metric logger: one JSON object per line, to stdout and to the run's events.jsonl.

The training loop only calls `log.emit(name, **fields)`; where the lines go is this module's
business. Every line is flushed (and the file fsynced) at once, so a worker killed at any
moment leaves a file whose complete lines are all valid JSON. (Reading events back is
events.py, on the app side.)
"""

from __future__ import annotations

import json
import math
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _clean(value: Any) -> Any:
    """JSON has no NaN or infinity: those become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


class EventLog:
    def __init__(self, path: Path | None, stream: IO[str] | None = None):
        self.path = path
        self.stream = stream if stream is not None else sys.stdout
        self._file = open(path, "a", encoding="utf-8") if path is not None else None

    def emit(self, event: str, **fields: Any) -> dict:
        record = {"event": event, "time": utc_now(), **_clean(fields)}
        line = json.dumps(record, ensure_ascii=False) + "\n"
        if self._file is not None:
            self._file.write(line)
            self._file.flush()
            try:
                os.fsync(self._file.fileno())
            except OSError:
                pass
        try:
            self.stream.write(line)
            self.stream.flush()
        except (BrokenPipeError, ValueError):
            pass  # nobody is reading stdout any more; the file still has it
        return record

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
