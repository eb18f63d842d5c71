"""index_folder: a folder of .md/.txt documents becomes text-format records."""

from __future__ import annotations

import json

import pytest

from ollama_trainer.datasets import DatasetReadError, index_folder, load
from ollama_trainer.datasets.index import approx_tokens, chunk_text


def words(n: int, stem: str = "w") -> str:
    return " ".join(f"{stem}{i}" for i in range(n))


def test_small_paragraphs_are_packed_into_one_chunk(tmp_path):
    (tmp_path / "a.md").write_text("# Title\n\nFirst paragraph.\n\n\nSecond paragraph.\n")
    records, report = index_folder(tmp_path)
    assert records == [{"text": "# Title\n\nFirst paragraph.\n\nSecond paragraph."}]
    assert report == {"documents": 1, "skipped": [], "chunks": 1, "duplicates": 0}


def test_chunks_split_on_paragraph_boundaries_and_stay_within_the_budget(tmp_path):
    paragraphs = [words(30, f"p{i}_") for i in range(5)]  # 30 words = 39 tokens each
    (tmp_path / "doc.txt").write_text("\n\n".join(paragraphs))
    records, report = index_folder(tmp_path, chunk_tokens=80)
    assert [r["text"] for r in records] == [
        paragraphs[0] + "\n\n" + paragraphs[1],
        paragraphs[2] + "\n\n" + paragraphs[3],
        paragraphs[4],
    ]
    assert all(approx_tokens(r["text"]) <= 80 for r in records)
    assert report["chunks"] == 3


def test_a_big_paragraph_is_split_into_sentences_then_words():
    sentences = [words(10, f"s{i}_") + "." for i in range(6)]
    giant = words(100, "g")  # one sentence bigger than the budget
    text = " ".join(sentences) + " " + giant
    chunks = chunk_text(text, chunk_tokens=30)
    assert all(approx_tokens(c) <= 30 for c in chunks)
    assert chunks[0] == " ".join(sentences[:2])  # 2 sentences = 20 words = 26 tokens
    assert " ".join(" ".join(chunks).split()) == " ".join(text.split())  # nothing lost or reordered


def test_a_custom_token_counter_is_used():
    counted: list[str] = []

    def count_chars(text: str) -> int:
        counted.append(text)
        return len(text)

    chunks = chunk_text("aaaa\n\nbbbb\n\ncccc", chunk_tokens=10, count=count_chars)
    assert chunks == ["aaaa\n\nbbbb", "cccc"]
    assert counted


def test_identical_chunks_are_kept_once_after_normalising_whitespace(tmp_path):
    (tmp_path / "one.md").write_text("Shared   notice\ntext.")
    (tmp_path / "two.md").write_text("Shared notice text.\n")
    (tmp_path / "three.txt").write_text("Something else.")
    records, report = index_folder(tmp_path)
    assert [r["text"] for r in records] == ["Shared   notice\ntext.", "Something else."]
    assert report["duplicates"] == 1
    assert report["documents"] == 3
    assert report["chunks"] == 2


def test_empty_and_undecodable_files_are_skipped_with_a_reason(tmp_path):
    (tmp_path / "empty.md").write_text("  \n\n")
    (tmp_path / "latin1.txt").write_bytes(b"caf\xe9")
    (tmp_path / "good.md").write_text("Hello.")
    (tmp_path / "ignored.pdf").write_text("not matched")
    records, report = index_folder(tmp_path)
    assert records == [{"text": "Hello."}]
    assert report["skipped"] == [
        {"path": "empty.md", "reason": "empty"},
        {"path": "latin1.txt", "reason": "not valid UTF-8 (byte 0xe9 at offset 3)"},
    ]
    assert (report["documents"], report["chunks"], report["duplicates"]) == (1, 1, 0)


def test_folders_are_read_recursively_in_sorted_order(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.md").write_text("From b/z.")
    (tmp_path / "a.txt").write_text("\ufeffFrom a.")
    (tmp_path / "c.md").write_text("From c.")
    records, _ = index_folder(tmp_path)
    assert [r["text"] for r in records] == ["From a.", "From b/z.", "From c."]
    assert index_folder(tmp_path) == index_folder(tmp_path)


def test_records_load_as_a_valid_text_dataset(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "guide.md").write_text("\n\n".join(words(50, f"p{i}_") for i in range(4)))
    records, _ = index_folder(docs, chunk_tokens=100)
    out = tmp_path / "indexed.jsonl"
    out.write_text("".join(json.dumps(r) + "\n" for r in records))
    loaded = load(out)
    assert loaded.valid and loaded.format == "text"
    assert len(loaded.examples) == len(records) == 4


def test_missing_folder_raises(tmp_path):
    with pytest.raises(DatasetReadError, match="nope"):
        index_folder(tmp_path / "nope")
