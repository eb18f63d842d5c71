"""The worker's metric logger: one JSON object per line, to stdout and to the run's events.jsonl.

The training loop only calls `log.emit(protocol.Progress(...))`; where the lines go is this module's
business. Every line is flushed (and the file fsynced) at once, so a worker killed at any
moment leaves a file whose complete lines are all valid JSON. A line that cannot be written
(disk full, read-only folder) is cut back off the file, the file is given up, and the OSError
goes to the caller: the run stops with a clear error instead of training on with a log it
cannot keep. (Reading events back is events.py, on the app side.)
"""

from __future__ import annotations

import json
import math
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel


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
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644) if path is not None else None

    def emit(self, event: BaseModel) -> dict:
        """Write one typed event (protocol.py), stamped with the time."""
        fields = event.model_dump(mode="json", exclude={"time"})
        record = {"event": fields.pop("event"), "time": utc_now(), **_clean(fields)}
        line = json.dumps(record, ensure_ascii=False) + "\n"
        if self._fd is not None:
            self._append(line.encode("utf-8"))
        try:
            self.stream.write(line)
            self.stream.flush()
        except (BrokenPipeError, ValueError):
            pass  # nobody is reading stdout any more; the file still has it
        return record

    def _append(self, data: bytes) -> None:
        fd = self._fd
        size = os.fstat(fd).st_size
        try:
            written = 0
            while written < len(data):
                written += os.write(fd, data[written:])
        except OSError as exc:
            try:
                os.ftruncate(fd, size)  # no torn line left behind
            except OSError:
                pass
            self.close()  # later events (the error itself) still reach stdout
            if exc.filename is None:
                exc.filename = str(self.path)
            raise
        try:
            os.fsync(fd)
        except OSError:
            pass

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
