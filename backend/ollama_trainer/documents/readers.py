"""Finding and reading the documents of a folder.

`list_documents(root)` walks the folder recursively (symlinked folders not followed) and
returns the supported files sorted by their POSIX path relative to the folder, so every run
sees the same files in the same order. Hidden files and folders (".git", ".DS_Store"), Office
lock files ("~$report.docx") and an `exclude` folder (the output folder, when it lies inside)
are passed over; files of other types are counted as ignored.

`read_document(path, root)` returns a Document, or a SkippedFile whose reason a person can act
on ("encrypted PDF (needs a password)", "not a valid PDF: ...", "no text (a scanned PDF?)",
"not valid UTF-8 (...)", "empty file"). It never raises for a bad file.
"""

from __future__ import annotations

import fnmatch
import logging
import os
from pathlib import Path

from ollama_trainer.documents.models import Document, DocumentKind, SkippedFile
from ollama_trainer.documents.read_docx import read_docx
from ollama_trainer.documents.read_html import read_html
from ollama_trainer.documents.read_pdf import read_pdf
from ollama_trainer.documents.read_text import Unreadable, read_markdown, read_plain

log = logging.getLogger(__name__)

KINDS: dict[str, DocumentKind] = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
}


def kind_of(path: Path) -> DocumentKind | None:
    return KINDS.get(path.suffix.lower())


def list_documents(root: Path, exclude: Path | None = None,
                   patterns: list[str] | None = None) -> tuple[list[Path], int]:
    """(supported files in order, how many other files were ignored). With `patterns` (file
    name globs such as "*.md"), only the supported files whose name matches one are read."""
    root = Path(root)
    excluded = exclude.resolve() if exclude is not None else None
    found: list[Path] = []
    ignored = 0
    for folder, dirs, files in os.walk(root, followlinks=False):
        here = Path(folder)
        dirs[:] = [d for d in dirs if not d.startswith(".") and (excluded is None or (here / d).resolve() != excluded)]
        for name in files:
            if name.startswith((".", "~$")):
                continue
            path = here / name
            if kind_of(path) is None or (patterns and not any(fnmatch.fnmatch(name.lower(), p.lower())
                                                                for p in patterns)):
                ignored += 1
            elif path.is_file():
                found.append(path)
    found.sort(key=lambda p: p.relative_to(root).as_posix())
    return found, ignored


def read_document(path: Path, root: Path) -> Document | SkippedFile:
    relative = Path(path).relative_to(root).as_posix()
    kind = kind_of(Path(path))
    if kind is None:
        return SkippedFile(file=relative, reason=f"unsupported file type '{Path(path).suffix}'")
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return SkippedFile(file=relative, reason=f"cannot read: {exc.strerror or exc}")
    pages = 0
    try:
        if kind == "pdf":
            sections, pages = read_pdf(data, relative)
        elif kind == "docx":
            sections = read_docx(data)
        elif kind == "html":
            sections = read_html(data)
        elif kind == "markdown":
            sections = read_markdown(data)
        else:
            sections = read_plain(data)
    except Unreadable as exc:
        return SkippedFile(file=relative, reason=str(exc))
    except RecursionError:
        return SkippedFile(file=relative, reason="nested too deeply to read")
    except Exception as exc:  # a reader library's own bug must not stop the folder
        log.warning("%s: reader failed", relative, exc_info=True)
        return SkippedFile(file=relative, reason=f"could not be read ({type(exc).__name__}: {exc})")
    if not sections:
        return SkippedFile(file=relative, reason="empty file" if not data.strip() else "no text")
    return Document(file=relative, kind=kind, sections=tuple(sections), pages=pages)
