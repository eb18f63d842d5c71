"""A folder of documents becomes a checked Q&A dataset through the Ollama stand-in's teacher:
preview, full run, rejections counted, resume after a cancel or a crash, Ollama's errors, and
the text chunks made without a teacher."""

from __future__ import annotations

import json
import random
import socket
import threading
from pathlib import Path

import pytest
from fpdf import FPDF

from ollama_trainer.datasets import load
from ollama_trainer.documents import Cancelled, DocumentsRequest, preview, run
from ollama_trainer.documents.teacher import SYSTEM_PROMPT
from ollama_trainer.errors import DomainError
from tests.fakes.ollama_standin import OllamaStandin
from tests.fakes.standin_teacher import StandinTeacher

TOPICS = ["lighthouse", "harbour", "ferry", "tide", "pier", "buoy", "reef", "gull"]


SUBJECTS = ["anchor", "boat", "captain", "diver", "engine", "flag", "gate", "hull", "island", "jetty", "keel",
            "ladder", "mast", "net", "oar", "propeller", "quay", "rope", "sail", "tanker"]
VERBS = ["holds", "needs", "carries", "lifts", "checks", "guards", "paints", "repairs", "tows", "signals"]
OBJECTS = ["cargo", "fuel", "passengers", "timber", "salt", "nets", "maps", "lamps", "crates", "barrels"]
PLACES = ["near the north pier", "behind the old mill", "under the bridge", "past the reef", "at the east dock",
          "beside the tower", "on the slipway", "by the customs house"]


def paragraph(topic: str, n: int, sentences: int = 6) -> str:
    """Sentences that differ in their first words, as a real text's do (seeded, so the same every run)."""
    rng = random.Random(f"{topic}-{n}")
    return " ".join(f"The {topic} {rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.randint(2, 99)} loads of "
                    f"{rng.choice(OBJECTS)} {rng.choice(PLACES)} on day {n * 10 + i}." for i in range(sentences))


def make_pdf(path: Path, pages: list[str]) -> Path:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 5, text)
    pdf.output(str(path))
    return path


def guide_and_pdfs(root: Path) -> Path:
    """The shipped guide folder plus three generated PDFs, in `root`."""
    import shutil

    from ollama_trainer import paths

    shutil.copytree(paths.REPO_ROOT / "docs" / "guide", root)
    for n, topic in enumerate(("lighthouse", "harbour", "ferry")):
        make_pdf(root / f"{topic}.pdf", [paragraph(topic, n * 10 + p) for p in range(2)])
    return root


def make_folder(root: Path) -> Path:
    """Three PDFs, a DOCX, an HTML page, a Markdown file; one encrypted and one corrupt PDF."""
    import docx
    from pypdf import PdfWriter

    root.mkdir(parents=True, exist_ok=True)
    for n, topic in enumerate(TOPICS[:3]):
        make_pdf(root / f"{topic}.pdf", [paragraph(topic, n * 10 + p) for p in range(2)])
    document = docx.Document()
    document.add_heading("Ferry rules", 1)
    document.add_paragraph(paragraph("ferry", 50))
    document.save(str(root / "rules.docx"))
    (root / "web").mkdir()
    (root / "web" / "tides.html").write_text(
        f"<html><body><nav>Menu</nav><main><h1>Tides</h1><p>{paragraph('tide', 60)}</p></main></body></html>")
    (root / "notes.md").write_text(f"# Pier notes\n\n{paragraph('pier', 70)}\n")
    writer = PdfWriter(clone_from=str(root / "lighthouse.pdf"))
    writer.encrypt("secret", algorithm="RC4-128")
    writer.write(str(root / "locked.pdf"))
    (root / "corrupt.pdf").write_bytes(b"%PDF-1.7\nthis file was cut short")
    return root


def request(source: Path, out: Path, standin: OllamaStandin | None, **overrides) -> DocumentsRequest:
    args = dict(source_dir=str(source), output_dir=str(out), teacher="teacher" if standin else None,
                host=standin.url if standin else None, chunk_tokens=64, overlap_tokens=0, pairs_per_chunk=2)
    args.update(overrides)
    return DocumentsRequest(**args)


def lines(path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text().splitlines()]


@pytest.fixture
def standin():
    with OllamaStandin(models=("teacher:latest",)) as s:
        s.chat_responder = StandinTeacher()
        yield s


