"""A safetensors model folder as one F16 GGUF, by llama.cpp's own converter, so the trained
model of a folder base runs on every Ollama (a safetensors import goes only to Ollama's MLX
engine from 0.35: Apple Silicon, or NVIDIA on Linux) and can be quantized here like any GGUF.

    convert(Path("runs/X/merged"), Path("runs/X/model.gguf"))  -> Converted(path, bytes, seconds)

The converter is `convert_hf_to_gguf.py` with its `conversion/` package and its own gguf-py,
from the llama.cpp source that node-llama-cpp ships as a git bundle (`make setup` checks those
files out into llamacpp/convert; OLLAMA_TRAINER_LLAMA_CONVERT names another checkout): the very
tool llama.cpp and Ollama users convert with, so the file carries upstream metadata. It streams
(lazy tensors: one at a time in memory) and runs in a child process (`python -m
ollama_trainer.weights.hf_to_gguf FOLDER OUT`), which imports torch, never the app; a worker
that has torch imported already runs it in its own process (`convert_here`), which saves the
child's seconds of imports at the end of every run on a folder base.

A folder the converter cannot write (an architecture or a BPE pre-tokenizer llama.cpp does not
know) fails with the converter's own reason; the merged folder stays for Ollama's MLX engine.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ollama_trainer import paths

CONVERT_ENV = "OLLAMA_TRAINER_LLAMA_CONVERT"
SCRIPT = "convert_hf_to_gguf.py"
TIMEOUT_S = 6 * 3600
TENSOR_LINE = re.compile(r"--> \w+, shape = ")  # the converter logs each tensor it takes


class ConvertError(Exception):
    """The folder could not be written as a GGUF; the message says why."""


@dataclass(frozen=True)
class Converted:
    path: Path
    bytes: int
    seconds: float


def converter_dir() -> Path | None:
    """The llama.cpp checkout holding convert_hf_to_gguf.py, or None when it is not installed."""
    override = os.environ.get(CONVERT_ENV)
    folder = Path(override) if override else paths.REPO_ROOT / "llamacpp" / "convert"
    return folder if (folder / SCRIPT).is_file() and (folder / "gguf-py").is_dir() else None


def available() -> bool:
    return converter_dir() is not None


def convert(folder: Path, out: Path, *, python: str = sys.executable,
            on_tensor: Callable[[int], None] | None = None) -> Converted:
    """Write `folder` (config.json, *.safetensors, tokenizer files) as an F16 GGUF at `out`,
    atomically: a failure leaves no file at `out`. on_tensor(tensors the converter has taken
    so far), from its own log lines."""
    src = _installed()
    folder, out = Path(folder), Path(out)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    command = [python, "-m", "ollama_trainer.weights.hf_to_gguf", str(folder), str(tmp)]
    env = {**os.environ, CONVERT_ENV: str(src), "NO_LOCAL_GGUF": "1", "PYTHONUNBUFFERED": "1"}
    t0 = time.monotonic()
    try:
        code, output = _run(command, env, on_tensor)
        if code is None:
            raise ConvertError(f"llama.cpp's converter did not finish {folder} within {TIMEOUT_S // 3600} h")
        if code != 0:
            raise ConvertError(f"llama.cpp's converter could not write {folder} as a GGUF: {_reason(output)}")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return Converted(out, out.stat().st_size, round(time.monotonic() - t0, 3))


def convert_here(folder: Path, out: Path, *, on_tensor: Callable[[int], None] | None = None) -> Converted:
    """convert() in this process: for a worker process, which has torch imported already (the
    converter imports it). The converter's log is kept, not printed, and counted to on_tensor as
    convert() counts its child's; its stdout goes to stderr (a worker's stdout is its events).
    Where another copy of the gguf package is loaded here already, the converter's own cannot be
    imported beside it: convert() runs it in a child then."""
    src = _installed()
    loaded = sys.modules.get("gguf")
    if loaded is not None and not str(getattr(loaded, "__file__", "")).startswith(str(src)):
        return convert(folder, out, on_tensor=on_tensor)
    folder, out = Path(folder), Path(out)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    log = _Log(on_tensor)
    root, argv = logging.getLogger(), sys.argv
    level = root.level
    root.addHandler(log)  # a root logger with a handler makes the converter's basicConfig a no-op
    root.setLevel(logging.INFO)
    t0 = time.monotonic()
    try:
        converter = _converter(src)
        sys.argv = [SCRIPT, str(folder), "--outfile", str(tmp), "--outtype", "f16"]
        with contextlib.redirect_stdout(sys.stderr):
            converter.main()
        os.replace(tmp, out)
    except (Exception, SystemExit) as exc:  # the converter says "not supported" with sys.exit(1)
        if not isinstance(exc, SystemExit):
            log.lines.append(f"{type(exc).__name__}: {exc}")
        raise ConvertError(f"llama.cpp's converter could not write {folder} as a GGUF: "
                           f"{_reason(''.join(log.lines))}") from exc
    finally:
        sys.argv = argv
        root.removeHandler(log)
        root.setLevel(level)
        tmp.unlink(missing_ok=True)
    return Converted(out, out.stat().st_size, round(time.monotonic() - t0, 3))


class _Log(logging.Handler):
    """The converter's log lines (the last 200), each tensor line counted to on_tensor."""

    def __init__(self, on_tensor):
        super().__init__(logging.INFO)
        self.setFormatter(logging.Formatter(logging.BASIC_FORMAT))
        self.lines, self.tensors, self.on_tensor = deque(maxlen=200), 0, on_tensor

    def emit(self, record: logging.LogRecord) -> None:  # an on_tensor that raises stops the converter
        line = self.format(record)
        self.lines.append(line + "\n")
        if self.on_tensor is not None and TENSOR_LINE.search(line):
            self.tensors += 1
            self.on_tensor(self.tensors)


