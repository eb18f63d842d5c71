"""A folder of documents, read and chunked: the part of a run before any teacher is asked.

Files are read in sorted order and chunked as they are read, so a preview can stop after its
first few chunks. A chunk identical (whitespace aside) to an earlier one, such as a footer
repeated on every page, is left out and counted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ollama_trainer.documents.chunking import chunk_document
from ollama_trainer.documents.models import Chunk, Document, SkippedFile
from ollama_trainer.documents.readers import list_documents, read_document
from ollama_trainer.errors import DomainError, NotFound


class Cancelled(DomainError):
    code = "cancelled"


@dataclass
class Folder:
    root: Path
    documents: list[Document] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)
    duplicate_chunks: int = 0
    skipped: list[SkippedFile] = field(default_factory=list)
    ignored_files: int = 0
    files: int = 0

    @property
    def pages(self) -> int:
        return sum(d.pages for d in self.documents)

    def nothing_to_read(self) -> DomainError:
        listed = "; ".join(f"{s.file}: {s.reason}" for s in self.skipped[:5])
        more = f"; and {len(self.skipped) - 5} more" if len(self.skipped) > 5 else ""
        if not self.files:
            what = "no PDF, Word (.docx), HTML, Markdown or text file"
            if self.ignored_files:
                what += f" ({self.ignored_files} file(s) of other types)"
        else:
            what = f"none of its {self.files} document(s) has text ({listed}{more})"
        return DomainError(f"nothing to index in {self.root}: {what}", code="no_documents")


def read_folder(source_dir: str | Path, chunk_tokens: int, overlap_tokens: int, count: Callable[[str], int], *,
                exclude: Path | None = None, max_chunks: int | None = None,
                cancel: threading.Event | None = None, patterns: list[str] | None = None) -> Folder:
    root = Path(source_dir).expanduser()
    if not root.is_dir():
        raise NotFound(f"folder of documents not found: {root}", code="documents_not_found")
    paths, ignored = list_documents(root, exclude=exclude, patterns=patterns)
    folder = Folder(root=root, ignored_files=ignored, files=len(paths))
    seen: set[str] = set()
    for path in paths:
        if cancel is not None and cancel.is_set():
            raise Cancelled(f"cancelled while reading {root} (nothing was asked yet)")
        document = read_document(path, root)
        if isinstance(document, SkippedFile):
            folder.skipped.append(document)
            continue
        folder.documents.append(document)
        for chunk in chunk_document(document, chunk_tokens, overlap_tokens, count):
            key = " ".join(chunk.text.split())
            if key in seen:
                folder.duplicate_chunks += 1
                continue
            seen.add(key)
            folder.chunks.append(chunk)
        if max_chunks is not None and len(folder.chunks) >= max_chunks:
            break
    return folder
