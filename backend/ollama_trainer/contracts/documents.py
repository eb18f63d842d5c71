"""Documents: a folder of PDF, Word, HTML, Markdown and text files made into a dataset (the
engine is ollama_trainer.documents). What its job reports, and the window's commands: the
teacher picker, a documents job started, watched and cancelled, and the preview of the first
chunks' pairs."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ollama_trainer.contracts.base import Id, Request, Strict
from ollama_trainer.contracts.datasets import DatasetInfo

DocumentKind = Literal["pdf", "docx", "html", "markdown", "text"]
DocumentsMode = Literal["qa", "text"]
DocumentsJobStatus = Literal["running", "done", "no_pairs", "error", "cancelled"]

class SkippedFile(Strict):
    file: str = Field(description="Path relative to the folder")
    reason: str = Field(description="Why it was not read, e.g. 'encrypted PDF (needs a password)'")


class RowSource(Strict):
    """Where a dataset row came from: one line of the provenance sidecar, aligned with the
    dataset's lines."""

    file: str
    pages: list[int] = Field(default_factory=list, description="1-based PDF pages the chunk spans")
    sections: list[str] = Field(default_factory=list, description="Headings the chunk falls under")
    chunk_id: str
    quote: str | None = Field(None, description="The teacher's quote from the chunk (qa mode)")
    label: str = Field(description="For people: 'manual.pdf p. 3-4' or 'guide.md > Install'")


class DocumentPair(Strict):
    question: str
    answer: str
    quote: str
    source: RowSource


class DocumentsProgress(Strict):
    chunks_done: int
    chunks_total: int
    pairs_kept: int
    pairs_rejected: int
    from_cache: int = Field(description="Chunks answered from the cache, without asking the teacher")
    elapsed_s: float
    eta_s: float | None = Field(None, description="Seconds left at the teacher's pace so far; None before it is known")
    file: str | None = Field(None, description="The file of the chunk just done")
    rejected: dict[str, int] = Field(default_factory=dict, description="Rejections so far, by reason")


class DocumentsPreview(Strict):
    teacher: str
    chunks: int = Field(description="Chunks asked about (the first ones of the folder)")
    pairs: list[DocumentPair]
    rejected: dict[str, int]
    skipped: list[SkippedFile] = Field(description="Files skipped on the way to those chunks")


class DocumentSummary(Strict):
    file: str
    kind: DocumentKind
    pages: int
    chunks: int
    pairs: int
    split: Literal["train", "held_out", "none"] = Field(description="'none': it gave no rows")


class DocumentsReport(Strict):
    mode: DocumentsMode
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


class DocumentsResult(Strict):
    format: Literal["chat", "text"]
    train_path: str
    train_provenance_path: str
    held_out_path: str | None
    held_out_provenance_path: str | None
    report_path: str
    held_out_prompts: list[str] = Field(description="Held-out questions, answered before and after training")
    held_out_kinds: dict[str, Literal["trained_document", "held_out_document"]] = Field(
        default_factory=dict, description="Each held-out question's kind: of a document the model trains on, or of "
                                          "one held out whole")
    report: DocumentsReport


# -- the window's commands ------------------------------------------------------------------

class TeacherModel(Strict):
    name: str = Field(description="As Ollama names it, e.g. llama3.2:latest")
    size_bytes: int | None = None
    family: str | None = None
    parameter_size: str | None = Field(None, description="e.g. 3.2B")
    quantization: str | None = None


class TeacherModelList(Strict):
    host: str
    reachable: bool
    message: str = Field(description="Why there is no list (Ollama not reachable), or how many models")
    models: list[TeacherModel]


class DocumentsFolderRequest(Request):
    source_dir: str = Field(min_length=1, max_length=4096, description="The folder of documents")
    dataset_id: Id
    name: str | None = Field(None, max_length=200, description="The dataset's name; default its id")
    teacher: str | None = Field(None, max_length=200, description="An Ollama model; none: text chunks")
    host: str | None = Field(None, max_length=512, description="Ollama's address; default the setting")
    chunk_tokens: int = Field(256, ge=16, le=100_000)
    overlap_tokens: int = Field(32, ge=0, le=50_000)
    pairs_per_chunk: int = Field(3, ge=1, le=20)


class DocumentsJobIdRequest(Request):
    job_id: str = Field(pattern=r"^docs-[a-z0-9-]{1,64}$")


class DocumentsJobState(Strict):
    job_id: str
    dataset_id: str
    status: DocumentsJobStatus = Field(description="no_pairs: it ended without a pair to train on (nothing registered)")
    mode: DocumentsMode
    teacher: str | None
    progress: DocumentsProgress | None = Field(None, description="None while the folder is being read")
    started_at: str
    finished_at: str | None = None
    error_code: str | None = None
    error: str | None = None
    notes: list[str] = Field(default_factory=list, description="What the dataset means for training")
    report: DocumentsReport | None = None
    dataset: DatasetInfo | None = Field(None, description="The registered dataset, when done")
