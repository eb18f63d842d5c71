"""The data that crosses this package's boundary: the request, progress, preview, report and
result of turning a folder of documents into a dataset (pydantic, so the bridge and the CLI can
hand them on as they are), and the small internal records of a read document and a chunk."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

DocumentKind = Literal["pdf", "docx", "html", "markdown", "text"]
Mode = Literal["qa", "text"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- what was read ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Section:
    """A stretch of a document's text with where it came from."""

    text: str
    page: int | None = None  # 1-based, PDF only
    heading: str | None = None  # "Guide > Install" (Markdown, DOCX, HTML), None before any heading


@dataclass(frozen=True)
class Document:
    file: str  # relative to the folder, POSIX separators
    kind: DocumentKind
    sections: tuple[Section, ...]
    pages: int = 0  # PDF pages read (0 for other kinds)


@dataclass(frozen=True)
class Chunk:
    id: str  # "<file>#<n>", n counting from 1 within the file
    file: str
    text: str
    tokens: int
    pages: tuple[int, ...] = ()
    sections: tuple[str, ...] = ()


class SkippedFile(_Strict):
    file: str = Field(description="Path relative to the folder")
    reason: str = Field(description="Why it was not read, e.g. 'encrypted PDF (needs a password)'")


# -- provenance ---------------------------------------------------------------------------------

class RowSource(_Strict):
    """Where a dataset row came from: one line of the provenance sidecar, aligned with the
    dataset's lines."""

    file: str
    pages: list[int] = Field(default_factory=list, description="1-based PDF pages the chunk spans")
    sections: list[str] = Field(default_factory=list, description="Headings the chunk falls under")
    chunk_id: str
    quote: str | None = Field(None, description="The teacher's quote from the chunk (qa mode)")
    label: str = Field(description="For people: 'manual.pdf p. 3-4' or 'guide.md > Install'")


class Pair(_Strict):
    question: str
    answer: str
    quote: str
    source: RowSource


# -- the request --------------------------------------------------------------------------------

class DocumentsRequest(_Strict):
    source_dir: str = Field(min_length=1, description="The folder of documents (read recursively)")
    output_dir: str = Field(min_length=1, description="Where the dataset, its provenance, the report and the teacher cache go")
    teacher: str | None = Field(None, description="An Ollama model that writes the pairs; none: text chunks")
    host: str | None = Field(None, description="Ollama's address; OLLAMA_HOST or the default when empty")
    tokenizer_dir: str | None = Field(None, description="A model folder with tokenizer.json; the word approximation when absent")
    chunk_tokens: int = Field(256, ge=16, le=100_000)
    overlap_tokens: int = Field(32, ge=0, le=50_000)
    pairs_per_chunk: int = Field(3, ge=1, le=20)
    held_out_fraction: float = Field(0.1, ge=0.0, le=0.5, description="Share of documents held out (at least one when there are two or more)")
    seed: int = 42
    patterns: list[str] | None = Field(None, description="Only files whose name matches one of these globs (e.g. \"*.md\"); all supported files when absent")

    @model_validator(mode="after")
    def _overlap_below_size(self) -> "DocumentsRequest":
        if self.overlap_tokens * 2 > self.chunk_tokens:
            raise ValueError(f"overlap_tokens ({self.overlap_tokens}) must be at most half of chunk_tokens "
                             f"({self.chunk_tokens})")
        return self

    @property
    def mode(self) -> Mode:
        return "qa" if self.teacher and self.teacher.strip() else "text"


# -- while it runs ------------------------------------------------------------------------------

class Progress(_Strict):
    chunks_done: int
    chunks_total: int
    pairs_kept: int
    pairs_rejected: int
    from_cache: int = Field(description="Chunks answered from the cache, without asking the teacher")
    elapsed_s: float
    eta_s: float | None = Field(None, description="Seconds left at the teacher's pace so far; None before it is known")
    file: str | None = Field(None, description="The file of the chunk just done")


class Preview(_Strict):
    teacher: str
    chunks: int = Field(description="Chunks asked about (the first ones of the folder)")
    pairs: list[Pair]
    rejected: dict[str, int]
    skipped: list[SkippedFile] = Field(description="Files skipped on the way to those chunks")


# -- the result ---------------------------------------------------------------------------------

class DocumentSummary(_Strict):
    file: str
    kind: DocumentKind
    pages: int
    chunks: int
    pairs: int
    split: Literal["train", "held_out", "none"] = Field(description="'none': it gave no rows")


class DocumentsReport(_Strict):
    mode: Mode
    source_dir: str
    output_dir: str
    documents: int = Field(description="Files read with text")
    pages: int = Field(description="PDF pages read")
    chunks: int
    duplicate_chunks: int = Field(description="Chunks identical to an earlier one, left out")
    chunk_tokens: int
    overlap_tokens: int
    tokenizer: str = Field(description="What counted the tokens")
    teacher: str | None
    pairs_per_chunk: int | None
    prompt_version: str | None
    pairs_kept: int
    rejected: dict[str, int] = Field(description="Rejections by reason; broken_json and teacher_error count chunks, the rest pairs")
    teacher_calls: int = Field(description="Chunks the teacher was asked about in this run")
    cached_chunks: int = Field(description="Chunks answered from the cache (an earlier preview or run)")
    train_rows: int
    held_out_rows: int
    held_out_documents: list[str]
    files: list[DocumentSummary]
    skipped: list[SkippedFile]
    ignored_files: int = Field(description="Files of other types (not PDF, DOCX, HTML, Markdown, text)")
    started_at: str
    finished_at: str
    duration_s: float
    notes: list[str] = Field(default_factory=list, description="What the result means for training")


class DocumentsResult(_Strict):
    format: Literal["chat", "text"]
    train_path: str
    train_provenance_path: str
    held_out_path: str | None
    held_out_provenance_path: str | None
    report_path: str
    held_out_prompts: list[str] = Field(description="Questions of the held-out documents, answered before and after training")
    report: DocumentsReport


@dataclass
class Rejections:
    """Counts by reason, in a stable order for reports."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, reason: str, n: int = 1) -> None:
        self.counts[reason] = self.counts.get(reason, 0) + n

    def total(self) -> int:
        return sum(self.counts.values())

    def as_dict(self) -> dict[str, int]:
        return dict(sorted(self.counts.items()))
