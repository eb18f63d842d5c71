"""Did training help, and did the model keep what it knew? Two scores, from answers alone.

- learned: the share of held-out prompts whose trained answer meets the dataset's expectation
  (a check that is `contains`, `exact` or `regex`; for a prompt from the eval split, the
  dataset's own answer: enough of its content words in the trained answer).
- kept: the share of probe prompts (general questions, probe.json) whose trained answer still
  agrees with the base model's answer (the same first words, the right fact when the prompt
  has one, or mostly the same content words) and does not carry the taught material where it does not belong (words that
  mark the dataset's answers, like a taught name, that the base never said there).
Pure functions: no model, no torch.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

LEADING_WORDS = 4  # answers that start with the same words say the same thing
SHARED_CONTENT = 0.5  # ... or that share this much of their content words (of the shorter answer)
CONTENT_RECALL = 0.6  # an eval-split answer is learned when it holds this share of the expected content words
MARKER_SHARE = 0.25  # a word marks the taught material when this share of the dataset's answers has it
_WORD = re.compile(r"[\w'-]+", re.UNICODE)
STOPWORDS = frozenset("""a an and are as at be but by can do for from has have how i in is it its made
me my of on or so that the this to was we what when which who will with you your am not they them he she
there here then than about into out up down over just also very more most some any all one two""".split())


@dataclass(frozen=True)
class Check:
    mode: str  # "contains", "exact" or "regex"
    value: str

    def holds(self, answer: str) -> bool:
        if self.mode == "exact":
            return _norm(answer) == _norm(self.value)
        if self.mode == "regex":
            return re.search(self.value, answer, re.IGNORECASE) is not None
        return _norm(self.value) in _norm(answer)


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def content_words(text: str) -> set[str]:
    return {w for w in words(text) if len(w) > 2 and w not in STOPWORDS}


def learned(answer: str, *, check: Check | None = None, expected: str | None = None) -> bool | None:
    """Whether a held-out answer is what the dataset teaches; None when nothing says what to expect."""
    if check is not None:
        return check.holds(answer)
    if expected:
        wanted = content_words(expected)
        if not wanted:
            return _norm(expected) in _norm(answer)
        return len(wanted & content_words(answer)) / len(wanted) >= CONTENT_RECALL
    return None


def taught_markers(dataset_answers: list[str], general_texts: list[str]) -> set[str]:
    """Words that mark the taught material: in a good share of the dataset's answers, and in
    none of the general texts (the probe prompts and the base model's own answers to them)."""
    if not dataset_answers:
        return set()
    counts = Counter(w for a in dataset_answers for w in content_words(a))
    general = set().union(*(set(words(t)) for t in general_texts)) if general_texts else set()
    need = max(2, int(MARKER_SHARE * len(dataset_answers)))
    return {w for w, n in counts.items() if n >= need and w not in general}


@dataclass(frozen=True)
class Kept:
    kept: bool
    agrees: bool
    leaked: list[str]  # taught words found in the trained answer


def kept(base: str, trained: str, *, key: str | None, markers: set[str]) -> Kept:
    leaked = sorted(markers & set(words(trained)) - set(words(base)))
    head = min(LEADING_WORDS, len(words(base)), len(words(trained)))
    same_start = head > 0 and words(base)[:head] == words(trained)[:head]
    right_fact = bool(key) and re.search(key, trained, re.IGNORECASE) is not None
    a, b = content_words(base), content_words(trained)
    shared = bool(a and b) and len(a & b) / min(len(a), len(b)) >= SHARED_CONTENT
    agrees = same_start or right_fact or shared
    return Kept(agrees and not leaked, agrees, leaked)


def share(values: list[bool | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(sum(known) / len(known), 4) if known else None
