"""Plain text and Markdown: decode the bytes, and split Markdown at its ATX headings (`# ...`,
outside fenced code) into sections named by their heading trail ("Guide > Install").
The heading lines stay in the text: they give a chunk (and a teacher) its context."""

from __future__ import annotations

import re

from ollama_trainer.documents.models import Section

BOM_UTF8 = b"\xef\xbb\xbf"
HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$")
FENCE = re.compile(r"^ {0,3}(```|~~~)")


class Unreadable(Exception):
    """The file is skipped; the message is the reason shown to a person."""


def decode(data: bytes) -> str:
    """UTF-8 (a BOM allowed), or UTF-16 with its BOM."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise Unreadable(f"not valid UTF-16 (at offset {exc.start})") from None
    try:
        return data.removeprefix(BOM_UTF8).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Unreadable(f"not valid UTF-8 (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})") from None


def read_plain(data: bytes) -> list[Section]:
    text = decode(data)
    return [Section(text=text)] if text.strip() else []


def read_markdown(data: bytes) -> list[Section]:
    return markdown_sections(decode(data))


def markdown_sections(text: str) -> list[Section]:
    sections: list[Section] = []
    trail: list[tuple[int, str]] = []  # (level, title) of the headings above this point
    lines: list[str] = []
    in_fence = False

    def flush() -> None:
        body = "\n".join(lines)
        if body.strip():
            sections.append(Section(text=body, heading=" > ".join(t for _, t in trail) or None))
        lines.clear()

    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if FENCE.match(line):
            in_fence = not in_fence
        match = None if in_fence else HEADING.match(line)
        if match:
            flush()
            level = len(match.group(1))
            while trail and trail[-1][0] >= level:
                trail.pop()
            trail.append((level, match.group(2).strip()))
        lines.append(line)
    flush()
    return sections
