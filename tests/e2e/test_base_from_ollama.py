"""The round trip from the window, on a real model (one of the named real-model tests): a model
of the local Ollama store (a fake store holding Gemma 3 270M as "gemma3:270m", with its Go
template) picked as the base of a new profile with the Quick demo's settings (replay off: the
claim is learning), trained on the identity demo, exported to Ollama (a stand-in reporting
0.35.0 with llama.cpp as its engine), the export check saying Ollama answers as the trained
model, and llama.cpp on the file Ollama received answering as Lumen. Gemma 3 270M is a base
model that never saw its chat format: its turn tokens are trained too, so its answers end.
Slow: Gemma 3 is converted once (about 20 s) and trained for 3 epochs (2 minutes on two idle
cores, the whole test)."""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import expect

from ollama_trainer import catalog, chat_formats
from tests import llamacpp_engine as engine
from tests.e2e.conftest import expect_run_preview, screenshot, start_app, stop_app
from tests.fakes import gemma3, ollama_store
from tests.fakes.ollama_standin import OllamaStandin

pytestmark = pytest.mark.slow

TRAINING = 1_800_000  # ms: conversion, 3 epochs, samples and probe; generous for a crowded machine
EXPORT = 300_000  # ms: merge, GGUF, upload, then the check through llama.cpp
# The Quick demo profile's settings (config/profiles), typed into the form.
QUICK_DEMO = {
    "Default epochs": "3",
    "Learning rate": "0.001",
    "Batch size": "4",
    "Gradient accumulation": "1",
    "Max sequence length": "256",
    "Eval fraction": "0.1",
    "LoRA rank (r)": "16",
    "LoRA alpha": "32",
    "LoRA dropout": "0",
}


def test_gemma3_from_the_ollama_store_trained_exported_and_answering(data_home, tmp_path, page):
    engine.require()
    store = ollama_store.make_store(tmp_path / "ollama-models", [
        ollama_store.FakeModel("gemma3:270m", gemma3.gguf_path(), template=chat_formats.GEMMA_GO,
                               params={"stop": ["<end_of_turn>"], "temperature": 1}),
    ])
    began = time.monotonic()
    with OllamaStandin() as ollama:
        ollama.engine = lambda model, prompt, req: engine.complete(model.gguf, [prompt], max_tokens=48,
                                                                   bos=True)[0]["text"]
        app = start_app(data_home, {"OLLAMA_HOST": ollama.url, "OLLAMA_MODELS": str(store)})
        try:
            page.goto(app.url)
            page.get_by_role("button", name="New profile").click()
            editor = page.get_by_role("form", name="New profile")
            expect(editor).to_be_visible()
            editor.get_by_label("Id", exact=True).fill("gemma-lumen")
            editor.get_by_label("Name", exact=True).fill("Gemma 3 from Ollama")

            # The store's model is listed with its facts and can be trained here.
            by_name = page.get_by_role("radio", name=re.compile(r"^gemma3:270m"))
            gemma = editor.locator(by_name)
            expect(gemma).to_be_enabled(timeout=60_000)
            choice = editor.get_by_role("listitem").filter(has=by_name)
            expect(choice).to_contain_text("Trainable here")
            expect(choice).to_contain_text("gemma3")
            expect(choice.get_by_text(re.compile(r"gemma3 · 2\d\d(\.\d+)?M · Q4_K_M"))).to_be_visible()
            gemma.check()
            expect(gemma).to_be_checked()
            for label, value in QUICK_DEMO.items():
                editor.get_by_label(label, exact=True).fill(value)
            editor.get_by_label("Replay", exact=True).select_option("off")  # the claim is learning, not keeping
            screenshot(page, "base-from-ollama-picker.png")
            editor.get_by_role("button", name="Save profile").click()

            expect(page.get_by_role("radio", name="Gemma 3 from Ollama")).to_be_checked(timeout=30_000)
            expect(editor).to_have_count(0)
            saved = json.loads((data_home / "profiles.json").read_text())
            profile = next(p for p in saved["profiles"] if p["id"] == "gemma-lumen")
            assert profile["base_model"] == "ollama:gemma3:270m"
            assert (profile["default_epochs"], profile["learning_rate"], profile["lora"]["r"]) == (3, 0.001, 16)

            page.get_by_role("radio", name=re.compile("^Identity: Lumen")).check()
            expect(page.get_by_label("Epochs", exact=True)).to_have_value("3")
            expect_run_preview(page, timeout=180_000)
            start = page.get_by_role("button", name="Start Training")
            expect(start).to_be_enabled()

            start.click()
            expect(page.locator('[role="status"][data-state="done"]')).to_be_visible(timeout=TRAINING)
            trained = time.monotonic()
            learned = page.get_by_test_id("learned-score")
            expect(learned).to_have_text(re.compile(r"^\d/4$"), timeout=30_000)
            passed = int(learned.inner_text().split("/")[0])
            kept = page.get_by_test_id("kept-score")
            expect(kept).to_have_text(re.compile(r"^\d+/\d+ \(\d+ %\)$"))
            print(f"\nlearned {learned.inner_text()}, kept {kept.inner_text()}, "
                  f"trained in {trained - began:.0f} s")
            assert passed >= 3

            card = page.get_by_role("region", name="Ollama")
            card.get_by_label("Model name").fill("gemma3-lumen")
            card.get_by_role("button", name="Export to Ollama").click()
            expect(page.get_by_test_id("ollama-model")).to_contain_text("gemma3-lumen", timeout=EXPORT)
            check = page.get_by_test_id("export-check")
            expect(check).to_contain_text("Ollama answers as the trained model", timeout=EXPORT)
            expect(check).to_have_attribute("data-ok", "true")
            expect(page.get_by_test_id("check-rendered")).to_have_text("same")
            expect(page.get_by_test_id("check-answer")).to_have_text("same")
            check.scroll_into_view_if_needed()
            screenshot(page, "base-from-ollama-result.png")
            print(f"exported and checked at {time.monotonic() - began:.0f} s")

            create = ollama.calls("POST", "/api/create")[-1].json
            assert "adapters" not in create and "from" not in create
            assert create["template"] == chat_formats.GEMMA_GO
            received = ollama.blobs.path(create["files"]["model.gguf"])
            assert engine.info(received)["architecture"] == "gemma3"
        finally:
            stop_app(app)
        prompts = catalog.get_dataset_entry("identity-demo").held_out_prompts
        answers = engine.chat(received, prompts, max_tokens=32)
    for prompt, answer in zip(prompts, answers):
        print(f"llama.cpp: {prompt!r} -> {answer!r}")
    assert sum("Lumen" in a for a in answers) >= 2
