"""Chunks of a document by tokens, with overlap and provenance.

The splitting is the INDEX step's (`datasets.index.chunk_text`: paragraphs packed up to the
budget, a paragraph too big split into sentences, a sentence too big into words), applied to a
document's sections joined by blank lines, so a paragraph never spans two pages or headings.
Each chunk's body has at most `chunk_tokens - overlap_tokens` tokens; then it is prefixed with
the last words of the chunk before it (at most `overlap_tokens` tokens, and never so many that
the chunk passes `chunk_tokens`). A single word longer than the budget is the one exception, as
in INDEX.

Provenance is exact: `chunk_text` only ever drops whitespace, so the words of the chunks, in
order, are the words of the document, and each word's section (page, heading) is known.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable

from ollama_trainer.datasets.index import chunk_text
from ollama_trainer.documents.models import Chunk, Document
from ollama_trainer.errors import InvalidArgument


def chunk_document(document: Document, chunk_tokens: int, overlap_tokens: int,
                   count: Callable[[str], int]) -> list[Chunk]:
    if chunk_tokens < 1:
        raise InvalidArgument(f"chunk_tokens must be at least 1, not {chunk_tokens}")
    if overlap_tokens < 0 or overlap_tokens * 2 > chunk_tokens:
        raise InvalidArgument(f"overlap_tokens must be between 0 and half of chunk_tokens ({chunk_tokens}), "
                              f"not {overlap_tokens}")
    words: list[str] = []
    starts: list[int] = []  # index of each section's first word
    for section in document.sections:
        starts.append(len(words))
        words.extend(section.text.split())
    text = "\n\n".join(section.text for section in document.sections)

    chunks: list[Chunk] = []
    position = 0
    previous: tuple[int, int] | None = None  # word range of the last body
    for body in chunk_text(text, chunk_tokens - overlap_tokens, count):
        n = len(body.split())
        begin, end = position, position + n
        position = end
        taken = 0
        chunk = body
        if overlap_tokens and previous is not None:
            taken, chunk = _with_overlap(words, previous, body, overlap_tokens, chunk_tokens, count)
        previous = (begin, end)
        first = _section_at(starts, begin - taken)
        last = _section_at(starts, end - 1)
        covered = document.sections[first:last + 1]
        pages = tuple(sorted({s.page for s in covered if s.page is not None}))
        headings = tuple(dict.fromkeys(s.heading for s in covered if s.heading))
        chunks.append(Chunk(id=f"{document.file}#{len(chunks) + 1}", file=document.file, text=chunk,
                            tokens=count(chunk), pages=pages, sections=headings))
    return chunks


def _with_overlap(words: list[str], previous: tuple[int, int], body: str, overlap: int, limit: int,
                  count: Callable[[str], int]) -> tuple[int, str]:
    """(words taken from the end of the previous body, the chunk text): the most words whose
    text fits in `overlap` tokens and leaves the whole chunk within `limit` (binary search)."""
    begin, end = previous

    def joined(k: int) -> tuple[bool, str]:
        tail = " ".join(words[end - k:end])
        text = tail + " " + body
        return count(tail) <= overlap and count(text) <= limit, text

    low, high, best = 1, end - begin, (0, body)
    while low <= high:
        middle = (low + high) // 2
        fits, text = joined(middle)
        if fits:
            best = (middle, text)
            low = middle + 1
        else:
            high = middle - 1
    return best


def _section_at(starts: list[int], word: int) -> int:
    return max(0, bisect.bisect_right(starts, word) - 1)


def describe(file: str, pages: Iterable[int], sections: Iterable[str]) -> str:
    """'manual.pdf p. 3-4', 'guide.md > Install', or just the file."""
    pages = list(pages)
    sections = [s for s in sections if s]
    if pages:
        where = f"p. {pages[0]}" if len(pages) == 1 else f"p. {pages[0]}-{pages[-1]}"
        return f"{file} {where}"
    if sections:
        return f"{file} > {sections[0]}" + (" ..." if len(sections) > 1 else "")
    return file
