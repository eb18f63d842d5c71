"""The one way a test waits for something it cannot be told about directly: poll a predicate
until it holds. Every polling test uses this helper and its one timeout, so a slow machine
only ever needs this constant raised, never a test's own number. A test that can wait on an
event, a pipe or a process (Event.wait, readline, Popen.wait) does that instead."""

from __future__ import annotations

import time
from typing import Callable, TypeVar

T = TypeVar("T")

# Generous on purpose: some waits span a whole tiny training run on a busy 2-core machine (the
# longest any test allowed before was 300 s), and a wait that succeeds returns as soon as its
# condition holds, so only a test that is failing anyway pays for the length.
DEFAULT_TIMEOUT = 300.0


def wait_until(predicate: Callable[[], T], *, timeout: float = DEFAULT_TIMEOUT, interval: float = 0.05,
               what: str = "the condition") -> T:
    """Call `predicate` until it returns something truthy and return that. On timeout, raise
    AssertionError naming `what` and the last value the predicate returned."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}; last value {value!r}")
        time.sleep(interval)
