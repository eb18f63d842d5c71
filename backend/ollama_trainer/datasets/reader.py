"""Reading a JSONL dataset: bytes -> numbered lines -> JSON records.

Each line is decoded on its own, so a line that is not UTF-8 or not JSON is reported on that
line and the rest of the file is still read. A UTF-8 BOM at the start, CRLF line ends and
blank (whitespace-only) lines are accepted; line numbers always count every line of the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ollama_trainer.contracts import DatasetIssue
from ollama_trainer.errors import DomainError

BOM = b"\xef\xbb\xbf"


class DatasetReadError(DomainError):
    """The dataset file cannot be read at all (missing, a folder, no permission)."""

    code = "invalid_dataset"


@dataclass(frozen=True)
class Record:
    line: int
    value: dict


def read_bytes(path: str | Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise DatasetReadError(f"dataset file not found: {path}") from None
    except IsADirectoryError:
        raise DatasetReadError(f"dataset path is a folder, not a file: {path}") from None
    except PermissionError:
        raise DatasetReadError(f"no permission to read dataset file: {path}") from None
    except OSError as exc:
        raise DatasetReadError(f"cannot read dataset file {path}: {exc.strerror or exc}") from None


def split_lines(data: bytes) -> Iterator[tuple[int, bytes]]:
    """Yield (1-based line number, raw line without its LF or CRLF)."""
    if data.startswith(BOM):
        data = data[len(BOM):]
    for number, raw in enumerate(data.split(b"\n"), start=1):
        yield number, raw.removesuffix(b"\r")


def json_type(value: object) -> str:
    """The JSON name of a parsed value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def parse_records(data: bytes) -> Iterator[Record | DatasetIssue]:
    """Yield a Record for each JSON object line and an error issue for each bad line."""
    for number, raw in split_lines(data):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            byte = raw[exc.start]
            yield DatasetIssue(
                line=number,
                message=f"line is not valid UTF-8 (byte 0x{byte:02x} at column {exc.start + 1})",
            )
            continue
        if not text.strip():
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            # Some of json's messages end in "at" ("Unterminated string starting at"): one "at".
            what = exc.msg.removesuffix(" at")
            yield DatasetIssue(line=number, message=f"invalid JSON: {what} at column {exc.colno}")
            continue
        except RecursionError:
            yield DatasetIssue(line=number, message="invalid JSON: nested too deeply")
            continue
        except ValueError:  # e.g. an integer past Python's digit limit
            yield DatasetIssue(line=number, message="invalid JSON: a number is too long")
            continue
        if not isinstance(value, dict):
            yield DatasetIssue(
                line=number, message=f"record must be a JSON object, not {json_type(value)}"
            )
            continue
        yield Record(number, value)
