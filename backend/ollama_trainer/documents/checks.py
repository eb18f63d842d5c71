"""Which of a teacher's pairs are kept, and why the others are not.

`parse_pairs(content)` reads the teacher's JSON answer: `{"pairs": [{"question", "answer",
"quote"}, ...]}`. An answer that is not such an object is `broken_json` (one count for the
chunk); an item that is not an object of strings is `malformed_pair`.

`PairChecker.check(pair, chunk_text)` keeps a pair when, in this order:
- the question is not empty (`empty_question`) and the answer is not empty (`empty_answer`);
- the quote is not empty (`empty_quote`) and has at least MIN_QUOTE_WORDS words
  (`quote_too_short`: "the" occurs in every chunk and proves nothing);
- the quote occurs in the chunk (`quote_not_in_chunk`) once both are normalized: Unicode NFKC,
  case-folded, curly quotes and dashes made plain, a hyphen after a letter dropped with the
  whitespace after it (a PDF's "mainte-\nnance" and "harbour-\nmaster" match "maintenance" and
  "harbour-master"), whitespace collapsed, and quotation marks or an ellipsis around the quote
  removed;
- the question is not a near-duplicate of a question kept before in the same run
  (`duplicate_question`): the Jaccard similarity of the two questions' sets of lower-case words
  is at least DUPLICATE_JACCARD (0.8). Word sets, not characters, so "What is X?" and "What's
  X?" differ but a reworded order of the same words does not; 0.8 lets two questions about
  different things that share a template ("What does the text say about A/B?") through when
  they differ in two or more of ten words. Candidates are found by prefix filtering, so the
  check stays fast with thousands of kept questions.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
import zlib
from dataclasses import dataclass

MIN_QUOTE_WORDS = 3
DUPLICATE_JACCARD = 0.8
WORD = re.compile(r"\w+")
PLAIN = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u201c": '"', "\u201d": '"',
                       "\u201e": '"', "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u00ad": None})
QUOTE_EDGES = " \t\n\"'`«»."
HYPHEN = re.compile(r"(?<=\w)-\s*")
ELLIPSIS = re.compile(r"^(?:\.\.\.|\u2026)\s*|\s*(?:\.\.\.|\u2026)$")


@dataclass(frozen=True)
class RawPair:
    question: str
    answer: str
    quote: str


class BrokenAnswer(Exception):
    """The teacher's answer is not the JSON object asked for."""


def parse_pairs(content: str) -> tuple[list[RawPair], int]:
    """(pairs, malformed items). Raises BrokenAnswer when the answer is not `{"pairs": [...]}`."""
    try:
        value = json.loads(content)
    except (ValueError, RecursionError) as exc:
        raise BrokenAnswer(f"not JSON: {exc}") from None
    if not isinstance(value, dict) or not isinstance(value.get("pairs"), list):
        raise BrokenAnswer('not an object with a "pairs" list')
    pairs: list[RawPair] = []
    malformed = 0
    for item in value["pairs"]:
        fields = [item.get(k) if isinstance(item, dict) else None for k in ("question", "answer", "quote")]
        if not all(isinstance(f, str) for f in fields):
            malformed += 1
            continue
        pairs.append(RawPair(*(f.strip() for f in fields)))
    return pairs, malformed


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(PLAIN).casefold()
    return " ".join(HYPHEN.sub("", text).split())


def normalize_quote(quote: str) -> str:
    text = normalize(quote)
    previous = None
    while previous != text:
        previous = text
        text = ELLIPSIS.sub("", text).strip(QUOTE_EDGES)
    return text


def question_words(question: str) -> frozenset[str]:
    return frozenset(WORD.findall(normalize(question)))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


class PairChecker:
    """Checks pairs one chunk after another; remembers the questions it kept."""

    def __init__(self, threshold: float = DUPLICATE_JACCARD):
        self.threshold = threshold
        self._kept: list[frozenset[str]] = []
        self._index: dict[str, list[int]] = {}  # prefix token -> kept question numbers
        self._chunk_key: str | None = None
        self._chunk_norm = ""

    def check(self, pair: RawPair, chunk_text: str) -> str | None:
        """None when the pair is kept (and remembered), else the reason it is rejected."""
        if not pair.question.strip():
            return "empty_question"
        if not pair.answer.strip():
            return "empty_answer"
        quote = normalize_quote(pair.quote)
        if not quote:
            return "empty_quote"
        if len(quote.split()) < MIN_QUOTE_WORDS:
            return "quote_too_short"
        if quote not in self._normalized(chunk_text):
            return "quote_not_in_chunk"
        words = question_words(pair.question)
        if self._near_duplicate(words):
            return "duplicate_question"
        self._remember(words)
        return None

    def _normalized(self, chunk_text: str) -> str:
        if chunk_text is not self._chunk_key:
            self._chunk_key = chunk_text
            self._chunk_norm = normalize(chunk_text)
        return self._chunk_norm

    def _prefix(self, words: frozenset[str]) -> list[str]:
        """Any two sets with Jaccard >= t share a word among their first |A| - ceil(t|A|) + 1
        words in one fixed global order (here a stable hash)."""
        ordered = sorted(words, key=lambda w: (zlib.crc32(w.encode()), w))
        return ordered[:len(ordered) - math.ceil(self.threshold * len(ordered)) + 1]

    def _near_duplicate(self, words: frozenset[str]) -> bool:
        candidates = {i for w in self._prefix(words) for i in self._index.get(w, ())}
        if not words:
            candidates = set(range(len(self._kept)))
        return any(jaccard(words, self._kept[i]) >= self.threshold for i in candidates)

    def _remember(self, words: frozenset[str]) -> None:
        number = len(self._kept)
        self._kept.append(words)
        for w in self._prefix(words):
            self._index.setdefault(w, []).append(number)
