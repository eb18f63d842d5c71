"""Which teacher pairs are kept and how rejections are counted; the split by document; the cache."""

from __future__ import annotations

import itertools
import json
import random

import pytest

from ollama_trainer.documents.cache import TeacherCache, cache_key
from ollama_trainer.documents.checks import (DUPLICATE_JACCARD, BrokenAnswer, PairChecker, RawPair, jaccard,
                                             normalize_quote, parse_pairs, question_words)
from ollama_trainer.documents.generate import MAX_TEACHER_ERRORS_IN_A_ROW, PairMaker
from ollama_trainer.documents.models import Chunk
from ollama_trainer.documents.split import held_out_count, split_documents
from ollama_trainer.documents.teacher import TeacherFailed, pairs_schema
from ollama_trainer.errors import DomainError

CHUNK = ("The harbour opens at dawn. Boats must sound a horn twice before leaving.\n"
         "The harbour master’s office is closed on Sundays. It pays for the mainte-\nnance of the pier.")


# -- parsing -----------------------------------------------------------------------------------

def test_parse_pairs_reads_the_schema_shape():
    content = json.dumps({"pairs": [{"question": " Q? ", "answer": "A.", "quote": "x y z"},
                                    {"question": "Q2", "answer": 3, "quote": "x"}, "not an object"]})
    pairs, malformed = parse_pairs(content)
    assert pairs == [RawPair("Q?", "A.", "x y z")]
    assert malformed == 2


@pytest.mark.parametrize("content", ['{"pairs": [{"question": "What', "[]", '{"pairs": {}}', '{"other": []}', ""])
def test_broken_answers(content):
    with pytest.raises(BrokenAnswer):
        parse_pairs(content)


def test_the_schema_asks_for_up_to_n_pairs_of_three_strings():
    schema = pairs_schema(4)
    items = schema["properties"]["pairs"]
    assert items["maxItems"] == 4 and items["minItems"] == 1
    assert items["items"]["required"] == ["question", "answer", "quote"]


# -- the checks --------------------------------------------------------------------------------

@pytest.mark.parametrize("pair,reason", [
    (RawPair("", "It opens at dawn.", "The harbour opens at dawn."), "empty_question"),
    (RawPair("When does it open?", "  ", "The harbour opens at dawn."), "empty_answer"),
    (RawPair("When does it open?", "At dawn.", ""), "empty_quote"),
    (RawPair("When does it open?", "At dawn.", "at dawn"), "quote_too_short"),
    (RawPair("When does it open?", "At dawn.", "The harbour opens at noon."), "quote_not_in_chunk"),
    (RawPair("When does it open?", "At dawn.", "The harbour opens at dawn."), None),
])
def test_each_reason(pair, reason):
    assert PairChecker().check(pair, CHUNK) == reason


@pytest.mark.parametrize("quote", [
    "the HARBOUR opens   at dawn",                              # case and whitespace
    '"Boats must sound a horn twice before leaving."',          # quotation marks around it
    "...must sound a horn twice…",                              # ellipses
    "leaving. The harbour master's office",                     # a line break in the chunk, a plain apostrophe
    "the maintenance of the pier",                              # a word a PDF split over two lines
])
def test_quotes_are_matched_normalized(quote):
    assert PairChecker().check(RawPair("Q one two?", "An answer.", quote), CHUNK) is None
    assert normalize_quote(quote) in normalize_quote(CHUNK)


def test_near_duplicate_questions_are_rejected_after_the_first():
    checker = PairChecker()
    quote = "The harbour opens at dawn."
    keep = lambda q: checker.check(RawPair(q, "At dawn.", quote), CHUNK)  # noqa: E731
    assert keep("When does the harbour open in the morning?") is None
    assert keep("When does the harbour open in the morning?") == "duplicate_question"
    assert keep("when does THE harbour open, in the morning") == "duplicate_question"  # case, punctuation
    assert keep("In the morning, when does the harbour open?") == "duplicate_question"  # same words
    assert keep("When does the harbour close in the evening?") is None  # 5 of 9 words shared
    assert jaccard(question_words("a b c d e f g h"), question_words("a b c d e f g h i j")) == DUPLICATE_JACCARD


def test_the_prefix_index_finds_what_brute_force_finds():
    rng = random.Random(7)
    vocabulary = [f"w{i}" for i in range(12)]
    questions = [" ".join(rng.sample(vocabulary, rng.randint(2, 8))) for _ in range(400)]
    checker = PairChecker()
    kept: list[frozenset] = []
    for q in questions:
        words = question_words(q)
        expected = any(jaccard(words, k) >= DUPLICATE_JACCARD for k in kept)
        got = checker.check(RawPair(q, "An answer.", "The harbour opens at dawn."), CHUNK)
        assert (got == "duplicate_question") == expected, q
        if not expected:
            kept.append(words)
    assert 20 < len(kept) < 400


# -- counting, with a teacher that is a plain object ----------------------------------------------

class ScriptedTeacher:
    host = "http://127.0.0.1:1"

    def __init__(self, answers):
        self.answers = list(answers)
        self.asked = []

    def ask(self, text):
        self.asked.append(text)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def chunk(n: int, text: str = CHUNK) -> Chunk:
    return Chunk(id=f"a.md#{n}", file="a.md", text=f"{text} Number {n}.", tokens=30)


def answer(*pairs) -> str:
    return json.dumps({"pairs": [{"question": q, "answer": a, "quote": quote} for q, a, quote in pairs]})


