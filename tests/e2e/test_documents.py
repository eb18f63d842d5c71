"""From documents… in real Chromium against browser mode, with the Ollama stand-in's teacher: a
folder path typed, the teacher picked from Ollama's models, the first chunks' pairs previewed,
the whole folder run with its progress and report, and the new dataset listed, valid and picked."""

from __future__ import annotations

from contextlib import contextmanager

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, start_app, stop_app
from tests.fakes.ollama_standin import OllamaStandin
from tests.fakes.standin_teacher import StandinTeacher

TOPICS = {
    "ferry.md": ("Ferry timetable", "ferry"),
    "lighthouse.md": ("Lighthouse duties", "lighthouse"),
    "market.md": ("Fish market", "market"),
}


FACTS = [
    "opens at {n} o'clock on weekday mornings",
    "was painted {colour} by the harbour council",
    "keeps its spare keys under the {colour} stone",
    "closes for cleaning on the {n}th of every month",
    "sells tickets from a small {colour} kiosk",
    "has a bell that rings {n} times at noon",
    "was rebuilt after the storm of 18{n}0",
    "lends {colour} umbrellas to visitors when it rains",
]
COLOURS = ["red", "blue", "green", "yellow", "white", "black", "grey", "orange"]


def write_folder(root):
    """Three Markdown files, each long enough for a few chunks of 64 tokens, every sentence its own."""
    root.mkdir(parents=True)
    for t, (name, (title, word)) in enumerate(TOPICS.items()):
        sentences = [f"The {word} {fact.format(n=t + i + 1, colour=COLOURS[(t + i) % 8])}."
                     for i, fact in enumerate(FACTS)]
        paragraphs = [" ".join(sentences[i:i + 2]) for i in range(0, len(sentences), 2)]
        (root / name).write_text(f"# {title}\n\n" + "\n\n".join(paragraphs) + "\n")
    return root


@contextmanager
def documents_form(data_home, page, *, smallest_window: bool = False):
    """The app with the Ollama stand-in's teacher, opened on From documents…, its teacher picked
    from Ollama's models: (the form, the teacher, the stand-in)."""
    with OllamaStandin(models=("teacher:latest",)) as ollama:
        teacher = StandinTeacher()
        ollama.chat_responder = teacher
        app = start_app(data_home, {"OLLAMA_HOST": ollama.url})
        try:
            if smallest_window:
                page.set_viewport_size({"width": 1024, "height": 700})  # the window's smallest size
            page.goto(app.url)
            page.get_by_text("From documents…").click()
            form = page.get_by_role("form", name="Make a dataset from documents")
            expect(form.get_by_label("Teacher model")).to_have_value("teacher:latest")
            yield form, teacher, ollama
        finally:
            stop_app(app)


def fact(report, label: str) -> int:
    return int(report.locator("dt", has_text=label).locator("xpath=following-sibling::dd").inner_text())


def test_documents_become_a_dataset(data_home, tmp_path, page):
    folder = write_folder(tmp_path / "Harbour notes")
    with documents_form(data_home, page, smallest_window=True) as (form, teacher, _):
        # The teacher comes from Ollama's models; no folder dialog in a browser.
        expect(page.get_by_test_id("teacher-note")).to_contain_text("answers quoted from each chunk")
        expect(form.get_by_role("button", name="Browse…")).to_have_count(0)
        expect(form.get_by_role("button", name="Preview")).to_be_disabled()

        form.get_by_label("Folder of documents").fill(str(folder))
        expect(form.get_by_label("New dataset id")).to_have_value("harbour-notes")
        form.get_by_label("Name", exact=True).fill("Harbour notes")
        form.get_by_label("Chunk size (tokens)").fill("64")
        form.get_by_label("Overlap (tokens)").fill("0")
        form.get_by_label("Pairs per chunk").fill("2")

        # Preview: the first 3 chunks' pairs, each with its quote and source.
        form.get_by_role("button", name="Preview").click()
        table = page.get_by_role("table")
        expect(table).to_be_visible(timeout=30_000)
        rows = table.locator("tbody tr")
        expect(rows).to_have_count(6)
        expect(rows.first).to_contain_text("What does the text say about")
        expect(rows.first).to_contain_text("ferry.md")
        expect(page.get_by_text("6 pairs kept from the first 3 chunks, written by teacher:latest.")).to_be_visible()
        assert len(teacher.asked) == 3
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(page, "documents-preview.png")

        # The whole folder: progress, then the report, and the dataset is picked.
        form.get_by_role("button", name="Make the dataset").click()
        job = page.get_by_test_id("documents-job")
        expect(job).to_have_attribute("data-state", "done", timeout=60_000)
        report = job.get_by_role("region", name="Report")
        expect(report).to_contain_text("Documents")
        expect(report).to_contain_text("teacher:latest")
        assert fact(report, "Pairs kept") > 6
        expect(job).to_contain_text("Harbour notes was added to the datasets and picked.")

        card = page.get_by_test_id("dataset-drop")
        radio = card.get_by_role("radio", name="Harbour notes")
        expect(radio).to_be_enabled()
        expect(radio).to_be_checked()
        # Every chunk was asked once: the preview's three came from the cache.
        assert len(teacher.asked) == fact(report, "Chunks") > 3
        assert fact(report, "From earlier answers") == 3
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        report.scroll_into_view_if_needed()
        screenshot(page, "documents-done.png")


