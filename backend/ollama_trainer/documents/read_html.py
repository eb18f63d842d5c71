"""HTML: the text of the main content, with beautifulsoup4 and the standard library's parser.

The page furniture (script, style, nav, header, footer, aside, forms, ...) is dropped; the
content is `<main>`, else the first `<article>`, else `<body>`. Headings h1-h6 start sections
named by their heading trail; block elements end paragraphs; inline whitespace collapses as a
browser would show it. The encoding comes from a BOM or `<meta charset>` (bs4's detection)."""

from __future__ import annotations

import re

from ollama_trainer.documents.models import Section
from ollama_trainer.documents.read_text import Unreadable

SPACE = re.compile(r"\s+")
DROPPED = ("script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form", "svg",
           "iframe", "button", "select", "head")
HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
BLOCKS = {"p", "div", "section", "article", "main", "li", "ul", "ol", "dl", "dt", "dd", "pre", "blockquote",
          "table", "tr", "td", "th", "figure", "figcaption", "hr", "details", "summary", "address"}


def read_html(data: bytes) -> list[Section]:
    from bs4 import BeautifulSoup

    if not data.strip():
        raise Unreadable("empty file")
    soup = BeautifulSoup(data, "html.parser")
    for tag in soup.find_all(DROPPED):
        tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    return _Walker().sections_of(root)


class _Walker:
    def __init__(self) -> None:
        self.sections: list[Section] = []
        self.trail: list[tuple[int, str]] = []
        self.buffer: list[str] = []

    def sections_of(self, root) -> list[Section]:
        self._walk(root)
        self._flush()
        return self.sections

    def _flush(self) -> None:
        paragraphs = [" ".join(p.split()) for p in "".join(self.buffer).split("\n\n")]
        body = "\n\n".join(p for p in paragraphs if p)
        if body:
            self.sections.append(Section(text=body, heading=" > ".join(t for _, t in self.trail) or None))
        self.buffer.clear()

    def _walk(self, node) -> None:
        from bs4.element import NavigableString, PreformattedString, Tag

        for child in node.children:
            if isinstance(child, PreformattedString):  # comments, doctype, CDATA
                continue
            if isinstance(child, NavigableString):
                self.buffer.append(SPACE.sub(" ", str(child)))
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name.lower()
            if name in HEADINGS:
                self._flush()
                level = HEADINGS[name]
                title = " ".join(child.get_text(" ").split())
                while self.trail and self.trail[-1][0] >= level:
                    self.trail.pop()
                if title:
                    self.trail.append((level, title))
                    self.buffer.append(title + "\n\n")
            elif name == "br":
                self.buffer.append(" ")
            elif name in BLOCKS:
                self.buffer.append("\n\n")
                self._walk(child)
                self.buffer.append("\n\n")
            else:
                self._walk(child)
