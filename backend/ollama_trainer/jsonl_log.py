"""Append-only JSON-lines logs (training and flow history).

Appends are one write of one whole line, flushed and fsynced, under a thread lock and an
exclusive file lock, so two writers never interleave. A half-written last line (a crash
mid-append) is skipped when reading, and the next append starts on a fresh line so it is never
glued to the fragment. An append that fails part-way (disk full) is cut back off, so the file
ends where it did and the error reaches the caller. Nothing is ever rewritten in place. Reading the newest N records reads
the file backwards in blocks, not the whole file.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from pathlib import Path
from typing import Generic, Iterator, TypeVar

from pydantic import BaseModel, ValidationError

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)
_BLOCK = 64 * 1024


def _cut_back(fd: int, size: int) -> None:
    """Undo a failed append (ENOSPC, EIO): drop whatever part of the line reached the file."""
    try:
        os.ftruncate(fd, size)
    except OSError as exc:
        log.warning("could not cut back a failed append: %s", exc)


class JsonlLog(Generic[M]):
    def __init__(self, path: Path, model: type[M]):
        self.path = path
        self.model = model
        self._lock = threading.Lock()

    def append(self, record: M) -> None:
        line = record.model_dump_json().encode("utf-8") + b"\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    line = b"\n" + line  # never continue a half-written line
                try:
                    written = 0
                    while written < len(line):
                        written += os.write(fd, line[written:])
                    os.fsync(fd)
                except OSError:
                    _cut_back(fd, size)
                    raise
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)

    def _parse(self, raw: bytes, where: str) -> M | None:
        raw = raw.strip()
        if not raw:
            return None
        try:
            return self.model.model_validate_json(raw)
        except ValidationError as exc:
            log.warning("%s: skipping a broken record (%s)", where, str(exc).splitlines()[0])
            return None

    def _lines_backwards(self) -> Iterator[bytes]:
        try:
            f = open(self.path, "rb")
        except FileNotFoundError:
            return
        with f:
            pos = f.seek(0, os.SEEK_END)
            rest = b""
            while pos > 0:
                step = min(_BLOCK, pos)
                pos -= step
                f.seek(pos)
                chunk = f.read(step) + rest
                lines = chunk.split(b"\n")
                rest = lines.pop(0)
                yield from reversed(lines)
            yield rest

    def newest(self, limit: int, key=None) -> list[M]:
        """The newest `limit` readable records, newest first. With `key`, a record whose key
        was already seen (an older version of an updated record) is left out."""
        out: list[M] = []
        seen: set = set()
        for raw in self._lines_backwards():
            if len(out) >= limit:
                break
            record = self._parse(raw, str(self.path))
            if record is None:
                continue
            if key is not None:
                k = key(record)
                if k in seen:
                    continue
                seen.add(k)
            out.append(record)
        return out

    def all(self) -> Iterator[M]:
        """Every readable record, oldest first (streams the file)."""
        try:
            f = open(self.path, "rb")
        except FileNotFoundError:
            return
        with f:
            for number, raw in enumerate(f, 1):
                record = self._parse(raw, f"{self.path}:{number}")
                if record is not None:
                    yield record

    def find_newest(self, predicate) -> M | None:
        for raw in self._lines_backwards():
            record = self._parse(raw, str(self.path))
            if record is not None and predicate(record):
                return record
        return None