@pytest.fixture
def folder(tmp_path) -> Path:
    return make_folder(tmp_path / "docs")


# -- preview and the request Ollama gets ------------------------------------------------------------

def test_preview_asks_for_the_first_three_chunks_and_the_run_reuses_them(standin, folder, tmp_path):
    teacher: StandinTeacher = standin.chat_responder
    req = request(folder, tmp_path / "out", standin)
    shown = preview(req)
    assert shown.teacher == "teacher:latest" and shown.chunks == 3 and len(teacher.asked) == 3
    assert len(shown.pairs) == 6 and shown.rejected == {}
    first = shown.pairs[0]
    assert first.source.file == "ferry.pdf" and first.source.pages == [1] and first.source.label == "ferry.pdf p. 1"
    assert first.quote in teacher.asked[0] and first.answer == first.quote
    assert [s.file for s in shown.skipped] == ["corrupt.pdf"]  # files read on the way to 3 chunks

    body = standin.calls("POST", "/api/chat")[0].json
    assert body["model"] == "teacher" and body["stream"] is False
    assert body["options"] == {"temperature": 0}
    assert body["format"]["properties"]["pairs"]["maxItems"] == 2
    assert body["messages"][0] == {"role": "system", "content": SYSTEM_PROMPT}

    result = run(req)
    assert result.report.cached_chunks == 3
    assert result.report.teacher_calls == result.report.chunks - 3
    assert len(teacher.asked) == result.report.chunks  # no chunk asked twice
    assert len(set(teacher.asked)) == len(teacher.asked)


# -- the full run --------------------------------------------------------------------------------

def test_a_folder_becomes_a_chat_dataset_split_by_document_with_provenance(standin, folder, tmp_path):
    progress = []
    result = run(request(folder, tmp_path / "out", standin, held_out_fraction=0.3, overlap_tokens=8),
                 progress=progress.append)
    report = result.report
    assert result.format == "chat"
    assert report.documents == 6 and report.pages == 6  # 3 PDFs of 2 pages
    assert {s.file: s.reason for s in report.skipped} == {
        "corrupt.pdf": report.skipped[0].reason, "locked.pdf": "encrypted PDF (needs a password)"}
    assert report.skipped[0].reason.startswith("not a valid PDF")
    assert report.teacher == "teacher:latest" and report.prompt_version == "qa-v1"
    assert report.pairs_kept == report.train_rows + report.held_out_rows > 0
    # the overlap shows the teacher a sentence of the chunk before again: its question is a duplicate
    assert set(report.rejected) == {"duplicate_question"}
    assert report.tokenizer.startswith("approximation")

    train, held = lines(result.train_path), lines(result.held_out_path)
    train_src, held_src = lines(result.train_provenance_path), lines(result.held_out_provenance_path)
    assert len(train) == len(train_src) == report.train_rows and len(held) == len(held_src) == report.held_out_rows
    for row, source in zip(train + held, train_src + held_src):
        assert [m["role"] for m in row["messages"]] == ["user", "assistant"]  # no system prompt
        assert source["quote"] == row["messages"][1]["content"]  # the stand-in answers with its quote
        assert source["chunk_id"].startswith(source["file"] + "#")
    train_files = {s["file"] for s in train_src}
    whole = set(report.held_out_documents)  # held out whole: none of their rows trains
    assert len(whole) == 2 and not train_files & whole
    # and one question of each trained document with 3 or more pairs is held out too
    asked = [s["file"] for s in held_src if s["file"] not in whole]
    assert asked and len(asked) == len(set(asked)) and set(asked) <= train_files
    held_files = {s["file"] for s in held_src}
    assert held_files == whole | set(asked)
    held_questions = [r["messages"][0]["content"] for r in held]
    train_questions = {r["messages"][0]["content"] for r in train}
    assert not train_questions & set(held_questions)
    assert len(result.held_out_prompts) == min(20, len(held)) > 0
    assert set(result.held_out_prompts) <= set(held_questions)
    kinds = result.held_out_kinds
    assert [kinds[q] for q in result.held_out_prompts[:len(asked)]] == ["trained_document"] * len(asked)
    assert set(kinds.values()) == {"trained_document", "held_out_document"}
    assert any("held out of the documents the model trains on" in n for n in report.notes)
    assert {f.file: f.split for f in report.files} == {f: ("held_out" if f in whole else "train")
                                                       for f in train_files | whole}
    assert json.loads(Path(result.report_path).read_text())["pairs_kept"] == report.pairs_kept
    for path in (result.train_path, result.held_out_path):  # what the catalog and the trainer will load
        loaded = load(path)
        assert loaded.valid and loaded.format == "chat" and not loaded.warnings, loaded.report_lines()

    assert progress[0].chunks_done == 0 and progress[-1].chunks_done == progress[-1].chunks_total == report.chunks
    assert [p.chunks_done for p in progress] == list(range(report.chunks + 1))
    assert progress[-1].pairs_kept == report.pairs_kept and progress[-1].eta_s == 0.0
    assert all(p.eta_s is not None for p in progress[1:])


