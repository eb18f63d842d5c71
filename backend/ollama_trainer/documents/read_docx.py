"""Word documents (.docx) with python-docx: paragraphs and tables in document order, split into
sections at paragraphs styled Title or Heading N. A table row becomes one line, its cells joined
by " | ". DOCX has no page numbers (Word lays the pages out when it opens the file)."""

from __future__ import annotations

import io
import re
import zipfile

from ollama_trainer.documents.models import Section
from ollama_trainer.documents.read_text import Unreadable

HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)


def read_docx(data: bytes) -> list[Section]:
    import docx
    from docx.opc.exceptions import OpcError
    from docx.table import Table

    if not data.strip():
        raise Unreadable("empty file")
    try:
        document = docx.Document(io.BytesIO(data))
        blocks = list(document.iter_inner_content())
    except (OpcError, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise Unreadable(f"not a valid Word document: {str(exc).strip() or type(exc).__name__}") from None

    sections: list[Section] = []
    trail: list[tuple[int, str]] = []
    lines: list[str] = []

    def flush() -> None:
        body = "\n\n".join(lines)
        if body.strip():
            sections.append(Section(text=body, heading=" > ".join(t for _, t in trail) or None))
        lines.clear()

    for block in blocks:
        if isinstance(block, Table):
            rows = []
            for row in block.rows:
                cells = [" ".join(cell.text.split()) for cell in row.cells]
                if any(cells):
                    rows.append(" | ".join(cells))
            if rows:
                lines.append("\n".join(rows))
            continue
        text = block.text.strip()
        if not text:
            continue
        level = _heading_level(block)
        if level is not None:
            flush()
            while trail and trail[-1][0] >= level:
                trail.pop()
            trail.append((level, " ".join(text.split())))
        lines.append(text)
    flush()
    return sections


def _heading_level(paragraph) -> int | None:
    try:
        name = (paragraph.style.name or "") if paragraph.style is not None else ""
    except (KeyError, ValueError):
        return None
    if name.lower() == "title":
        return 0
    match = HEADING_STYLE.match(name.strip())
    return int(match.group(1)) if match else None
