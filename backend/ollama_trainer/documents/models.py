"""The data that crosses this package's boundary: the request of turning a folder of documents
into a dataset, its progress, preview, report and result (those are contracts, defined in
contracts/documents.py, so the bridge and the CLI hand them on as they are), and the small
internal records of a read document and a chunk."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ollama_trainer.contracts.documents import (DocumentKind, DocumentPair, DocumentsPreview, DocumentsProgress,
                                                DocumentsReport, DocumentsResult, DocumentSummary, RowSource,
                                                SkippedFile)
from ollama_trainer.contracts.documents import DocumentsMode as Mode

# the engine's short names for the contracts (contracts/documents.py) it reports with
Pair = DocumentPair
Progress = DocumentsProgress
Preview = DocumentsPreview


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


__all__ = ["Chunk", "Document", "DocumentKind", "DocumentSummary", "DocumentsReport", "DocumentsRequest",
           "DocumentsResult", "Mode", "Pair", "Preview", "Progress", "Rejections", "RowSource", "Section", "SkippedFile"]
