"""Reading a folder of documents: each kind with its provenance, and bad files skipped with a reason."""

from __future__ import annotations

import pytest
from fpdf import FPDF

from ollama_trainer.datasets.index import approx_tokens
from ollama_trainer.documents import SkippedFile, read_folder
from ollama_trainer.documents.readers import list_documents, read_document
from ollama_trainer.errors import DomainError


def make_pdf(path, pages: list[str]):
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for text in pages:
        pdf.add_page()
        if text:
            pdf.multi_cell(0, 5, text)
        else:
            pdf.rect(20, 20, 50, 50)  # a page with a drawing and no text, as a scan would be
    pdf.output(str(path))
    return path


def encrypt_pdf(source, target, user_password: str, owner_password: str = "owner"):
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=str(source))
    writer.encrypt(user_password, owner_password, algorithm="RC4-128")
    writer.write(str(target))
    return target


def make_docx(path, blocks):
    import docx

    document = docx.Document()
    for kind, value in blocks:
        if kind == "title":
            document.add_heading(value, 0)
        elif kind.startswith("h"):
            document.add_heading(value, int(kind[1]))
        elif kind == "table":
            table = document.add_table(rows=len(value), cols=len(value[0]))
            for r, row in enumerate(value):
                for c, cell in enumerate(row):
                    table.rows[r].cells[c].text = cell
        else:
            document.add_paragraph(value)
    document.save(str(path))
    return path


def read(path, root):
    result = read_document(path, root)
    assert not isinstance(result, SkippedFile), result
    return result


def skipped_reason(path, root) -> str:
    result = read_document(path, root)
    assert isinstance(result, SkippedFile), f"{path.name} was read: {result}"
    return result.reason


# -- PDF ---------------------------------------------------------------------------------------

def test_pdf_gives_one_section_per_page_with_its_number(tmp_path):
    make_pdf(tmp_path / "manual.pdf", ["The pump starts at dawn.", "", "The valve closes at noon."])
    doc = read(tmp_path / "manual.pdf", tmp_path)
    assert doc.kind == "pdf" and doc.pages == 3
    assert [s.page for s in doc.sections] == [1, 3]  # page 2 has no text
    assert "pump starts at dawn" in doc.sections[0].text
    assert "valve closes at noon" in doc.sections[1].text


def test_a_password_protected_pdf_is_skipped_as_encrypted(tmp_path):
    plain = make_pdf(tmp_path / "plain.pdf", ["Secret plans of the harbour."])
    encrypt_pdf(plain, tmp_path / "locked.pdf", user_password="secret")
    assert skipped_reason(tmp_path / "locked.pdf", tmp_path) == "encrypted PDF (needs a password)"


def test_a_pdf_encrypted_with_an_empty_password_is_read(tmp_path):
    plain = make_pdf(tmp_path / "plain.pdf", ["Permissions only, anyone may open it."])
    encrypt_pdf(plain, tmp_path / "restricted.pdf", user_password="")
    doc = read(tmp_path / "restricted.pdf", tmp_path)
    assert "anyone may open it" in doc.sections[0].text


def test_corrupt_empty_and_textless_pdfs_say_why(tmp_path):
    (tmp_path / "corrupt.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage")
    (tmp_path / "empty.pdf").write_bytes(b"")
    make_pdf(tmp_path / "scan.pdf", ["", ""])
    assert skipped_reason(tmp_path / "corrupt.pdf", tmp_path).startswith("not a valid PDF: ")
    assert skipped_reason(tmp_path / "empty.pdf", tmp_path) == "empty file"
    assert skipped_reason(tmp_path / "scan.pdf", tmp_path) == "no text (a scanned PDF?)"


# -- DOCX --------------------------------------------------------------------------------------

def test_docx_sections_follow_headings_and_tables_are_rows(tmp_path):
    make_docx(tmp_path / "guide.docx", [
        ("title", "Harbour guide"), ("p", "Read this first."),
        ("h1", "Opening hours"), ("p", "The harbour opens at dawn."),
        ("h2", "Holidays"), ("table", [["Day", "Hours"], ["Sunday", "closed"]]),
        ("h1", "Fees"), ("p", "Mooring costs ten crowns."),
    ])
    doc = read(tmp_path / "guide.docx", tmp_path)
    assert doc.kind == "docx" and doc.pages == 0
    assert [s.heading for s in doc.sections] == [
        "Harbour guide", "Harbour guide > Opening hours", "Harbour guide > Opening hours > Holidays",
        "Harbour guide > Fees"]
    assert "Day | Hours\nSunday | closed" in doc.sections[2].text
    assert doc.sections[3].text == "Fees\n\nMooring costs ten crowns."


def test_a_corrupt_docx_is_skipped(tmp_path):
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04 this is not really a zip file")
    assert skipped_reason(tmp_path / "broken.docx", tmp_path).startswith("not a valid Word document")


# -- HTML --------------------------------------------------------------------------------------

