"""What an export sends to Ollama: the run's trained model as a whole, made now if the run
did not write it (runs from before 0.5.0, or a file deleted to save space).

- A base read from a GGUF (the builtin, a .gguf file, a model from Ollama's store):
  `model.gguf`, merged here in the app process (numpy, streamed: tens of MB extra).
- A base given as a local safetensors folder: `model.gguf` too, merged by the worker (torch) and
  written by llama.cpp's converter; a run that has only `merged/` (older runs, or an architecture
  the converter does not know) gets it converted now, else sends the folder, which from Ollama
  0.35 only its MLX engine imports.
- A Hugging Face hub id: exported when the hub cache has its folder; otherwise it cannot be,
  and the error says what to do.
"""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ollama_trainer import bases
from ollama_trainer.errors import DomainError
from ollama_trainer.bases.chat_template import read_chat_template
from ollama_trainer.ollama import modelfile
from ollama_trainer.protocol import BaseModelFile, JobSpec
from ollama_trainer.training.run_folder import MERGED as MERGED_DIR
from ollama_trainer.training.run_folder import ADAPTER, MODEL_GGUF
from ollama_trainer.weights import gguf_info, hf_to_gguf
from ollama_trainer.weights.merge import MergeError, merge_into_gguf

log = logging.getLogger(__name__)
MERGE_TIMEOUT_S = 3600


class NotExportable(DomainError):
    code = "not_exportable"


@dataclass(frozen=True)
class ModelSource:
    kind: str  # "gguf" or "folder"
    path: Path  # model.gguf or merged/
    files: dict[str, Path]  # what goes into /api/create's `files`, by the name Ollama sees
    chat_template: str | None  # the tokenizer's, which training rendered with
    architecture: str | None
    head_counts: tuple[int, int] | None  # (heads, kv heads), for the llama.cpp adapter

    @property
    def modelfile_from(self) -> str:
        return f"./{self.path.name}"

    @property
    def bytes(self) -> int:
        return sum(p.stat().st_size for p in self.files.values())


def base_of(job: JobSpec) -> BaseModelFile:
    """The base the run was trained on: recorded in job.json, or resolved now for older runs."""
    if job.base is not None:
        return job.base
    try:
        return bases.resolve(job.profile.base_model)
    except DomainError as exc:
        raise NotExportable(f"the base model of this run cannot be found any more: {exc.message}") from None


def prepare(job: JobSpec, run_dir: Path, *, python: str = sys.executable,
            on_progress: Callable[[str, float | None], None] | None = None) -> ModelSource:
    """The run's model file, written first when missing."""
    run_dir = Path(run_dir)
    base = base_of(job)
    if base.gguf:
        return _gguf_source(base, run_dir, on_progress)
    folder = base.folder or bases.hub_cache_folder(job.profile.base_model)
    if folder:
        return _folder_source(Path(folder), run_dir, python, on_progress)
    raise NotExportable(
        f"the base model '{job.profile.base_model}' is a Hugging Face id that is not in this machine's hub cache, "
        "so there is nothing to merge the adapter into: download it once (or save it to a folder) and export again; "
        "bases read from a GGUF (the builtin, a .gguf file, an Ollama model) and local safetensors folders export "
        "without a download")


def _gguf_source(base: BaseModelFile, run_dir: Path, on_progress) -> ModelSource:
    target = run_dir / MODEL_GGUF
    header = _readable(target)
    if header is None:
        if not Path(base.gguf).is_file():
            raise NotExportable(f"the base model file {base.gguf} the run was trained on is gone; reinstall it "
                                "(or put it back) and export again")
        if on_progress:
            on_progress("writing the trained model file (the base with the LoRA merged in)", 0.0)
        try:
            merge_into_gguf(base.gguf, run_dir / ADAPTER, target, on_progress=_every(on_progress, 20))
            header = gguf_info.read_info(target)
        except (MergeError, gguf_info.GGUFFileError) as exc:
            raise DomainError(f"the trained model file could not be written: {exc}", code="model_file_failed") from exc
    return _from_header(target, header)


def _from_header(target: Path, header: gguf_info.GGUFInfo) -> ModelSource:
    heads = (header.head_count, header.head_count_kv or header.head_count) if header.head_count else None
    return ModelSource("gguf", target, {MODEL_GGUF: target}, header.chat_template, header.architecture, heads)


def quantized(source: ModelSource, kind: str) -> ModelSource:
    """`source` (an F16 model.gguf) as model-<KIND>.gguf, quantized by llama.cpp once per run and
    type (made again when model.gguf is newer)."""
    from ollama_trainer.weights import quantize

    target = source.path.with_name(f"model-{kind.upper()}.gguf")
    if not (target.is_file() and target.stat().st_mtime >= source.path.stat().st_mtime and _readable(target)):
        quantize.quantize(source.path, target, kind)
    return ModelSource("gguf", target, {MODEL_GGUF: target}, source.chat_template, source.architecture,
                       source.head_counts)


def _every(on_progress, n: int):
    """Tensor progress, passed on every n tensors (each call rewrites the export state)."""
    if on_progress is None:
        return None

    def report(done: int, total: int) -> None:
        if done % n == 0 or done == total:
            on_progress("writing the trained model file", done / total)

    return report


def _readable(target: Path) -> gguf_info.GGUFInfo | None:
    """The model file's header; None when it is missing, or damaged (then it is written again)."""
    if not target.is_file():
        return None
    try:
        return gguf_info.read_info(target)
    except gguf_info.GGUFFileError as exc:
        log.warning("%s is damaged (%s); writing it again", target, exc)
        return None


def _folder_source(folder: Path, run_dir: Path, python: str, on_progress) -> ModelSource:
    target, gguf = run_dir / MERGED_DIR, run_dir / MODEL_GGUF
    header = _readable(gguf)
    if header is None and not (target / "config.json").is_file():
        if on_progress:
            on_progress("merging the LoRA into the base model's weights", None)
        _worker_merge(run_dir, python)  # writes model.gguf, or merged/ where llama.cpp cannot convert
        header = _readable(gguf)
    if header is None and hf_to_gguf.available():
        if on_progress:
            on_progress("writing the merged model as a GGUF (llama.cpp's converter)", None)
        try:
            hf_to_gguf.convert(target, gguf, python=python)
            header = _readable(gguf)
        except hf_to_gguf.ConvertError as exc:
            log.warning("%s; sending the safetensors folder", exc)
    if header is not None:
        return _from_header(gguf, header)
    files = {p.name: p for p in sorted(target.iterdir()) if p.is_file()}
    try:
        config = json.loads((target / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        config = {}
    heads = None
    if config.get("num_attention_heads"):
        heads = (int(config["num_attention_heads"]),
                 int(config.get("num_key_value_heads") or config["num_attention_heads"]))
    return ModelSource("folder", target, files, read_chat_template(target), config.get("model_type"), heads)


def _worker_merge(run_dir: Path, python: str) -> None:
    from ollama_trainer.training import worker_client
    from ollama_trainer.protocol import MergeReply

    try:
        worker_client.call("merge", MergeReply, python=python, timeout=MERGE_TIMEOUT_S, code="model_file_failed",
                           run_dir=run_dir)
    except DomainError as exc:
        raise DomainError(f"the trained model could not be merged: {exc.message}", code="model_file_failed") from None
