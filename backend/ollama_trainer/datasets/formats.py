"""The record formats: detection from a record's keys and normalisation to examples.

    preference         {"prompt"?, "chosen", "rejected", "system"?} (preference.py)
    chat               {"messages": [{"role", "content"}, ...]}
    alpaca             {"instruction", "input"?, "output", "system"?}
    prompt_completion  {"prompt", "completion", "system"?}
    text               {"text"}

chat, alpaca and prompt_completion become `{"messages": [...], "line": n}`; text becomes
`{"text": str, "line": n}`; preference becomes `{"messages": [the prompt], "chosen": str,
"rejected": str, "line": n}` (a preference file's `messages` records are chat examples: pairs and
conversations train together). Keys a format does not use are ignored.
"""

from __future__ import annotations

from typing import get_args

from ollama_trainer.contracts import DatasetFormat, DatasetIssue
from ollama_trainer.datasets import preference
from ollama_trainer.datasets.chat import check_messages
from ollama_trainer.datasets.reader import json_type

FORMATS: tuple[DatasetFormat, ...] = get_args(DatasetFormat)

# The keys that identify each format, in detection order (first match wins).
FORMAT_KEYS: dict[DatasetFormat, tuple[str, ...]] = {
    "preference": ("chosen", "rejected"),
    "chat": ("messages",),
    "alpaca": ("instruction", "output"),
    "prompt_completion": ("prompt", "completion"),
    "text": ("text",),
}

EXPECTED_KEYS = (
    "messages (chat), instruction/input/output (alpaca), "
    "prompt/completion (prompt_completion), text (text) or prompt/chosen/rejected (preference)"
)


def detect(record: dict) -> DatasetFormat | None:
    """The format a record's keys point to, or None when it has none of the known keys."""
    for fmt, keys in FORMAT_KEYS.items():
        if any(key in record for key in keys):
            return fmt
    return None


def unknown_format(record: dict, line: int) -> DatasetIssue:
    keys = sorted(record)
    found = ", ".join(key if len(key) <= 40 else key[:40] + "..." for key in keys[:8])
    if len(keys) > 8:
        found += f" and {len(keys) - 8} more"
    return DatasetIssue(
        line=line, message=f"unknown record format: expected keys {EXPECTED_KEYS}; found keys: {found or 'none'}"
    )


def normalise(record: dict, fmt: DatasetFormat, line: int) -> tuple[dict | None, list[DatasetIssue]]:
    """Turn one record into an example of `fmt`; (None, issues) when it does not fit."""
    if fmt == "preference":
        if "chosen" not in record and "rejected" not in record and "messages" in record:
            fmt = "chat"  # a preference file may also hold plain conversations: they train as in a chat file
        else:
            return preference.normalise(record, line)
    fields = _Fields(record, fmt, line)
    if fmt == "chat":
        if not fields.require_present("messages"):
            return None, fields.issues
        messages, issues = check_messages(record["messages"], line)
        return ({"messages": messages, "line": line} if messages else None), issues
    if fmt == "text":
        text = fields.string("text", required=True, nonempty=True)
        return ({"text": text, "line": line} if not fields.issues else None), fields.issues

    system = fields.string("system", required=False, nonempty=False)
    if fmt == "alpaca":
        instruction = fields.string("instruction", required=True, nonempty=True)
        extra = fields.string("input", required=False, nonempty=False)
        answer = fields.string("output", required=True, nonempty=True)
        question = f"{instruction}\n\n{extra}" if extra and extra.strip() and instruction else instruction
    else:
        question = fields.string("prompt", required=True, nonempty=True)
        answer = fields.string("completion", required=True, nonempty=True)
    if fields.issues:
        return None, fields.issues
    messages = [{"role": "system", "content": system}] if system and system.strip() else []
    messages += [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
    return {"messages": messages, "line": line}, []


class _Fields:
    """Reads string fields off one record, collecting an issue per problem."""

    def __init__(self, record: dict, fmt: DatasetFormat, line: int):
        self.record, self.fmt, self.line = record, fmt, line
        self.issues: list[DatasetIssue] = []

    def require_present(self, name: str) -> bool:
        if name in self.record:
            return True
        looks_like = detect(self.record)
        hint = f"; this record looks like {looks_like}" if looks_like else ""
        self._add(name, f"missing field '{name}' (the dataset is in {self.fmt} format{hint})")
        return False

    def string(self, name: str, *, required: bool, nonempty: bool) -> str | None:
        if name not in self.record:
            if required:
                self.require_present(name)
            return None
        value = self.record[name]
        if value is None and not required:
            return None
        if not isinstance(value, str):
            self._add(name, f"{name} must be a string, not {json_type(value)}")
            return None
        if nonempty and not value.strip():
            self._add(name, f"{name} is empty")
            return None
        return value

    def _add(self, field: str, message: str) -> None:
        self.issues.append(DatasetIssue(line=self.line, field=field, message=message))