def test_every_kind_of_bad_answer_is_rejected_and_counted(standin, tmp_path):
    source = tmp_path / "faults"
    source.mkdir()
    for name, marker in (("a_good", ""), ("b_broken", "BROKEN-JSON-HERE"), ("c_quote", "BAD-QUOTE-HERE"),
                         ("d_empty", "EMPTY-ANSWER-HERE"), ("e_dupes", "DUPLICATES-HERE")):
        (source / f"{name}.md").write_text(f"{marker} {paragraph(name, 1, sentences=3)}")
    result = run(request(source, tmp_path / "out", standin, pairs_per_chunk=3, chunk_tokens=200))
    report = result.report
    assert report.chunks == 5 and report.teacher_calls == 5
    assert report.rejected == {"broken_json": 1, "quote_not_in_chunk": 1, "empty_answer": 1,
                               "duplicate_question": 2}
    assert report.pairs_kept == 3 + 0 + 2 + 2 + 1
    kept = {s["file"]: 0 for s in lines(result.train_provenance_path) + lines(result.held_out_provenance_path)}
    for s in lines(result.train_provenance_path) + lines(result.held_out_provenance_path):
        kept[s["file"]] += 1
    assert kept == {"a_good.md": 3, "c_quote.md": 2, "d_empty.md": 2, "e_dupes.md": 1}


def test_a_chunk_seen_twice_is_asked_once_and_its_questions_are_not_kept_twice(standin, tmp_path):
    source = tmp_path / "same"
    source.mkdir()
    (source / "a.md").write_text(paragraph("reef", 1, sentences=2))
    (source / "b.md").write_text(paragraph("reef", 1, sentences=2))
    result = run(request(source, tmp_path / "out", standin))
    assert result.report.duplicate_chunks == 1 and result.report.teacher_calls == 1
    assert len(standin.chat_responder.asked) == 1


# -- resume ----------------------------------------------------------------------------------

def many_chunks_folder(root: Path) -> Path:
    root.mkdir(parents=True)
    for n, topic in enumerate(TOPICS):
        (root / f"{topic}.md").write_text(f"# {topic}\n\n{paragraph(topic, n)}\n\n{paragraph(topic, n + 100)}\n")
    return root


def test_resume_after_a_cancel_asks_only_for_the_chunks_not_done(standin, tmp_path):
    source = many_chunks_folder(tmp_path / "docs")
    teacher: StandinTeacher = standin.chat_responder
    cancel = threading.Event()
    stop_after = 5

    def cancel_after_k(p):
        if p.chunks_done == stop_after:
            cancel.set()

    req = request(source, tmp_path / "out", standin)
    with pytest.raises(Cancelled) as cancelled:
        run(req, progress=cancel_after_k, cancel=cancel)
    assert cancelled.value.code == "cancelled" and "after 5 of" in cancelled.value.message
    done_before = list(teacher.asked)
    assert len(done_before) == stop_after

    result = run(req)
    total = result.report.chunks
    assert total > 2 * stop_after
    assert result.report.cached_chunks == stop_after and result.report.teacher_calls == total - stop_after
    assert len(teacher.asked) == total and not set(teacher.asked[stop_after:]) & set(done_before)

    # the same dataset as a run that was never interrupted
    fresh = run(request(source, tmp_path / "fresh", standin))
    for name in ("train_path", "train_provenance_path", "held_out_path", "held_out_provenance_path"):
        assert Path(getattr(result, name)).read_text() == Path(getattr(fresh, name)).read_text()
    assert result.held_out_prompts == fresh.held_out_prompts


