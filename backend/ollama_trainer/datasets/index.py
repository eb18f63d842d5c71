"""Indexing a folder of documents (.md, .txt) into text-format records (the INDEX flow step).

Documents are read recursively in sorted order (so the result is the same on every run),
split into chunks of about `chunk_tokens` tokens on paragraph boundaries (a paragraph that is
too big is split into sentences, a sentence that is too big into words), and identical chunks
(after collapsing whitespace) are kept once. Pure Python: `count_tokens(text) -> int` is the
caller's tokenizer; without one, tokens are approximated as words * 1.3.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from ollama_trainer.datasets.reader import BOM, DatasetReadError
from ollama_trainer.errors import InvalidArgument

PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def approx_tokens(text: str) -> int:
    return math.ceil(len(text.split()) * 1.3)


def index_folder(
    source_dir: str | Path,
    patterns: Iterable[str] = ("*.md", "*.txt"),
    chunk_tokens: int = 256,
    count_tokens: Callable[[str], int] | None = None,
) -> tuple[list[dict], dict]:
    """Return (records, report).

    records: `[{"text": chunk}, ...]`, ready to write as a `text` format JSONL file.
    report: {"documents": files indexed, "skipped": [{"path", "reason"}] (paths relative to
    source_dir: undecodable, unreadable or empty files), "chunks": records returned,
    "duplicates": chunks dropped because an identical one came earlier}.
    """
    if chunk_tokens < 1:
        raise InvalidArgument(f"chunk_tokens must be at least 1, not {chunk_tokens}")
    root = Path(source_dir)
    if not root.is_dir():
        raise DatasetReadError(f"folder to index not found: {source_dir}")
    count = count_tokens or approx_tokens

    records: list[dict] = []
    seen: set[str] = set()
    report: dict = {"documents": 0, "skipped": [], "chunks": 0, "duplicates": 0}
    for path in _documents(root, patterns):
        relative = path.relative_to(root).as_posix()
        text, reason = _read_text(path)
        if reason:
            report["skipped"].append({"path": relative, "reason": reason})
            continue
        report["documents"] += 1
        for chunk in chunk_text(text, chunk_tokens, count):
            key = " ".join(chunk.split())
            if key in seen:
                report["duplicates"] += 1
                continue
            seen.add(key)
            records.append({"text": chunk})
    report["chunks"] = len(records)
    return records, report


def chunk_text(text: str, chunk_tokens: int, count: Callable[[str], int] = approx_tokens) -> list[str]:
    """Split a document into chunks of at most chunk_tokens (a single over-long word excepted)."""
    pieces: list[str] = []
    for paragraph in PARAGRAPH_BREAK.split(text.replace("\r\n", "\n").replace("\r", "\n")):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        if count(paragraph) <= chunk_tokens:
            pieces.append(paragraph)
        else:
            pieces.extend(_split_paragraph(paragraph, chunk_tokens, count))
    return _pack(pieces, "\n\n", chunk_tokens, count)


def _split_paragraph(paragraph: str, limit: int, count: Callable[[str], int]) -> list[str]:
    sentences: list[str] = []
    for sentence in SENTENCE_END.split(paragraph):
        sentence = " ".join(sentence.split())
        if not sentence:
            continue
        if count(sentence) <= limit:
            sentences.append(sentence)
        else:
            sentences.extend(_pack(sentence.split(), " ", limit, count))
    return _pack(sentences, " ", limit, count)


def _pack(pieces: list[str], sep: str, limit: int, count: Callable[[str], int]) -> list[str]:
    """Join consecutive pieces while the joined text stays within limit."""
    chunks: list[str] = []
    current: str | None = None
    for piece in pieces:
        if current is None:
            current = piece
            continue
        candidate = current + sep + piece
        if count(candidate) <= limit:
            current = candidate
        else:
            chunks.append(current)
            current = piece
    if current is not None:
        chunks.append(current)
    return chunks


def _documents(root: Path, patterns: Iterable[str]) -> list[Path]:
    found = {path for pattern in patterns for path in root.rglob(pattern) if path.is_file()}
    return sorted(found, key=lambda path: path.relative_to(root).as_posix())


def _read_text(path: Path) -> tuple[str, str | None]:
    """(text, None), or ("", reason) when the file is skipped."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return "", f"cannot read: {exc.strerror or exc}"
    try:
        text = data.removeprefix(BOM).decode("utf-8")
    except UnicodeDecodeError as exc:
        byte = exc.object[exc.start]
        return "", f"not valid UTF-8 (byte 0x{byte:02x} at offset {exc.start})"
    if not text.strip():
        return "", "empty"
    return text, None