def _installed() -> Path:
    src = converter_dir()
    if src is None:
        raise ConvertError("llama.cpp's converter is not installed (run `make setup`, which checks it out "
                           "into llamacpp/convert)")
    return src


def _converter(src: Path):
    """llama.cpp's convert_hf_to_gguf module, imported with its own gguf-py before any other."""
    for folder in (str(src), str(src / "gguf-py")):
        if folder not in sys.path:
            sys.path.insert(0, folder)
    import convert_hf_to_gguf  # noqa: PLC0415 - the converter itself, found above

    return convert_hf_to_gguf


def _run(command: list[str], env: dict, on_tensor) -> tuple[int | None, str]:
    """The converter's exit code (None when it ran past TIMEOUT_S and was killed) and its
    output; each tensor line it logs ('blk.0.attn_q.weight, torch.bfloat16 --> F16, shape =
    ...') counted to on_tensor."""
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            errors="replace")
    killed = threading.Event()
    timer = threading.Timer(TIMEOUT_S, lambda: (killed.set(), proc.kill()))
    timer.start()
    lines, tensors = deque(maxlen=200), 0
    try:
        for line in proc.stdout:
            lines.append(line)
            if on_tensor is not None and TENSOR_LINE.search(line):
                tensors += 1
                on_tensor(tensors)
        code = proc.wait()
    finally:
        timer.cancel()
        if proc.poll() is None:  # on_tensor raised, or the worker is stopping: no converter left behind
            proc.kill()
            proc.wait()
    return (None if killed.is_set() else code), "".join(lines)


def _reason(stderr: str) -> str:
    """The converter's last error line (its traceback's message), or its last line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in reversed(lines):
        if "Error:" in line or "Error(" in line:
            return line[:400]
    return lines[-1][:400] if lines else "no message"


def _child(argv: list[str]) -> int:
    """In the child: llama.cpp's converter on FOLDER, written as F16 to OUT. Imports torch
    (through the converter)."""
    if len(argv) != 2:
        print("usage: python -m ollama_trainer.weights.hf_to_gguf FOLDER OUT", file=sys.stderr)
        return 2
    src = converter_dir()
    if src is None:
        print("ConvertError: llama.cpp's converter is not installed", file=sys.stderr)
        return 2
    converter = _converter(src)
    sys.argv = [SCRIPT, argv[0], "--outfile", argv[1], "--outtype", "f16"]
    converter.main()
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
