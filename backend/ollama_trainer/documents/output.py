"""The files a run leaves in its output folder (each written whole, atomically):

    train.jsonl                   chat rows {"messages": [user, assistant]} (qa), or {"text"} rows (text)
    train.provenance.jsonl        one RowSource per line of train.jsonl, same order
    held_out.jsonl                chat rows of the held-out documents (qa only)
    held_out.provenance.jsonl     one RowSource per line of held_out.jsonl
    report.json                   the DocumentsReport
    teacher_cache.jsonl           the teacher's answers (cache.py; appended while the run goes)

A file an earlier run wrote that this run does not (held_out.* after a text run) is removed, so
the folder always describes one run. One job at a time per folder: `locked(folder)` holds an
exclusive lock on a file of the data folder's locks/ named for the output folder (never a file
in the output folder itself) and a second job gets Conflict `documents_job_running`; a job that
fails before writing anything leaves no empty output folder behind.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ollama_trainer import atomic
from ollama_trainer.documents.models import Pair, RowSource
from ollama_trainer.errors import Conflict

TRAIN = "train.jsonl"
TRAIN_PROVENANCE = "train.provenance.jsonl"
HELD_OUT = "held_out.jsonl"
HELD_OUT_PROVENANCE = "held_out.provenance.jsonl"
REPORT = "report.json"


def chat_row(pair: Pair) -> dict:
    """The teacher's system prompt is left out: the model learns to answer the question alone."""
    return {"messages": [{"role": "user", "content": pair.question},
                         {"role": "assistant", "content": pair.answer}]}


def _jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def write_rows(folder: Path, name: str, provenance_name: str, rows: list[dict], sources: list[RowSource]) -> Path:
    assert len(rows) == len(sources), "a provenance line for every row"
    atomic.write_text(folder / provenance_name, "".join(s.model_dump_json() + "\n" for s in sources))
    return atomic.write_text(folder / name, _jsonl(rows))


def write_pairs(folder: Path, name: str, provenance_name: str, pairs: list[Pair]) -> Path:
    return write_rows(folder, name, provenance_name, [chat_row(p) for p in pairs], [p.source for p in pairs])


def remove_stale(folder: Path, names: list[str]) -> None:
    for name in names:
        (folder / name).unlink(missing_ok=True)


def write_report(folder: Path, report_json: str) -> Path:
    return atomic.write_text(folder / REPORT, report_json + "\n")


def _lock_file(folder: Path) -> Path:
    from ollama_trainer import paths

    name = hashlib.sha256(str(folder.resolve()).encode("utf-8")).hexdigest()[:24]
    return paths.sub("locks") / f"documents-{name}.lock"


@contextmanager
def locked(folder: Path, *, made: bool = False) -> Iterator[None]:
    """One job at a time in `folder`; `made`: the job created the folder, which goes again when
    the job leaves it empty."""
    with open(_lock_file(folder), "a") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Conflict(f"another job is writing into {folder}: wait for it, or choose another output folder",
                           code="documents_job_running") from None
        try:
            yield
        finally:
            if made:
                try:
                    folder.rmdir()  # only when empty: a job that failed before writing anything
                except OSError:
                    pass
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
