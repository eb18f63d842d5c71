"""Did training help, and did the model keep what it knew? Two scores, from answers alone.

- learned: the share of held-out prompts whose trained answer meets the dataset's expectation
  (a check that is `contains`, `exact` or `regex`; for a prompt from the eval split, the
  dataset's own answer: enough of its content words in the trained answer).
- kept: of the probe prompts (general questions, probe.json) the base answered right (its
  answer holds the prompt's fact, or, for a prompt without one, says something), the share the
  trained model still answers right (the fact; for a prompt without one: the base's first words
  or mostly its content words), without the taught material where it does not belong (words
  that mark the dataset's answers, like a taught name, that the base never said there). A
  prompt the base got wrong (or answered with garbage) cannot show what was kept: it is
  reported apart, never counted as kept.
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
    kept: bool | None  # None: the base did not answer it right, so it shows nothing
    agrees: bool
    leaked: list[str]  # taught words found in the trained answer
    base_right: bool = True


def _holds(key: str, text: str) -> bool:
    return re.search(key, text, re.IGNORECASE) is not None


def kept(base: str, trained: str, *, key: str | None, markers: set[str]) -> Kept:
    leaked = sorted(markers & set(words(trained)) - set(words(base)))
    head = min(LEADING_WORDS, len(words(base)), len(words(trained)))
    same_start = head > 0 and words(base)[:head] == words(trained)[:head]
    a, b = content_words(base), content_words(trained)
    shared = bool(a and b) and len(a & b) / min(len(a), len(b)) >= SHARED_CONTENT
    if key:
        base_right, agrees = _holds(key, base), _holds(key, trained)
    else:
        base_right, agrees = bool(a), same_start or shared
    if not base_right:
        return Kept(None, agrees, leaked, base_right=False)
    return Kept(agrees and not leaked, agrees, leaked)


def share(values: list[bool | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(sum(known) / len(known), 4) if known else None
