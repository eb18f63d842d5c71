"""One training job per data folder, across every process (the window, browser mode, the CLI,
flows): `<data>/training.lock`, an exclusive flock taken before a worker starts and handed
to it, so it is held as long as the worker lives, even past the app that started it. The
file names the job that holds it. A second start either is refused (`job_running`, naming the
job) or waits in line: `<data>/queue/<time>-<training_id>.json` tickets, served in order;
a ticket whose process is gone no longer counts.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from ollama_trainer import file_lock, paths
from ollama_trainer.timestamps import now_iso

LOCK_FILE = "training.lock"


@dataclass(frozen=True)
class Holder:
    training_id: str
    pid: int
    started_at: str
    origin: str  # "window", "browser", "cli", "flow" ...


def _lock_path() -> Path:
    return paths.data_dir() / LOCK_FILE


def try_acquire(training_id: str, origin: str) -> int | None:
    """The slot's fd (its lock held) or None when another job holds it."""
    try:
        fd = file_lock.take(_lock_path())
    except BlockingIOError:
        return None
    record = json.dumps({"training_id": training_id, "pid": os.getpid(), "started_at": now_iso(), "origin": origin})
    os.ftruncate(fd, 0)
    os.pwrite(fd, record.encode(), 0)
    return fd


def release(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)


def holder() -> Holder | None:
    """Who holds the slot now; None when it is free."""
    path = _lock_path()
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            pass  # held: read who holds it
        else:
            return None  # nobody holds it (the file names the last job)
        raw = os.pread(fd, 4096, 0)
    finally:
        os.close(fd)
    try:
        data = json.loads(raw)
        return Holder(str(data["training_id"]), int(data["pid"]), str(data["started_at"]), str(data.get("origin", "")))
    except (ValueError, KeyError, TypeError):
        return Holder("unknown", 0, "", "")


# -- the queue ----------------------------------------------------------------------------------
def _queue_dir() -> Path:
    return paths.sub("queue")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Ticket:
    """A place in line for `training_id`, held by this process."""

    def __init__(self, training_id: str):
        self.training_id = training_id
        self.path = _queue_dir() / f"{time.time_ns():020d}-{training_id}.json"
        self.path.write_text(json.dumps({"training_id": training_id, "pid": os.getpid()}), encoding="utf-8")

    def position(self) -> int:
        """1 for the first in line."""
        names = [tid for tid, _ in line()]
        return names.index(self.training_id) + 1 if self.training_id in names else 1

    def drop(self) -> None:
        self.path.unlink(missing_ok=True)


def line() -> list[tuple[str, int]]:
    """(training_id, pid) of every waiting job, first in line first; stale tickets removed."""
    out = []
    for ticket in sorted(_queue_dir().glob("*.json")):
        try:
            data = json.loads(ticket.read_text(encoding="utf-8"))
            tid, pid = str(data["training_id"]), int(data["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            ticket.unlink(missing_ok=True)
            continue
        if not _alive(pid):
            ticket.unlink(missing_ok=True)
            continue
        out.append((tid, pid))
    return out
