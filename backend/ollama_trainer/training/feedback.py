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

from ollama_trainer import catalog, paths
from ollama_trainer.contracts import DatasetEntry
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
                             path=str(path), format="preference" if _has_pairs(path) else "chat", source="user")
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


def _has_pairs(path: Path) -> bool:
    return any("chosen" in line for line in path.read_text(encoding="utf-8").splitlines())
