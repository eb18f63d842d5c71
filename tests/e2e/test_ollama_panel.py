"""The Result card against the Ollama stand-in: the sidebar's connection state, Export to
Ollama with its live state, a failed export with Retry, and the Try it box."""

from __future__ import annotations

import json
import re

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, start_app, stop_app, write_tiny_catalog
from tests.fakes.ollama_standin import OllamaStandin

LONG = 180_000


def train_tiny(page, app) -> None:
    page.goto(app.url)
    page.get_by_role("radio", name="Tiny test model").check()
    page.get_by_role("radio", name="Colours").check()
    page.get_by_role("button", name="Start Training").click()
    expect(page.locator('[role="status"][data-state="done"]')).to_be_visible(timeout=LONG)


def test_export_and_try_it(data_home, tiny_model, tmp_path, page):
    write_tiny_catalog(data_home, tiny_model, tmp_path)
    with OllamaStandin() as ollama:
        app = start_app(data_home, {"OLLAMA_HOST": ollama.url})
        try:
            train_tiny(page, app)
            expect(page.get_by_test_id("ollama-connection")).to_have_attribute("data-state", "reachable")
            expect(page.get_by_test_id("ollama-connection")).to_contain_text(f"Ollama {ollama.version}")

            card = page.get_by_role("region", name="Ollama")
            card.get_by_label("Model name").fill("colours-e2e")
            card.get_by_role("button", name="Export to Ollama").click()
            expect(page.get_by_test_id("ollama-model")).to_contain_text("colours-e2e", timeout=60_000)
            expect(page.get_by_test_id("ollama-run")).to_contain_text("ollama run colours-e2e")
            assert ollama.find("colours-e2e") is not None
            create = ollama.calls("POST", "/api/create")[-1].json
            assert "adapters" not in create and "files" in create  # a whole model, as a current Ollama wants
            # the check: the stand-in echoes instead of running the model, so the answers differ, and it says so
            check = page.get_by_test_id("export-check")
            expect(check).to_have_attribute("data-ok", "false")
            expect(page.get_by_test_id("check-rendered")).to_have_text("same")
            expect(page.get_by_test_id("check-answer")).to_have_text("differs")
            # the tiny base is a safetensors folder: its trained model went as a GGUF llama.cpp's converter wrote
            expect(page.get_by_test_id("model-file")).to_contain_text("model.gguf")
            assert set(create["files"]) == {"model.gguf"}

            try_it = page.get_by_role("region", name="Try it")
            try_it.get_by_label("Ask the model").fill("What colour is ink?")
            try_it.get_by_role("button", name="Ask").click()
            expect(page.get_by_test_id("answer-trained")).to_contain_text("colours-e2e:latest says: What colour is ink?",
                                                                       timeout=60_000)
            expect(page.get_by_test_id("answer-base")).not_to_contain_text("Thinking", timeout=120_000)
            screenshot(page, "ollama-exported.png")

            # Teach from the answer: corrected, it goes into the run's feedback dataset, which Training lists
            marks = page.get_by_test_id("answer-marks")
            marks.get_by_role("button", name="Correct it").click()
            marks.get_by_label("Your answer (kept instead of the model’s)").fill("Ink is usually black or blue.")
            marks.get_by_role("button", name="Keep my answer").click()
            expect(marks.get_by_role("status")).to_contain_text("Kept in the dataset feedback-", timeout=30_000)
            feedback_file = next((data_home / "datasets").glob("feedback-*.jsonl"))
            kept = json.loads(feedback_file.read_text().splitlines()[-1])
            assert kept["messages"][-1]["content"] == "Ink is usually black or blue."
            assert kept["feedback"]["original"].startswith("colours-e2e:latest says:")
            expect(page.get_by_role("radio", name=re.compile("^Feedback on run"))).to_have_count(1, timeout=30_000)

            # Export again under another name and type: every type offered is one this Ollama takes
            card.get_by_role("button", name="Export again…").click()
            card.get_by_label("Model name").fill("colours-q8")
            card.get_by_label("Model file").select_option("q8_0")
            card.get_by_role("button", name="Export to Ollama").click()
            expect(page.get_by_test_id("ollama-model")).to_contain_text("colours-q8", timeout=60_000)
            assert ollama.find("colours-q8") is not None
            assert ollama.find("colours-e2e") is not None

            # A failed attempt shows as failed, with its own name; the earlier model is named apart
            ollama.stop()
            card.get_by_role("button", name="Export again…").click()
            card.get_by_label("Model name").fill("colours-gone")
            card.get_by_role("button", name="Export to Ollama").click()
            state = page.get_by_test_id("export-state")
            expect(state).to_have_attribute("data-state", "error", timeout=60_000)
            expect(state).to_contain_text("colours-gone")
            expect(page.get_by_test_id("export-still-there")).to_contain_text("colours-q8")
            expect(page.get_by_test_id("ollama-run")).to_have_count(0)
            expect(page.get_by_test_id("export-command")).to_contain_text("colours-gone")
            screenshot(page, "ollama-export-failed-again.png")
        finally:
            stop_app(app)


def test_failed_export_then_retry(data_home, tiny_model, tmp_path, page):
    write_tiny_catalog(data_home, tiny_model, tmp_path)
    ollama = OllamaStandin()
    port = ollama.start().port
    ollama.stop()  # nothing answers at that address for now
    app = start_app(data_home, {"OLLAMA_HOST": f"http://127.0.0.1:{port}"})
    try:
        train_tiny(page, app)
        expect(page.get_by_test_id("ollama-connection")).to_have_attribute("data-state", "unreachable")
        card = page.get_by_role("region", name="Ollama")
        card.get_by_role("button", name="Export to Ollama").click()
        state = page.get_by_test_id("export-state")
        expect(state).to_have_attribute("data-state", "error", timeout=60_000)
        expect(state).to_contain_text("not reachable")
        expect(page.get_by_test_id("export-command")).to_contain_text("ollama create")
        expect(page.locator('[role="status"][data-state="done"]')).to_be_visible()  # training result intact

        with OllamaStandin(port=port) as ollama:  # Ollama is started: retry
            card.get_by_role("button", name="Retry export").click()
            expect(page.get_by_test_id("ollama-model")).to_be_visible(timeout=60_000)
            assert ollama.calls("POST", "/api/create")
    finally:
        stop_app(app)

