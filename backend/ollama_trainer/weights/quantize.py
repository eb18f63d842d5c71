"""A model GGUF quantized here, by llama.cpp's own quantizer, before it goes to Ollama (which
from 0.35 refuses to quantize a GGUF import itself: see shared/reference/ollama-api.md).

    quantize(Path("model.gguf"), Path("model-Q4_K_M.gguf"), "q4_K_M")  -> Quantized(path, bytes, seconds)

The quantizer is `llama_model_quantize` in the prebuilt libllama that the npm package
node-llama-cpp installs (`make setup` puts it in llamacpp/node_modules; OLLAMA_TRAINER_LLAMA_LIB
names another folder): no compiler, no download. It runs in a child process
(`python -m ollama_trainer.weights.quantize SRC DST TYPE`), so a crash in native code cannot take
the app down and its log lines stay out of the app's terminal. It reads the F16 model from disk
and keeps at most MAX_BUF_BYTES of rows in memory, whatever the model's size. Q8_0 has a fallback
without llama.cpp: gguf-py's numpy quantizer, streamed tensor by tensor (merge.py with no adapter).

No torch: the app may use it.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ollama_trainer import paths

# what a user chooses -> llama_ftype (llama.h)
FTYPES = {"q8_0": 7, "q4_K_M": 15}
CHOICES = ("f16", "q8_0", "q4_K_M")
MAX_BUF_BYTES = 256 << 20  # rows of tensors held at once (llama.cpp's default is 8 GiB)
TIMEOUT_S = 6 * 3600
LIB_ENV = "OLLAMA_TRAINER_LLAMA_LIB"
# bytes per parameter of each choice, measured on the 1B shape (bench/model_sizes.py): what the
# export card quotes before the file exists
BYTES_PER_PARAM = {"f16": 2.0, "q8_0": 1.07, "q4_K_M": 0.66}


class QuantizeError(Exception):
    """The model could not be quantized; the message says why and what to do."""


@dataclass(frozen=True)
class Quantized:
    path: Path
    bytes: int
    seconds: float
    kind: str


def library_dir() -> Path | None:
    """The folder of the prebuilt libllama (and its libggml), or None when it is not installed."""
    override = os.environ.get(LIB_ENV)
    if override:
        candidates = [Path(override)]
    else:
        root = paths.REPO_ROOT / "llamacpp" / "node_modules" / "@node-llama-cpp"
        candidates = sorted(p for p in root.glob("*/bins/*") if p.is_dir()) if root.is_dir() else []
    for folder in candidates:
        if _lib(folder, "llama") is not None:
            return folder
    return None


def _lib(folder: Path, name: str) -> Path | None:
    found = sorted(folder.glob(f"lib{name}.*so*")) + sorted(folder.glob(f"lib{name}*.dylib"))
    exact = [f for f in found if f.name.startswith(f"lib{name}.")]
    return (exact or found or [None])[0]


def available() -> str | None:
    """None when llama.cpp's quantizer can run here, else why not."""
    if library_dir() is None:
        return ("llama.cpp's quantizer is not installed (run `make setup`, or set OLLAMA_TRAINER_LLAMA_LIB to a "
                "folder holding libllama)")
    return None


def estimate_bytes(parameters: int, kind: str) -> int:
    """About how big the model file of `kind` is."""
    return int(parameters * BYTES_PER_PARAM.get(kind, 2.0))


def quantize(src: Path, dst: Path, kind: str, *, threads: int | None = None) -> Quantized:
    """Write `dst`, the F16 model `src` quantized to `kind` (q8_0 or q4_K_M), atomically."""
    if kind not in FTYPES:
        raise QuantizeError(f"cannot quantize to '{kind}': choose one of {', '.join(FTYPES)}")
    src, dst = Path(src), Path(dst)
    t0 = time.monotonic()
    why = available()
    if why is not None:
        if kind != "q8_0":
            raise QuantizeError(f"{kind} needs {why}; choose F16 or Q8_0")
        from ollama_trainer.weights.merge import MergeError, merge_into_gguf

        try:
            merge_into_gguf(src, None, dst, out_type="q8_0")
        except MergeError as exc:
            raise QuantizeError(f"could not write {dst.name} as Q8_0: {exc}") from exc
    else:
        tmp = dst.with_name(f".{dst.name}.tmp-{os.getpid()}")
        cmd = [sys.executable, "-m", "ollama_trainer.weights.quantize", str(src), str(tmp), kind,
               str(threads or os.cpu_count() or 2)]
        env = {**os.environ, "PYTHONPATH": str(paths.PACKAGE_DIR.parent) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, env=env)
            if done.returncode != 0 or not tmp.is_file():
                tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
                raise QuantizeError(f"llama.cpp could not quantize {src.name} to {kind} (exit {done.returncode}): "
                                    f"{tail or 'no message'}")
            os.replace(tmp, dst)
        except subprocess.TimeoutExpired:
            raise QuantizeError(f"quantizing {src.name} to {kind} took longer than {TIMEOUT_S} s") from None
        finally:
            tmp.unlink(missing_ok=True)
    return Quantized(dst, dst.stat().st_size, round(time.monotonic() - t0, 2), kind)


# -- the child process: llama.cpp through ctypes ---------------------------------------------------

class _Params(ctypes.Structure):
    """llama_model_quantize_params of the llama.h that node-llama-cpp 3.21.1 ships."""

    _fields_ = [
        ("nthread", ctypes.c_int32), ("ftype", ctypes.c_int), ("output_tensor_type", ctypes.c_int),
        ("token_embedding_type", ctypes.c_int), ("allow_requantize", ctypes.c_bool),
        ("quantize_output_tensor", ctypes.c_bool), ("only_copy", ctypes.c_bool), ("pure", ctypes.c_bool),
        ("keep_split", ctypes.c_bool), ("dry_run", ctypes.c_bool), ("imatrix", ctypes.c_void_p),
        ("kv_overrides", ctypes.c_void_p), ("tt_overrides", ctypes.c_void_p), ("prune_layers", ctypes.c_void_p),
        ("max_buf_size", ctypes.c_size_t),
    ]


def _run_llama_quantize(src: str, dst: str, kind: str, threads: int) -> int:
    folder = library_dir()
    if folder is None:
        print(available(), file=sys.stderr)
        return 2
    for name in ("ggml-base", "ggml"):
        lib = _lib(folder, name)
        if lib is not None:
            ctypes.CDLL(str(lib), mode=ctypes.RTLD_GLOBAL)
    llama = ctypes.CDLL(str(_lib(folder, "llama")))
    llama.llama_model_quantize_default_params.restype = _Params
    llama.llama_model_quantize.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(_Params)]
    llama.llama_model_quantize.restype = ctypes.c_uint32
    params = llama.llama_model_quantize_default_params()
    params.ftype, params.nthread, params.max_buf_size = FTYPES[kind], threads, MAX_BUF_BYTES
    return int(llama.llama_model_quantize(src.encode(), dst.encode(), ctypes.byref(params)))


if __name__ == "__main__":
    sys.exit(_run_llama_quantize(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