def test_resume_after_a_crash_mid_write_asks_again_only_for_the_torn_chunk(standin, tmp_path):
    source = many_chunks_folder(tmp_path / "docs")
    teacher: StandinTeacher = standin.chat_responder
    crash_after = 4

    def crash(p):
        if p.chunks_done == crash_after:
            raise RuntimeError("the app was killed")

    req = request(source, tmp_path / "out", standin)
    with pytest.raises(RuntimeError, match="killed"):
        run(req, progress=crash)
    cache = tmp_path / "out" / "teacher_cache.jsonl"
    data = cache.read_bytes()
    cache.write_bytes(data[:-40])  # the last answer was half written when the process died
    asked_before = list(teacher.asked)
    assert len(asked_before) == crash_after

    result = run(req)
    again = teacher.asked[crash_after:]
    assert again[0] == asked_before[-1]  # only the torn one is asked again...
    assert not set(again[1:]) & set(asked_before)  # ...with the chunks never done
    assert result.report.cached_chunks == crash_after - 1
    assert len(again) == result.report.chunks - (crash_after - 1)


# -- Ollama's errors ----------------------------------------------------------------------------

def test_an_unknown_teacher_is_named(standin, folder, tmp_path):
    with pytest.raises(DomainError) as error:
        run(request(folder, tmp_path / "out", standin, teacher="nosuch"))
    assert error.value.code == "unknown_teacher"
    assert "no model 'nosuch'" in error.value.message and standin.url in error.value.message


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_ollama_is_a_domain_error(folder, tmp_path):
    host = f"http://127.0.0.1:{free_port()}"
    req = request(folder, tmp_path / "out", None, teacher="teacher", host=host)
    for call in (preview, run):
        with pytest.raises(DomainError) as error:
            call(req)
        assert error.value.code == "ollama_unreachable" and host in error.value.message


def test_a_failing_teacher_is_counted_then_stops_the_run(standin, tmp_path):
    source = many_chunks_folder(tmp_path / "docs")
    standin.fail_status["/api/chat"] = 500
    with pytest.raises(DomainError) as error:
        run(request(source, tmp_path / "out", standin))
    assert error.value.code == "teacher_failing" and "500" in error.value.message
    assert len(standin.calls("POST", "/api/chat")) == 5
    del standin.fail_status["/api/chat"]
    result = run(request(source, tmp_path / "out", standin))  # nothing was cached for the failures
    assert result.report.teacher_calls == result.report.chunks and result.report.rejected == {}


# -- without a teacher --------------------------------------------------------------------------

def test_without_a_teacher_the_folder_becomes_text_chunks(folder, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "held_out.jsonl").write_text("{}\n")  # left by an earlier qa run
    result = run(request(folder, out, None))
    assert result.format == "text" and result.held_out_path is None and result.held_out_prompts == []
    rows = lines(result.train_path)
    assert rows and all(set(r) == {"text"} for r in rows)
    assert load(result.train_path).format == "text" and load(result.train_path).valid
    assert len(lines(result.train_provenance_path)) == len(rows) == result.report.chunks
    assert result.report.mode == "text" and result.report.teacher is None
    assert "not to answer questions" in result.report.notes[0]
    assert not (out / "held_out.jsonl").exists()
    with pytest.raises(DomainError) as no_teacher:
        preview(request(folder, out, None))
    assert no_teacher.value.code == "no_teacher"


def test_one_job_at_a_time_per_output_folder(standin, folder, tmp_path):
    from ollama_trainer.documents import output

    out = tmp_path / "out"
    out.mkdir()
    with output.locked(out):
        with pytest.raises(DomainError) as busy:
            run(request(folder, out, standin))
    assert busy.value.code == "documents_job_running" and str(out) in busy.value.message
    assert standin.calls("POST", "/api/chat") == []
    assert run(request(folder, out, standin)).report.pairs_kept > 0  # the lock is let go


def test_a_cancel_while_reading_asks_nothing(standin, folder, tmp_path):
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled, match="while reading"):
        run(request(folder, tmp_path / "out", standin), cancel=cancel)
    assert standin.calls("POST", "/api/chat") == []


def test_an_unreachable_teacher_leaves_no_lock_or_empty_folder_behind(folder, tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nobody listens there once closed
    out = tmp_path / "documents" / "new-set"
    with pytest.raises(DomainError) as err:
        run(request(folder, out, None, teacher="teacher", host=f"http://127.0.0.1:{port}"))
    assert err.value.code in ("ollama_unreachable", "teacher_failing"), err.value
    assert not out.exists(), list(out.iterdir()) if out.exists() else None
