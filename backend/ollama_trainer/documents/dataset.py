"""A folder of documents made into one of the user's datasets: the step the INDEX flow command,
`ollama-trainer dataset from-docs` and the window's From documents... all take.

    build(BuildRequest, progress=None, cancel=None) -> Built
        Runs the documents job (job.run) into <data>/documents/<dataset_id>/ with the builtin
        base's tokenizer.json when the models cache has it, then registers the result as a user
        dataset: chat format (qa) with the held-out documents' questions as held-out prompts and
        a check for each, or text format (text). With `fallback_to_text`, an Ollama that cannot
        be reached gives text chunks instead of an error, and the notes say so.
    preview(BuildRequest, chunks=3) -> Preview   (the same folder and cache as build)

The output folder (dataset, provenance, report, teacher cache) is kept per dataset id, so a
build run again after a cancel or a crash asks the teacher only for the chunks not done.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from ollama_trainer import catalog, paths
from ollama_trainer.contracts import DatasetEntry, HeldOutCheck, Id
from ollama_trainer.documents import job
from ollama_trainer.documents.job import TEXT_MODE_NOTE, ProgressCallback
from ollama_trainer.documents.models import DocumentsRequest, DocumentsResult, Mode, Preview
from ollama_trainer.errors import DomainError

BUILTIN_BASE = "smollm2-135m-instruct"
CHECK_WORDS = 3
_PLAIN_WORD = re.compile(r"^\w+$", re.UNICODE)


class BuildRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source_dir: str = Field(min_length=1)
    dataset_id: Id
    teacher: str | None = None
    mode: Mode | None = Field(None, description="qa (a teacher writes pairs) or text; default qa when a teacher is given")
    host: str | None = None
    chunk_tokens: int = Field(256, ge=16, le=100_000)
    overlap_tokens: int = Field(32, ge=0, le=50_000)
    pairs_per_chunk: int = Field(3, ge=1, le=20)
    patterns: list[str] | None = None
    name: str | None = None
    fallback_to_text: bool = Field(False, description="Ollama not reachable: text chunks instead of an error")

    def chosen_mode(self) -> Mode:
        if self.mode is not None:
            return self.mode
        return "qa" if self.teacher and self.teacher.strip() else "text"


class Built(BaseModel):
    dataset: DatasetEntry | None = Field(description="None when no pair was kept (nothing is registered)")
    result: DocumentsResult
    notes: list[str] = Field(description="What the dataset means for training, fallbacks first")


def tokenizer_dir() -> str | None:
    """The builtin base's converted folder, when its tokenizer.json is in the models cache."""
    folder = paths.models_dir() / BUILTIN_BASE
    return str(folder) if (folder / "tokenizer.json").is_file() else None


def output_dir(dataset_id: str) -> Path:
    return paths.sub("documents", dataset_id)


def check_dataset_id(dataset_id: str) -> None:
    for entry in catalog.list_dataset_entries():
        if entry.id == dataset_id and entry.source == "builtin":
            raise DomainError(f"'{dataset_id}' is a built-in dataset's id; choose another id", code="dataset_exists")


def documents_request(req: BuildRequest, mode: Mode) -> DocumentsRequest:
    if mode == "qa" and not (req.teacher and req.teacher.strip()):
        raise DomainError("question-answer pairs need a teacher: pick one of Ollama's models (or use mode text)",
                          code="no_teacher")
    return DocumentsRequest(source_dir=str(req.source_dir), output_dir=str(output_dir(req.dataset_id)),
                            teacher=req.teacher if mode == "qa" else None, host=req.host,
                            tokenizer_dir=tokenizer_dir(), chunk_tokens=req.chunk_tokens,
                            overlap_tokens=req.overlap_tokens, pairs_per_chunk=req.pairs_per_chunk,
                            patterns=req.patterns)


def preview(req: BuildRequest, *, chunks: int = job.PREVIEW_CHUNKS) -> Preview:
    check_dataset_id(req.dataset_id)
    return job.preview(documents_request(req, "qa"), chunks=chunks)


def build(req: BuildRequest, *, progress: ProgressCallback | None = None,
          cancel: threading.Event | None = None) -> Built:
    check_dataset_id(req.dataset_id)
    mode = req.chosen_mode()
    notes: list[str] = []
    try:
        result = job.run(documents_request(req, mode), progress=progress, cancel=cancel)
    except DomainError as exc:
        if not (req.fallback_to_text and mode == "qa" and exc.code == "ollama_unreachable"):
            raise
        notes.append(f"The teacher '{req.teacher}' was not asked: {exc.message}")
        result = job.run(documents_request(req, "text"), progress=progress, cancel=cancel)
    notes.extend(result.report.notes)
    if result.format == "text" and TEXT_MODE_NOTE not in notes:
        notes.append(TEXT_MODE_NOTE)
    if result.format == "chat" and not result.report.pairs_kept:
        return Built(dataset=None, result=result, notes=notes)  # nothing to train on: nothing registered
    entry = register(req, result)
    return Built(dataset=entry, result=result, notes=notes)


def register(req: BuildRequest, result: DocumentsResult) -> DatasetEntry:
    report = result.report
    if result.format == "chat":
        what = (f"{report.pairs_kept} question-answer pairs written by {report.teacher} from {report.documents} "
                f"documents in {report.source_dir}")
    else:
        what = f"{report.chunks} text chunks of {report.documents} documents in {report.source_dir}"
    entry = DatasetEntry(id=req.dataset_id, name=req.name or req.dataset_id, format=result.format,
                         path=result.train_path, source="user",
                         description=f"{what} (report: {result.report_path})",
                         held_out_prompts=list(result.held_out_prompts),
                         held_out_checks=held_out_checks(result))
    catalog.register_user_dataset(entry)
    return catalog.get_dataset_entry(req.dataset_id)


def held_out_checks(result: DocumentsResult) -> list[HeldOutCheck]:
    """For each held-out question, what a learned answer holds: the answer's few longest words
    that the question does not already say (the facts it teaches), in any order."""
    if not result.held_out_prompts or not result.held_out_path:
        return []
    answers: dict[str, str] = {}
    for line in Path(result.held_out_path).read_text(encoding="utf-8").splitlines():
        messages = json.loads(line)["messages"]
        answers.setdefault(messages[0]["content"], messages[1]["content"])
    checks = []
    for prompt in result.held_out_prompts:
        answer = answers.get(prompt)
        if answer:
            checks.append(check_for(prompt, answer).model_copy(update={"kind": result.held_out_kinds.get(prompt)}))
    return checks


def check_for(question: str, answer: str) -> HeldOutCheck:
    from ollama_trainer.evaluation.scores import content_words

    asked = content_words(question)
    new = sorted((w for w in content_words(answer) - asked if _PLAIN_WORD.match(w)), key=lambda w: (-len(w), w))
    key = new[:CHECK_WORDS]
    if not key:
        return HeldOutCheck(prompt=question, mode="contains", value=answer.strip())
    return HeldOutCheck(prompt=question, mode="regex",
                        value="(?s)" + "".join(rf"(?=.*\b{re.escape(w)}\b)" for w in key))


__all__ = ["BuildRequest", "Built", "build", "check_dataset_id", "held_out_checks", "output_dir", "preview",
           "register", "tokenizer_dir"]
