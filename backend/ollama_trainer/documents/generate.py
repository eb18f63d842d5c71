"""From a chunk to its kept pairs: the cache or the teacher, then the checks, with counts.

A request that fails alone (TeacherFailed) is counted as `teacher_error` for that chunk and is
not cached, so a later run asks again; MAX_TEACHER_ERRORS_IN_A_ROW failures in a row stop the
job (DomainError `teacher_failing`), since Ollama is then most likely not going to answer.
Pairs past the N asked for are counted as `extra_pair` and dropped.
"""

from __future__ import annotations

import logging
import time

from ollama_trainer.documents.cache import TeacherCache, cache_key
from ollama_trainer.documents.checks import BrokenAnswer, PairChecker, parse_pairs
from ollama_trainer.documents.chunking import describe
from ollama_trainer.documents.models import Chunk, Pair, Rejections, RowSource
from ollama_trainer.documents.teacher import PROMPT_VERSION, SYSTEM_PROMPT, Teacher, TeacherFailed
from ollama_trainer.errors import DomainError

log = logging.getLogger(__name__)
MAX_TEACHER_ERRORS_IN_A_ROW = 5


def source_of(chunk: Chunk, quote: str | None) -> RowSource:
    return RowSource(file=chunk.file, pages=list(chunk.pages), sections=list(chunk.sections), chunk_id=chunk.id,
                     quote=quote, label=describe(chunk.file, chunk.pages, chunk.sections))


class PairMaker:
    def __init__(self, teacher: Teacher, cache: TeacherCache, teacher_name: str, pairs_per_chunk: int):
        self.teacher = teacher
        self.cache = cache
        self.teacher_name = teacher_name
        self.pairs_per_chunk = pairs_per_chunk
        self.checker = PairChecker()
        self.rejected = Rejections()
        self.kept = 0
        self.calls = 0
        self.cached = 0
        self.teacher_s = 0.0
        self._errors_in_a_row = 0

    def key(self, chunk: Chunk) -> str:
        return cache_key(chunk.text, self.teacher_name, PROMPT_VERSION, SYSTEM_PROMPT, self.pairs_per_chunk)

    def is_cached(self, chunk: Chunk) -> bool:
        return self.cache.get(self.key(chunk)) is not None

    def pairs_for(self, chunk: Chunk) -> list[Pair]:
        key = self.key(chunk)
        content = self.cache.get(key)
        if content is None:
            content = self._ask(chunk)
            if content is None:
                return []
            self.cache.put(key, chunk.id, self.teacher_name, content)
        else:
            self.cached += 1
        return self.check(chunk, content)

    def _ask(self, chunk: Chunk) -> str | None:
        started = time.monotonic()
        self.calls += 1
        try:
            content = self.teacher.ask(chunk.text)
        except TeacherFailed as exc:
            self.rejected.add("teacher_error")
            self._errors_in_a_row += 1
            log.warning("teacher failed on %s: %s", chunk.id, exc)
            if self._errors_in_a_row >= MAX_TEACHER_ERRORS_IN_A_ROW:
                raise DomainError(
                    f"the teacher '{self.teacher_name}' at {self.teacher.host} failed on {self._errors_in_a_row} "
                    f"chunks in a row (last: {exc}); check Ollama, then run again: chunks already answered are "
                    "not asked again", code="teacher_failing") from exc
            return None
        finally:
            self.teacher_s += time.monotonic() - started
        self._errors_in_a_row = 0
        return content

    def check(self, chunk: Chunk, content: str) -> list[Pair]:
        try:
            raw, malformed = parse_pairs(content)
        except BrokenAnswer as exc:
            log.info("%s: broken answer (%s)", chunk.id, exc)
            self.rejected.add("broken_json")
            return []
        if malformed:
            self.rejected.add("malformed_pair", malformed)
        if len(raw) > self.pairs_per_chunk:
            self.rejected.add("extra_pair", len(raw) - self.pairs_per_chunk)
            raw = raw[:self.pairs_per_chunk]
        kept: list[Pair] = []
        for pair in raw:
            reason = self.checker.check(pair, chunk.text)
            if reason is not None:
                self.rejected.add(reason)
                continue
            kept.append(Pair(question=pair.question, answer=pair.answer, quote=pair.quote,
                             source=source_of(chunk, pair.quote)))
        self.kept += len(kept)
        return kept
