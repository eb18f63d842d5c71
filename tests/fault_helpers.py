"""Faults a test injects in-process."""

from __future__ import annotations

import errno


def full_disk_on_call(monkeypatch, module, name: str, n: int):
    """module.name (a generator function) raises ENOSPC on its n-th call, as a full disk would;
    returns the real one, for a test that lets the disk recover."""
    real = getattr(module, name)
    calls = {"n": 0}

    def failing(*args):
        calls["n"] += 1
        if calls["n"] == n:
            raise OSError(errno.ENOSPC, "No space left on device")
        yield from real(*args)

    monkeypatch.setattr(module, name, failing)
    return real
