"""Datasets: catalog entries and their checks, the held-out prompts and what their answers must
hold, adding, renaming and previewing a dataset, and catalog entries that cannot be read."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ollama_trainer.contracts.base import DatasetFormat, Id, Request, Strict


class HeldOutCheck(Strict):
    """What a held-out prompt's answer must hold to count as learned."""

    prompt: str
    mode: Literal["contains", "exact", "regex"] = "contains"
    value: str
    kind: Literal["trained_document", "held_out_document"] | None = Field(
        None, description="For a dataset made from documents: a question held out of a document the model "
                          "trains on (it measures learning), or from a document held out whole (it measures "
                          "what the model makes of facts it never saw)")


class BrokenEntry(Strict):
    """A user's profile or dataset entry that cannot be read: listed with its error so it can be
    fixed, never offered for a run; everything else goes on working."""

    kind: Literal["profile", "dataset"]
    id: str | None = Field(None, description="Its id, when that much can be read")
    name: str | None = None
    file: str = Field(description="The file it is in (profiles.json, datasets/index.json)")
    error: str = Field(description="'file: profiles[2].learning_rate: ...': what is wrong, and where")


class BrokenEntries(Strict):
    profiles: list[BrokenEntry] = Field(default_factory=list)
    datasets: list[BrokenEntry] = Field(default_factory=list)


class DatasetEntry(Strict):
    id: Id
    name: str = Field(min_length=1)
    description: str = ""
    path: str = Field(description="A .jsonl file, relative to the catalog file or absolute")
    format: DatasetFormat | None = Field(None, description="Detected from the first record when absent")
    held_out_prompts: list[str] = Field(
        default_factory=list, description="Prompts kept out of training, answered before and after"
    )
    held_out_checks: list[HeldOutCheck] = Field(
        default_factory=list, description="What the answers to held-out prompts must hold (the learned score)")
    source: Literal["builtin", "user"] = "builtin"


class DatasetIssue(Strict):
    line: int | None = Field(description="1-based line number in the file, None for the whole file")
    field: str | None = None
    message: str
    severity: Literal["error", "warning"] = "error"

    def render(self, path: str) -> str:
        where = f"{path}:{self.line}" if self.line else path
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class DatasetInfo(DatasetEntry):
    examples: int = 0
    tokens: int | None = Field(None, description="Tokens after the chat template, when counted")
    tokens_exact: bool = Field(False, description="Counted with the default model's tokenizer (else about: words x 1.3)")
    detected_format: DatasetFormat | None = None
    valid: bool = False
    errors: list[DatasetIssue] = Field(default_factory=list)
    warnings: list[DatasetIssue] = Field(default_factory=list)
    first_error: str | None = None


class ImportDatasetRequest(Request):
    path: str = Field(min_length=1, max_length=4096)
    id: Id | None = None
    name: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=2000)
    replace: bool = Field(False, description="Replace the user's dataset with this id (never done silently)")


class UploadDatasetRequest(Request):
    """A dataset file's content from the page (a file input or drag and drop)."""

    filename: str = Field(min_length=1, max_length=255)
    content: str = Field(max_length=32 * 1024 * 1024)
    id: Id | None = None
    name: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=2000)
    replace: bool = False


class DatasetIdRequest(Request):
    id: Id


class UpdateDatasetRequest(Request):
    id: Id
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)


class PreviewRequest(Request):
    id: Id
    limit: int = Field(5, ge=1, le=50)


class PreviewRow(Strict):
    line: int
    messages: list[dict] | None = Field(None, description="[{role, content}] of a chat-like example (a "
                                                          "preference pair's prompt and chosen answer)")
    rejected: str | None = Field(None, description="A preference pair's rejected answer")
    text: str | None = Field(None, description="A text example's text")


class DatasetPreview(Strict):
    id: str
    rows: list[PreviewRow]
    total: int = Field(description="Examples in the whole file")


class PickedFile(Strict):
    path: str | None = Field(description="The chosen file, or None when the dialog was cancelled")
