"""INDEX: turn a folder of PDF, Word, HTML, Markdown and text documents into a dataset in the
user's catalog: question-answer pairs written by a teacher model in Ollama (mode qa, the
default when a teacher is given), else the documents' text in chunks (mode text). An Ollama
that cannot be reached gives text chunks, and the step's notes say what that means."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from pydantic import Field

from ollama_trainer import paths
from ollama_trainer.contracts import DocumentsMode, Id, SkippedFile
from ollama_trainer.errors import DomainError
from ollama_trainer.flows.step import Step, StepArgs, StepCancelled, StepContext, StepFailed, StepOutputs, arg

log = logging.getLogger(__name__)


class IndexArgs(StepArgs):
    source_dir: str = arg(kind="folder", min_length=1)
    dataset_id: Id = arg()
    mode: Literal["qa", "text"] | None = arg(None, doc="`qa` when a `teacher` is given, else `text`")
    teacher: str | None = arg(None, doc="an Ollama model")
    host: str | None = arg(None)
    chunk_tokens: int = arg(256, kind="number", ge=16, le=100_000)
    overlap_tokens: int | None = arg(None, kind="number", ge=0, le=50_000, doc="chunk_tokens/8, at most 32")
    pairs_per_chunk: int = arg(3, kind="number", ge=1, le=20)
    patterns: list[str] | None = arg(None, min_length=1, doc="file name globs; default every PDF, DOCX, HTML, "
                                                             "Markdown and text file")


class IndexOutputs(StepOutputs):
    dataset: str = Field(description="= `dataset_id`, for TRAIN")
    dataset_id: str
    mode: DocumentsMode
    documents: int
    pages: int
    chunks: int
    duplicates: int
    pairs_kept: int
    rejected: dict[str, int]
    train_rows: int
    held_out_rows: int
    skipped: list[SkippedFile]
    path: str
    report: str = Field(description="the report.json path")
    notes: list[str]


def source_path(source_dir: str) -> Path:
    """A relative source_dir is relative to the repository root (where automation/ lives), so a
    shipped flow can index a folder shipped with the app; ~ is the home folder."""
    path = Path(source_dir).expanduser()
    return path if path.is_absolute() else paths.shipped_root() / path


def run(a: IndexArgs, ctx: StepContext) -> IndexOutputs:
    from ollama_trainer import settings
    from ollama_trainer.documents import Cancelled
    from ollama_trainer.documents.dataset import BuildRequest, build

    teacher = (a.teacher or "").strip() or None
    overlap = a.overlap_tokens if a.overlap_tokens is not None else min(32, a.chunk_tokens // 8)
    if overlap * 2 > a.chunk_tokens:
        raise StepFailed(f"INDEX argument overlap_tokens: {overlap} is more than half of chunk_tokens "
                         f"({a.chunk_tokens})")
    mode = a.mode or ("qa" if teacher else "text")
    notes: list[str] = []
    if mode == "qa" and teacher is None:
        notes.append("No teacher was given, so no question-answer pairs were written.")
        mode = "text"
    source = source_path(a.source_dir)
    request = BuildRequest(source_dir=str(source), dataset_id=a.dataset_id, teacher=teacher, mode=mode,
                           host=settings.ollama_host(a.host) if mode == "qa" else None, chunk_tokens=a.chunk_tokens,
                           overlap_tokens=overlap, pairs_per_chunk=a.pairs_per_chunk, patterns=a.patterns,
                           fallback_to_text=True)
    try:
        built = build(request, cancel=ctx.cancel)
    except Cancelled:
        raise StepCancelled() from None
    except DomainError as exc:
        raise StepFailed(exc.message, code=exc.code) from None
    result, report = built.result, built.result.report
    notes.extend(built.notes)
    if built.dataset is None:
        raise StepFailed(" ".join(notes) or f"no pair was kept from {source}")
    log.info("flow_run_id=%s step=%s dataset=%s mode=%s rows=%d", ctx.flow_run_id, ctx.step_id, a.dataset_id,
             report.mode, report.train_rows + report.held_out_rows)
    return IndexOutputs(
        dataset=a.dataset_id, dataset_id=a.dataset_id, mode=report.mode, documents=report.documents,
        pages=report.pages, chunks=report.chunks, duplicates=report.duplicate_chunks, pairs_kept=report.pairs_kept,
        rejected=report.rejected, train_rows=report.train_rows, held_out_rows=report.held_out_rows,
        skipped=report.skipped, path=result.train_path, report=result.report_path, notes=notes)


STEP = Step("INDEX", IndexArgs, IndexOutputs, run)
