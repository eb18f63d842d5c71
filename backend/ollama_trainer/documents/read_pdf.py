"""PDF with pypdf: one section per page that has text, numbered from 1.

An encrypted PDF is read when it opens with the empty password (permissions only), and skipped
as "encrypted PDF (needs a password)" otherwise. A PDF whose pages give no text at all is most
likely scanned images: "no text (a scanned PDF?)". A page that fails alone is left out; the
rest of the document is still read."""

from __future__ import annotations

import io
import logging

from ollama_trainer.documents.models import Section
from ollama_trainer.documents.read_text import Unreadable

log = logging.getLogger(__name__)


def read_pdf(data: bytes, name: str = "") -> tuple[list[Section], int]:
    """(sections, pages in the file)."""
    from pypdf import PasswordType, PdfReader
    from pypdf.errors import DependencyError, PdfReadError, PyPdfError

    if not data.strip():
        raise Unreadable("empty file")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except DependencyError as exc:
                raise Unreadable(f"encrypted PDF ({exc})") from None
            if opened == PasswordType.NOT_DECRYPTED:
                raise Unreadable("encrypted PDF (needs a password)")
        pages = reader.pages
        count = len(pages)
    except Unreadable:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        raise Unreadable(f"not a valid PDF: {_short(exc)}") from None

    sections: list[Section] = []
    for number in range(count):
        try:
            text = pages[number].extract_text() or ""
        except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
                RecursionError, ZeroDivisionError) as exc:
            log.warning("%s page %d: no text read (%s)", name, number + 1, _short(exc))
            continue
        if text.strip():
            sections.append(Section(text=text, page=number + 1))
    if count == 0:
        raise Unreadable("no pages")
    if not sections:
        raise Unreadable("no text (a scanned PDF?)")
    return sections, count


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]