def test_without_a_teacher_the_folder_becomes_text_chunks(data_home, tmp_path, page):
    folder = write_folder(tmp_path / "notes")
    ollama = OllamaStandin()
    port = ollama.start().port
    ollama.stop()  # nothing answers at that address
    app = start_app(data_home, {"OLLAMA_HOST": f"http://127.0.0.1:{port}"})
    try:
        page.goto(app.url)
        page.get_by_text("From documents…").click()
        form = page.get_by_role("form", name="Make a dataset from documents")
        note = page.get_by_test_id("teacher-note")
        expect(note).to_contain_text("not reachable", timeout=30_000)
        expect(note).to_contain_text("teaches their style and words, not to answer questions")
        expect(form.get_by_label("Teacher model")).to_have_value("")
        form.get_by_label("Folder of documents").fill(str(folder))
        expect(form.get_by_role("button", name="Preview")).to_be_disabled()
        form.get_by_role("button", name="Make the dataset").click()
        job = page.get_by_test_id("documents-job")
        expect(job).to_have_attribute("data-state", "done", timeout=60_000)
        expect(job.get_by_role("region", name="Report")).to_contain_text("Text rows")
        radio = page.get_by_test_id("dataset-drop").get_by_role("radio", name="notes", exact=True)
        expect(radio).to_be_checked()
    finally:
        stop_app(app)


def test_cancel_then_go_on_where_it_stopped(data_home, tmp_path, page):
    folder = write_folder(tmp_path / "harbour")
    with documents_form(data_home, page) as (form, teacher, ollama):
        form.get_by_label("Folder of documents").fill(str(folder))
        form.get_by_label("Chunk size (tokens)").fill("64")
        form.get_by_label("Overlap (tokens)").fill("0")
        form.get_by_label("Pairs per chunk").fill("2")
        ollama.delay_s = 0.8  # a slow teacher: the progress can be watched
        form.get_by_role("button", name="Make the dataset").click()

        job = page.get_by_test_id("documents-job")
        expect(job).to_have_attribute("data-state", "running")
        expect(job.get_by_role("status")).to_contain_text(" of 6 chunks", timeout=30_000)
        expect(job.get_by_role("progressbar", name="Chunks done")).to_have_attribute("max", "6")
        expect(job).to_contain_text("Time left")
        expect(form.get_by_role("button", name="Make the dataset")).to_be_disabled()
        job.get_by_role("button", name="Cancel").click()
        job.get_by_role("button", name="Yes, stop").click()
        expect(job).to_have_attribute("data-state", "cancelled", timeout=30_000)
        expect(job).to_contain_text("go on where it stopped")
        asked_before = len(teacher.asked)
        assert 1 <= asked_before < 6

        ollama.delay_s = 0
        form.get_by_role("button", name="Make the dataset").click()
        expect(job).to_have_attribute("data-state", "done", timeout=60_000)
        report = job.get_by_role("region", name="Report")
        assert fact(report, "From earlier answers") >= 1
        assert len(teacher.asked) == fact(report, "Chunks") == 6  # no chunk asked twice
        expect(page.get_by_test_id("dataset-drop").get_by_role("radio", name="harbour", exact=True)).to_be_checked()


def test_the_guide_and_three_pdfs_become_a_dataset_that_trains(data_home, tiny_model, tmp_path, page):
    """The shipped guide folder plus three generated PDFs, from the window: the teacher's pairs
    become a dataset, and a training on it runs to done."""
    from tests.e2e.conftest import LONG, pill, write_tiny_catalog
    from tests.integration.test_documents_teacher import guide_and_pdfs

    write_tiny_catalog(data_home, tiny_model, tmp_path)
    folder = guide_and_pdfs(tmp_path / "guide")
    with documents_form(data_home, page) as (form, _, _):
        form.get_by_label("Folder of documents").fill(str(folder))
        form.get_by_label("New dataset id").fill("guide-qa")
        form.get_by_label("Name", exact=True).fill("Guide questions")
        form.get_by_role("button", name="Make the dataset").click()
        job = page.get_by_test_id("documents-job")
        expect(job).to_have_attribute("data-state", "done", timeout=120_000)
        report = job.get_by_role("region", name="Report")
        assert fact(report, "Documents") >= 4 and fact(report, "Pairs kept") > 0
        expect(report).to_contain_text("PDF pages")

        radio = page.get_by_test_id("dataset-drop").get_by_role("radio", name="Guide questions")
        expect(radio).to_be_checked()
        page.get_by_role("radio", name="Tiny test model").check()
        page.get_by_label("Epochs").fill("1")
        page.get_by_role("button", name="Start Training").click()
        expect(pill(page, "done")).to_be_visible(timeout=LONG)
