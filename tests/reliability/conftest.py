"""Reliability fixtures: the tiny model in the catalog, a worker `python` that injects faults,
and ways to see what a test left behind (processes, threads, file handles) without psutil."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest

from ollama_trainer import catalog
from ollama_trainer.contracts import DatasetEntry
from tests.integration.conftest import profile, write_chat_dataset  # noqa: F401
from tests.waiting import wait_until  # noqa: F401 - re-exported: the reliability tests import it from here

HERE = Path(__file__).resolve().parent
STALL_NEVER_S = 900  # longer than any wait in these tests
STALL_HUNG_S = 6  # for a trainer that goes silent for good: caught in seconds at any CPU speed


@pytest.fixture()
def tiny_catalog(tiny_model, data_home, tmp_path):  # noqa: F811
    """(profile, dataset entry): the tiny model as profile "tiny", 24 chat rows as "colours".
    Its stall timeout is far above any test's wait, so a busy machine's slow step never reads
    as a hung trainer; the hung-trainer test sets a short one for its own run."""
    data_home.mkdir(parents=True, exist_ok=True)
    (data_home / "profiles.json").write_text(json.dumps({"profiles": [
        profile(tiny_model, id="tiny", default_epochs=2, stall_timeout_s=STALL_NEVER_S)]}))
    dataset = write_chat_dataset(tmp_path / "colours.jsonl", repeat=2)
    catalog.register_user_dataset(DatasetEntry(id="colours", name="Colours", path=str(dataset)))
    return catalog.get_profile("tiny"), catalog.get_dataset_entry("colours")


@pytest.fixture()
def faulty_python(tmp_path, monkeypatch):
    """A `python` for TrainingManager(python=...) that runs the worker under inject.py; the
    faults come from OT_FAULTS, set by the returned function."""
    script = tmp_path / "faulty-python"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{HERE / "inject.py"}" "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)

    def with_faults(spec: str) -> str:
        monkeypatch.setenv("OT_FAULTS", spec)
        return str(script)

    return with_faults


def alive(pid: int) -> bool:
    """A process that exists and is not a zombie (read from /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def child_pids(pid: int | None = None) -> set[int]:
    """Live processes whose parent is `pid` (this process by default)."""
    parent = os.getpid() if pid is None else pid
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent and fields[0] != "Z":
            found.add(int(entry))
    return found


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0