def test_html_keeps_the_main_content_only(tmp_path):
    (tmp_path / "page.html").write_text(
        "<!doctype html><html><head><title>T</title><style>p {color: red}</style></head><body>"
        "<header>Site name</header><nav><a href='/'>Home</a> | <a>About</a></nav>"
        "<main><h1>Tides</h1><!-- a comment --><p>The tide   rises\n twice a <b>day</b>.</p>"
        "<script>var hidden = 'script text';</script>"
        "<h2>Warnings</h2><ul><li>Do not swim at night.</li><li>Mind the rocks.</li></ul></main>"
        "<aside>Related links</aside><footer>Copyright</footer></body></html>", encoding="utf-8")
    doc = read(tmp_path / "page.html", tmp_path)
    text = "\n".join(s.text for s in doc.sections)
    for furniture in ("Site name", "Home", "color", "hidden", "Related", "Copyright", "a comment"):
        assert furniture not in text
    assert [s.heading for s in doc.sections] == ["Tides", "Tides > Warnings"]
    assert doc.sections[0].text == "Tides\n\nThe tide rises twice a day."
    assert doc.sections[1].text == "Warnings\n\nDo not swim at night.\n\nMind the rocks."


def test_html_without_main_uses_the_body_and_its_declared_charset(tmp_path):
    (tmp_path / "old.htm").write_bytes(
        b'<html><head><meta charset="iso-8859-1"></head><body><p>Caf\xe9 opens at nine.</p></body></html>')
    doc = read(tmp_path / "old.htm", tmp_path)
    assert doc.sections[0].text == "Café opens at nine."
    assert doc.sections[0].heading is None


# -- Markdown and text ------------------------------------------------------------------------

def test_markdown_sections_have_heading_trails_and_fences_are_not_headings(tmp_path):
    (tmp_path / "notes.md").write_text(
        "Preamble line.\n\n# Guide\n\nIntro.\n\n## Install\n\n```sh\n# a shell comment\npip install x\n```\n\n"
        "## Run\n\nRun it.\n\n# Appendix\n\nMore.\n", encoding="utf-8")
    doc = read(tmp_path / "notes.md", tmp_path)
    assert [s.heading for s in doc.sections] == [None, "Guide", "Guide > Install", "Guide > Run", "Appendix"]
    assert "# a shell comment" in doc.sections[2].text
    assert doc.sections[3].text.startswith("## Run")


def test_text_encodings_and_undecodable_text(tmp_path):
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbfWith a BOM.")
    (tmp_path / "wide.txt").write_bytes("Sixteen bits wide.".encode("utf-16"))
    (tmp_path / "latin.txt").write_bytes(b"caf\xe9")
    (tmp_path / "blank.md").write_text("  \n\n")
    assert read(tmp_path / "bom.txt", tmp_path).sections[0].text == "With a BOM."
    assert read(tmp_path / "wide.txt", tmp_path).sections[0].text == "Sixteen bits wide."
    assert skipped_reason(tmp_path / "latin.txt", tmp_path) == "not valid UTF-8 (byte 0xe9 at offset 3)"
    assert skipped_reason(tmp_path / "blank.md", tmp_path) == "empty file"


# -- the folder --------------------------------------------------------------------------------

def test_the_folder_is_walked_recursively_in_sorted_order(tmp_path):
    for name in ("b.md", "a/z.txt", "a/b/c.html", "A.txt", ".hidden.md", ".git/x.md", "~$lock.docx",
                 "out/result.md", "picture.png", "data.jsonl"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("Some words here.")
    found, ignored = list_documents(tmp_path, exclude=tmp_path / "out")
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["A.txt", "a/b/c.html", "a/z.txt", "b.md"]
    assert ignored == 2  # picture.png, data.jsonl


def test_bad_files_are_listed_with_reasons_and_the_others_are_read(tmp_path):
    make_pdf(tmp_path / "good.pdf", ["The lamp is lit at dusk."])
    encrypt_pdf(tmp_path / "good.pdf", tmp_path / "locked.pdf", user_password="pw")
    (tmp_path / "corrupt.pdf").write_bytes(b"not a pdf")
    (tmp_path / "notes.md").write_text("# Notes\n\nThe keeper writes the log.")
    (tmp_path / "bad.txt").write_bytes(b"\xff\xff\xff")
    folder = read_folder(tmp_path, 64, 8, approx_tokens)
    assert [d.file for d in folder.documents] == ["good.pdf", "notes.md"]
    assert {s.file: s.reason for s in folder.skipped} == {
        "bad.txt": "not valid UTF-8 (byte 0xff at offset 0)",
        "corrupt.pdf": folder.skipped[1].reason,
        "locked.pdf": "encrypted PDF (needs a password)",
    }
    assert folder.skipped[1].reason.startswith("not a valid PDF")
    assert folder.pages == 1
    again = read_folder(tmp_path, 64, 8, approx_tokens)
    assert [c.text for c in again.chunks] == [c.text for c in folder.chunks]


def test_a_missing_or_unreadable_folder_is_a_domain_error(tmp_path):
    with pytest.raises(DomainError) as missing:
        read_folder(tmp_path / "nope", 64, 8, approx_tokens)
    assert missing.value.code == "documents_not_found"
    (tmp_path / "photo.png").write_bytes(b"\x89PNG")
    (tmp_path / "blank.txt").write_text("")
    folder = read_folder(tmp_path, 64, 8, approx_tokens)
    error = folder.nothing_to_read()
    assert error.code == "no_documents"
    assert "blank.txt: empty file" in error.message
