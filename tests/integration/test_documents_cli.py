"""`ollama-trainer dataset from-docs` against the Ollama stand-in's teacher: progress and the
report, the registered dataset, --preview, --json, and exit 2 with the reasons when no pair
was kept."""

from __future__ import annotations

import json

import pytest

from ollama_trainer import catalog, cli, datasets
from ollama_trainer.errors import DomainError

# The fixtures: the stand-in with its teacher, and a folder of documents (PDF, Word, HTML, Markdown).
from .test_documents_teacher import folder, free_port, standin  # noqa: F401


def from_docs(folder, standin, *extra) -> list[str]:
    return ["dataset", "from-docs", str(folder), "--teacher", "teacher", "--id", "docs-qa", "--host", standin.url,
            "--chunk-tokens", "64", "--overlap", "0", "--pairs-per-chunk", "2", *extra]


def test_from_docs_prints_progress_and_the_report_and_registers_the_dataset(standin, folder, capsys):
    assert cli.main(from_docs(folder, standin)) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert "chunks" in captured.err and "kept=" in captured.err  # the tqdm bar
    assert "documents 6 (6 PDF pages)" in out and "teacher teacher:latest" in out
    assert "skipped locked.pdf: encrypted PDF (needs a password)" in out and "skipped corrupt.pdf" in out
    assert "dataset 'docs-qa' registered" in out and "report: " in out
    entry = catalog.get_dataset_entry("docs-qa")
    assert entry.format == "chat" and entry.held_out_prompts and len(entry.held_out_checks) == len(entry.held_out_prompts)
    loaded = datasets.load(entry.path, entry.format)
    assert loaded.valid
    kept = int(out.split("pairs kept ")[1].split(":")[0])
    assert kept > len(loaded.examples) > 0


def test_preview_shows_the_first_chunks_pairs_and_writes_no_dataset(standin, folder, capsys):
    assert cli.main(from_docs(folder, standin, "--preview")) == 0
    out = capsys.readouterr().out
    assert out.startswith("Preview: 6 pair(s) kept from the first 3 chunk(s), teacher teacher:latest")
    assert out.count("\n   quote: ") == 6 and "source: ferry.pdf p. 1" in out
    assert "No dataset was written" in out
    with pytest.raises(DomainError):
        catalog.get_dataset_entry("docs-qa")
    assert len(standin.chat_responder.asked) == 3

    assert cli.main(from_docs(folder, standin, "--json")) == 0  # the run asks for the other chunks only
    result = json.loads(capsys.readouterr().out)
    assert result["event"] == "done" and result["dataset"]["id"] == "docs-qa"
    assert result["report"]["cached_chunks"] == 3 and result["report"]["teacher_calls"] == result["report"]["chunks"] - 3
    assert len(standin.chat_responder.asked) == result["report"]["chunks"]


def test_no_pair_kept_exits_2_with_the_reasons(standin, folder, capsys):
    standin.chat_responder.mode = "broken_json"
    standin.chat_responder.markers = {}
    assert cli.main(from_docs(folder, standin)) == 2
    out = capsys.readouterr().out
    assert "rejected: broken_json " in out and "No pair was kept (broken_json" in out
    assert "registered" not in out
    with pytest.raises(DomainError):
        catalog.get_dataset_entry("docs-qa")
    assert cli.main(from_docs(folder, standin, "--json")) == 2
    result = json.loads(capsys.readouterr().out)
    assert result["event"] == "no_pairs" and result["dataset"] is None and result["report"]["rejected"]["broken_json"]


@pytest.mark.parametrize("extra, code, words", [
    (["--overlap", "40"], "invalid_argument", "--overlap (40) must be at most half of --chunk-tokens (64)"),
    (["--pairs-per-chunk", "0"], "invalid_argument", "--pairs-per-chunk"),
])
def test_bad_arguments_exit_2(standin, folder, capsys, extra, code, words):
    assert cli.main(from_docs(folder, standin, *extra, "--json")) == 2
    error = json.loads(capsys.readouterr().out)
    assert error["code"] == code and words in error["message"]
    assert standin.calls("POST", "/api/chat") == []


def test_unknown_teacher_bad_id_and_unreachable_ollama(standin, folder, capsys):
    args = from_docs(folder, standin)
    args[args.index("teacher")] = "nosuch"
    assert cli.main(args) == 2
    assert "no model 'nosuch'" in capsys.readouterr().err
    args = from_docs(folder, standin)
    args[args.index("docs-qa")] = "Bad Id"
    assert cli.main(args) == 2 and "--id 'Bad Id'" in capsys.readouterr().err
    args = from_docs(folder, standin)
    args[args.index(standin.url)] = f"http://127.0.0.1:{free_port()}"
    assert cli.main(args) != 0
    assert "127.0.0.1" in capsys.readouterr().err
