"""The one place that starts the worker process (`python -m ollama_trainer.training.worker`)
and reads what it says: a training run (a long-lived process whose stdout carries events,
protocol.py) and the one-shot calls (ask, merge, probe: one JSON reply line each).

A training worker is forked from one long-lived thread with PR_SET_PDEATHSIG = SIGUSR1: Linux
signals the worker when the thread that forked it ends, so forking from a short-lived request
thread would signal it at once. SIGUSR1 tells the worker its app is gone: it stops at the next
step with a checkpoint (the run reads `interrupted`), unless the user chose to keep it running
(run_folder.KEEP_RUNNING).
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from ollama_trainer.errors import DomainError

WORKER_MODULE = "ollama_trainer.training.worker"
APP_GONE_SIGNAL = signal.SIGUSR1
R = TypeVar("R", bound=BaseModel)

_SPAWNER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="worker-spawner")


def argv(python: str, verb: str, **options: object) -> list[str]:
    """`python -m ollama_trainer.training.worker VERB --opt value ...` (None options left out)."""
    cmd = [python, "-m", WORKER_MODULE, verb]
    for name, value in options.items():
        if value is not None:
            cmd += [f"--{name.replace('_', '-')}", str(value)]
    return cmd


def _signal_when_app_dies() -> None:  # in the child before exec (Linux)
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, APP_GONE_SIGNAL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def spawn_training(run_dir: Path, log_path: Path, *, python: str = sys.executable,
                   keep_fds: tuple[int, ...] = ()) -> subprocess.Popen:
    """The training worker for `run_dir`; its stdout is the event stream. `keep_fds` (the
    locks) stay open in the worker, so they are held as long as it lives."""
    stderr = open(log_path, "ab")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    try:
        return _SPAWNER.submit(
            subprocess.Popen, argv(python, "train", run_dir=run_dir),
            stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL, env=env, pass_fds=keep_fds,
            preexec_fn=_signal_when_app_dies if sys.platform.startswith("linux") else None,
        ).result()
    finally:
        stderr.close()


def spawn_server(*, python: str = sys.executable, **options: object) -> subprocess.Popen:
    """A `worker serve` process: JSON-line questions on stdin, answers on stdout."""
    return _SPAWNER.submit(
        subprocess.Popen, argv(python, "serve", **options), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True, bufsize=1,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "TRANSFORMERS_VERBOSITY": "error"},
        preexec_fn=_die_with_app if sys.platform.startswith("linux") else None,
    ).result()


def _die_with_app() -> None:  # a serve process has nothing to save: it just ends with the app
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class WorkerCallFailed(DomainError):
    code = "internal_error"


def call(verb: str, reply: type[R], *, python: str = sys.executable, timeout: float = 300,
         code: str = "internal_error", **options: object) -> R:
    """Run a one-shot worker command and return its reply; a reply with `error` (or none at
    all) raises WorkerCallFailed with `code` and the worker's words."""
    try:
        proc = subprocess.run(argv(python, verb, **options), capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "TRANSFORMERS_VERBOSITY": "error"})
    except subprocess.TimeoutExpired:
        raise WorkerCallFailed(f"the worker did not answer '{verb}' within {timeout:.0f} s", code=code) from None
    parsed = None
    for line in reversed(proc.stdout.strip().splitlines()):
        try:
            parsed = reply.model_validate(json.loads(line))
            break
        except (ValueError, ValidationError):
            continue
    if parsed is None:
        tail = proc.stderr.strip()[-400:] or f"exit code {proc.returncode}"
        raise WorkerCallFailed(f"the worker gave no answer to '{verb}': {tail}", code=code)
    if getattr(parsed, "error", None):
        raise WorkerCallFailed(parsed.error, code=code)
    return parsed