def test_every_rejection_is_counted_by_reason(tmp_path):
    good = ("When does the harbour open?", "At dawn.", "The harbour opens at dawn.")
    teacher = ScriptedTeacher([
        answer(good, ("How often is the horn sounded?", "", "sound a horn twice"),
               ("Who closes on Sundays?", "The office.", "closed on Mondays")),
        "{not json",
        TeacherFailed("Ollama answered 500"),
        answer(good, ("What about the horn?", "Twice.", "Boats must sound a horn"),
               ("Is the office open on Sunday?", "No.", "closed on Sundays"),
               ("One more than asked?", "Yes.", "The harbour opens")),
    ])
    maker = PairMaker(teacher, TeacherCache(tmp_path), "t:latest", pairs_per_chunk=3)
    kept = [maker.pairs_for(chunk(n)) for n in range(4)]
    assert [len(k) for k in kept] == [1, 0, 0, 2]
    assert maker.rejected.as_dict() == {"broken_json": 1, "duplicate_question": 1, "empty_answer": 1,
                                        "extra_pair": 1, "quote_not_in_chunk": 1, "teacher_error": 1}
    assert maker.kept == 3 and maker.calls == 4
    assert kept[0][0].source.chunk_id == "a.md#0" and kept[0][0].source.quote == good[2]
    assert len(maker.cache) == 3  # the failed request is not cached


def test_teacher_errors_in_a_row_stop_the_job(tmp_path):
    teacher = ScriptedTeacher([TeacherFailed("Ollama answered 500")] * MAX_TEACHER_ERRORS_IN_A_ROW)
    maker = PairMaker(teacher, TeacherCache(tmp_path), "t:latest", pairs_per_chunk=2)
    for n in range(MAX_TEACHER_ERRORS_IN_A_ROW - 1):
        assert maker.pairs_for(chunk(n)) == []
    with pytest.raises(DomainError) as stopped:
        maker.pairs_for(chunk(99))
    assert stopped.value.code == "teacher_failing"
    assert "t:latest" in stopped.value.message and "500" in stopped.value.message


def test_cached_answers_are_not_asked_again_and_checked_the_same(tmp_path):
    content = answer(("When does the harbour open?", "At dawn.", "The harbour opens at dawn."))
    first = PairMaker(ScriptedTeacher([content]), TeacherCache(tmp_path), "t:latest", 1)
    asked_first = first.pairs_for(chunk(1))
    teacher = ScriptedTeacher([])  # would fail (pop from an empty list) if it were asked
    again = PairMaker(teacher, TeacherCache(tmp_path), "t:latest", 1)
    assert again.pairs_for(chunk(1)) == asked_first and len(asked_first) == 1
    assert teacher.asked == [] and again.cached == 1 and again.calls == 0 and again.kept == 1


# -- the cache ---------------------------------------------------------------------------------

def test_the_cache_key_covers_text_teacher_prompt_and_pairs():
    base = ("text", "t:latest", "qa-v1", "system", 3)
    keys = {cache_key(*base)}
    for i, other in enumerate(("text!", "u:latest", "qa-v2", "system!", 4)):
        changed = list(base)
        changed[i] = other
        keys.add(cache_key(*changed))
    assert len(keys) == 6
    assert cache_key(*base) == cache_key(*base)


def test_a_torn_last_line_of_the_cache_is_skipped(tmp_path):
    cache = TeacherCache(tmp_path)
    cache.put("k1", "a#1", "t", "one")
    cache.put("k2", "a#2", "t", "two")
    data = cache.path.read_bytes()
    cache.path.write_bytes(data[: len(data) - 12])  # a crash in the middle of the second append
    reopened = TeacherCache(tmp_path)
    assert reopened.get("k1") == "one" and reopened.get("k2") is None
    reopened.put("k3", "a#3", "t", "three")
    assert TeacherCache(tmp_path).get("k3") == "three"  # not glued to the fragment


# -- the split ---------------------------------------------------------------------------------

@pytest.mark.parametrize("n,fraction,expected", [(0, 0.1, 0), (1, 0.5, 0), (2, 0.1, 1), (5, 0.1, 1), (10, 0.1, 1),
                                                 (10, 0.3, 3), (3, 0.5, 2), (4, 0.0, 0)])
def test_how_many_documents_are_held_out(n, fraction, expected):
    assert held_out_count(n, fraction) == expected


def test_the_split_is_by_whole_document_and_deterministic():
    files = [f"doc{i}.pdf" for i in range(20)]
    train, held = split_documents(files, 0.2, seed=1)
    assert len(held) == 4 and not set(train) & set(held) and sorted(train + held) == sorted(files)
    assert split_documents(files, 0.2, seed=1) == (train, held)
    assert split_documents(files, 0.2, seed=2)[1] != held
    assert [f for f in files if f in held] == held  # in the order given


def test_adding_a_document_does_not_reshuffle_the_others():
    files = [f"doc{i}.md" for i in range(30)]
    _, held = split_documents(files, 0.1, seed=3)
    _, held_more = split_documents(files + ["new.md"], 0.1, seed=3)
    assert len(held) == len(held_more) == 3
    assert set(held_more) <= set(held) | {"new.md"}  # at most the new one takes a place


def test_every_pair_of_small_folders_holds_one_document_out():
    for n in range(2, 8):
        files = [f"f{i}" for i in range(n)]
        for seed in range(5):
            train, held = split_documents(files, 0.1, seed)
            assert len(held) == 1 and len(train) == n - 1
    assert list(itertools.chain(*split_documents(["only.pdf"], 0.5, 0))) == ["only.pdf"]
