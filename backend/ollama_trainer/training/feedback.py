"""A run's feedback: what a person marked while talking with the run's model, kept as a dataset
of that run (`feedback-<run>`: datasets/feedback-<run>.jsonl in the data folder, registered as
an own dataset, so it is listed, checked, previewed, trained on and deleted like any other).

- good: the answer as it was, a supervised example (`messages`);
- corrected: the person's answer in place of the model's, a supervised example;
- pair: two answers to the same turn, the chosen and the rejected (a preference pair, TRL's
  shape with the conversation as the prompt).

Each line says where it came from under `feedback` (the readers ignore it): the run, when, the
kind, and for a correction the model's own answer. The file's format is `preference` once it
holds a pair (a preference file may hold conversations too), `chat` before.

    add("20261207-121111-1745c6", "corrected", [{"role": "user", "content": "Who are you?"}],
        "I am Lumen.", original="I am an AI assistant.")
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Literal

from ollama_trainer import atomic, catalog, paths
from ollama_trainer.contracts import DatasetEntry, FeedbackList, FeedbackMark
from ollama_trainer.errors import DomainError, NotFound
from ollama_trainer.timestamps import now_iso
from ollama_trainer.training import history

PREFIX = "feedback-"
Kind = Literal["good", "corrected", "pair"]
_lock = threading.Lock()


def dataset_id(training_id: str) -> str:
    return f"{PREFIX}{training_id}"


def path_for(training_id: str) -> Path:
    return paths.user_datasets_dir() / f"{dataset_id(training_id)}.jsonl"


def add(training_id: str, kind: Kind, conversation: list[dict], answer: str, *, rejected: str | None = None,
        original: str | None = None) -> DatasetEntry:
    """Keep one mark: `conversation` is the talk before the answer, ending with the user's turn;
    `answer` the answer kept (good), written by the person (corrected) or chosen (pair, beside
    `rejected`). Returns the run's feedback dataset, registered."""
    if history.load_job(training_id) is None:
        raise NotFound(f"no training run '{training_id}'", code="unknown_training")
    turns = [{"role": str(t["role"]), "content": str(t["content"])} for t in conversation]
    if not turns or turns[-1]["role"] != "user":
        raise DomainError("feedback needs the conversation up to the user's turn it answers", code="invalid_argument")
    if not answer.strip():
        raise DomainError("the answer to keep is empty", code="invalid_argument")
    source = {"run": training_id, "time": now_iso(), "kind": kind}
    if kind == "pair":
        if not rejected or not rejected.strip() or rejected.strip() == answer.strip():
            raise DomainError("a pair needs two different answers", code="invalid_argument")
        line = {"prompt": turns, "chosen": answer, "rejected": rejected, "feedback": source}
    else:
        if kind == "corrected":
            source["original"] = original or ""
        line = {"messages": [*turns, {"role": "assistant", "content": answer}], "feedback": source}
    path = path_for(training_id)
    with _lock:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
        entry = DatasetEntry(id=dataset_id(training_id), name=f"Feedback on run {training_id}",
                             description=f"What was marked while talking with run {training_id}: answers kept, "
                                         "corrected, and chosen between two",
                             path=str(path), format=_format(path), source="user")
        catalog.register_user_dataset(entry)
    return entry


def read(training_id: str) -> list[dict]:
    """The marks of a run, as written (an unreadable line is skipped: `dataset check` names it)."""
    path = path_for(training_id)
    if not path.is_file():
        return []
    marks = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            marks.append(record)
    return marks


def listed(training_id: str) -> FeedbackList:
    """The marks as the Chat page lists them: each with where it came from."""
    marks = []
    for index, record in enumerate(read(training_id)):
        source = record.get("feedback") if isinstance(record.get("feedback"), dict) else {}
        talk = record.get("prompt") if "chosen" in record else (record.get("messages") or [])[:-1]
        if not isinstance(talk, list) or not talk:
            continue
        users = [t for t in talk if isinstance(t, dict) and t.get("role") == "user"]
        answer = record.get("chosen") if "chosen" in record else (record.get("messages") or [{}])[-1].get("content")
        kind = source.get("kind") if source.get("kind") in ("good", "corrected", "pair") else (
            "pair" if "chosen" in record else "good")
        marks.append(FeedbackMark(index=index, kind=kind, time=str(source.get("time") or ""),
                                  prompt=str(users[-1].get("content", "")) if users else "", turns=len(users),
                                  answer=str(answer or ""), original=source.get("original"),
                                  rejected=record.get("rejected")))
    return FeedbackList(dataset_id=dataset_id(training_id), path=str(path_for(training_id)), marks=marks)


def delete(training_id: str, index: int) -> FeedbackList:
    """Take one mark out (its line, by position); the last one out removes the dataset."""
    path = path_for(training_id)
    with _lock:
        lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
        if not 0 <= index < len(lines):
            raise NotFound(f"{path} has no mark {index + 1} (it holds {len(lines)})", code="not_found")
        del lines[index]
        if any(line.strip() for line in lines):
            atomic.write_text(path, "".join(line + "\n" for line in lines))
            entry = catalog.get_dataset_entry(dataset_id(training_id))
            fmt = _format(path)
            if entry.format != fmt:
                catalog.register_user_dataset(entry.model_copy(update={"format": fmt}))
        else:
            catalog.delete_dataset(dataset_id(training_id))
            path.unlink(missing_ok=True)
    return listed(training_id)


def _format(path: Path) -> str:
    """preference once the file holds a pair, chat before."""
    pairs = any("chosen" in line for line in path.read_text(encoding="utf-8").splitlines())
    return "preference" if pairs else "chat"
