"""An exclusive lock on a file that lives as long as its file descriptor (flock): a process
that dies lets go of it without clean-up."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


def take(path: str | Path) -> int:
    """Open `path` (created when missing) and lock it without waiting; the fd. OSError
    (BlockingIOError) when another process holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise
    return fd
