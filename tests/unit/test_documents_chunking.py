"""Chunking by tokens with overlap: token limits, the overlap, exact provenance, the tokenizer."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from ollama_trainer.datasets.index import approx_tokens
from ollama_trainer.documents import DocumentsRequest, read_folder, token_counter
from ollama_trainer.documents.chunking import chunk_document, describe
from ollama_trainer.documents.models import Document, Section
from ollama_trainer.errors import InvalidArgument


def sentences(n: int, stem: str) -> str:
    return " ".join(f"{stem} sentence {i} has exactly seven words." for i in range(n))


def pdf_like(pages: list[str]) -> Document:
    return Document(file="m.pdf", kind="pdf", sections=tuple(Section(t, page=i + 1) for i, t in enumerate(pages)),
                    pages=len(pages))


def char_tokens(text: str) -> int:
    """A stricter counter than words: one token per 4 characters."""
    return -(-len(text) // 4)


@pytest.mark.parametrize("count", [approx_tokens, char_tokens])
@pytest.mark.parametrize("size,overlap", [(32, 0), (32, 8), (64, 16), (100, 50)])
def test_every_chunk_stays_within_the_budget(count, size, overlap):
    doc = pdf_like([sentences(30, f"p{p}") for p in range(4)])
    chunks = chunk_document(doc, size, overlap, count)
    assert len(chunks) > 4
    for chunk in chunks:
        assert chunk.tokens == count(chunk.text) <= size, chunk


def test_without_overlap_the_chunks_are_the_document_word_for_word():
    doc = pdf_like([sentences(20, "a"), sentences(15, "b")])
    chunks = chunk_document(doc, 40, 0, approx_tokens)
    words = [w for s in doc.sections for w in s.text.split()]
    assert [w for c in chunks for w in c.text.split()] == words


def test_each_chunk_begins_with_the_end_of_the_one_before():
    doc = pdf_like([sentences(40, "x")])
    overlap = 10
    plain = chunk_document(doc, 48, 0, approx_tokens)
    chunks = chunk_document(doc, 48, overlap, approx_tokens)
    for before, chunk in zip(chunks, chunks[1:]):
        words = chunk.text.split()
        # the longest head of this chunk that the chunk before ends with
        shared = max(k for k in range(len(words) + 1) if before.text.split()[len(before.text.split()) - k:] == words[:k])
        assert shared > 0
        assert approx_tokens(" ".join(words[:shared])) <= overlap
    assert len(chunks) > len(plain)  # the bodies are smaller by the overlap


def test_chunks_know_their_pages_and_headings():
    doc = pdf_like(["Alpha " * 29 + "Alpha.", "Beta " * 29 + "Beta.", "Gamma " * 29 + "Gamma."])
    chunks = chunk_document(doc, 50, 10, approx_tokens)
    for chunk in chunks:
        found = {p for p, name in ((1, "Alpha"), (2, "Beta"), (3, "Gamma")) if name in chunk.text}
        assert set(chunk.pages) == found, chunk
    assert any(len(c.pages) == 2 for c in chunks)  # the overlap carries a page into the next chunk
    assert [c.id for c in chunks] == [f"m.pdf#{i}" for i in range(1, len(chunks) + 1)]

    md = Document(file="g.md", kind="markdown", sections=(
        Section("# Guide\n\n" + sentences(3, "g"), heading="Guide"),
        Section("## Install\n\n" + sentences(3, "i"), heading="Guide > Install")))
    (only,) = chunk_document(md, 500, 0, approx_tokens)
    assert only.sections == ("Guide", "Guide > Install") and only.pages == ()


def test_labels_for_people():
    assert describe("m.pdf", [3], []) == "m.pdf p. 3"
    assert describe("m.pdf", [3, 4], ["x"]) == "m.pdf p. 3-4"
    assert describe("g.md", [], ["Guide > Install"]) == "g.md > Guide > Install"
    assert describe("a.txt", [], []) == "a.txt"


def test_overlap_must_leave_room_for_the_text():
    doc = pdf_like(["Some text."])
    with pytest.raises(InvalidArgument):
        chunk_document(doc, 32, 17, approx_tokens)
    with pytest.raises(ValidationError, match="at most half"):
        DocumentsRequest(source_dir="a", output_dir="b", chunk_tokens=64, overlap_tokens=40)


def test_identical_chunks_in_two_files_are_kept_once(tmp_path):
    (tmp_path / "a.md").write_text("The footer repeats on every page.")
    (tmp_path / "b.md").write_text("The footer repeats on every page.")
    (tmp_path / "c.md").write_text("Something else entirely.")
    folder = read_folder(tmp_path, 64, 0, approx_tokens)
    assert [c.file for c in folder.chunks] == ["a.md", "c.md"]
    assert folder.duplicate_chunks == 1


# -- the tokenizer -----------------------------------------------------------------------------

def word_level_tokenizer(folder, vocab_words):
    """A real tokenizer.json (WordLevel over whitespace) written by the tokenizers library."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    vocab = {"[UNK]": 0} | {w: i + 1 for i, w in enumerate(vocab_words)}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(folder / "tokenizer.json"))
    return folder


def test_token_counter_uses_the_model_folders_tokenizer(tmp_path):
    folder = word_level_tokenizer(tmp_path / "base", ["hello", "world"])
    counter = token_counter(folder)
    assert counter.exact and "tokenizer.json of base" == counter.description
    assert counter("hello world hello unknown words") == 5
    assert counter("") == 0


def test_token_counter_falls_back_to_the_approximation(tmp_path):
    missing = token_counter(tmp_path / "nothing-here")
    assert not missing.exact and "no tokenizer.json" in missing.description
    assert missing("one two three four five six seven eight nine ten") == 13
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "tokenizer.json").write_text(json.dumps({"not": "a tokenizer"}))
    broken = token_counter(tmp_path / "bad")
    assert not broken.exact and "could not be loaded" in broken.description
    assert token_counter(None).description == "approximation (words x 1.3)"


def test_chunks_respect_a_real_tokenizer(tmp_path):
    counter = token_counter(word_level_tokenizer(tmp_path / "base", []))  # every word is one [UNK] token
    doc = pdf_like([sentences(25, "t")])
    chunks = chunk_document(doc, 30, 6, counter)
    assert chunks and all(len(c.text.split()) <= 30 for c in chunks)
    assert max(len(c.text.split()) for c in chunks) > 24  # the budget is used, not wasted


def test_reading_and_chunking_never_import_torch_or_transformers(tmp_path):
    """The app process must stay free of torch, transformers and peft."""
    import subprocess
    import sys

    word_level_tokenizer(tmp_path / "base", ["words"])
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# A\n\nSome words.")
    code = (
        "import sys\n"
        "from ollama_trainer.documents import DocumentsRequest, read_folder, run, token_counter\n"
        "from ollama_trainer.documents import teacher, checks, cache, split, output\n"
        f"counter = token_counter({str(tmp_path / 'base')!r})\n"
        f"assert read_folder({str(tmp_path / 'docs')!r}, 64, 8, counter).chunks\n"
        f"run(DocumentsRequest(source_dir={str(tmp_path / 'docs')!r}, output_dir={str(tmp_path / 'out')!r}))\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'transformers', 'peft'))\n"
        "assert not heavy, heavy\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
