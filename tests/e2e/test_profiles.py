"""Profiles of one's own in real Chromium against browser mode: create a profile on the tiny
model's folder (typed as a path: no file dialog in a browser), see the run's preview with its
token counts, train it to the end, read the estimate beside the measured figures on the run's
page, and delete the profile."""

from __future__ import annotations

import json
import re

from playwright.sync_api import expect

from tests.e2e.conftest import expect_run_preview, screenshot, tiny_app

LONG = 180_000  # ms: a real training run on a busy 2-core machine


def test_own_profile_preview_train_and_delete(data_home, tiny_model, tmp_path, page):
    with tiny_app(page, data_home, tiny_model, tmp_path) as app:
        page.get_by_role("button", name="New profile").click()
        editor = page.get_by_role("form", name="New profile")
        expect(editor).to_be_visible()
        # Nothing typed: Save says what is missing and saves nothing.
        editor.get_by_role("button", name="Save profile").click()
        expect(editor.get_by_text("Id is required.")).to_be_visible()

        editor.get_by_label("Id", exact=True).fill("Mine!")
        expect(editor.get_by_text(re.compile("The id must start with a lowercase letter"))).to_be_visible()
        editor.get_by_label("Id", exact=True).fill("my-tiny")
        editor.get_by_label("Name", exact=True).fill("My tiny")
        # The builtin is listed as trainable; the tiny model is a folder, typed as a path.
        expect(editor.get_by_role("radio", name=re.compile("SmolLM2 135M Instruct"))).to_be_enabled(timeout=60_000)
        editor.get_by_label("Or the path of a .gguf file or a safetensors folder").fill(str(tiny_model))
        editor.get_by_label("Default epochs").fill("2")
        editor.get_by_label("Learning rate").fill("0.02")
        editor.get_by_label("Max sequence length").fill("128")
        editor.get_by_label("LoRA rank (r)").fill("8")
        editor.get_by_label("LoRA alpha").fill("16")
        editor.get_by_label("Eval fraction").fill("0.2")
        screenshot(page, "profile-editor.png")
        editor.get_by_role("button", name="Save profile").click()

        mine = page.get_by_role("radio", name="My tiny")
        expect(mine).to_be_checked(timeout=30_000)
        expect(editor).to_have_count(0)
        saved = json.loads((data_home / "profiles.json").read_text())
        profile = next(p for p in saved["profiles"] if p["id"] == "my-tiny")
        assert profile["base_model"] == str(tiny_model)
        assert profile["learning_rate"] == 0.02 and profile["lora"]["r"] == 8

        start = page.get_by_role("button", name="Start Training")
        page.get_by_role("radio", name="Colours").check()
        preview = expect_run_preview(page, timeout=60_000)
        expect(preview).to_contain_text("Estimated peak memory")
        expect(preview.get_by_test_id("estimate")).to_have_text(re.compile(r" on CPU \((first guess|measured on this machine)\)$"))
        expect(start).to_be_enabled()
        screenshot(page, "profile-preview.png")

        start.click()
        expect(page.locator('[role="status"][data-state="done"]')).to_be_visible(timeout=LONG)
        link = page.locator('a[href^="#/training/"]').first
        training_id = link.get_attribute("href").rsplit("/", 1)[-1]
        page.goto(f"{app.url}#/training/{training_id}")
        figures = page.get_by_role("region", name="Estimated vs measured")
        expect(figures).to_be_visible(timeout=30_000)
        duration = figures.get_by_role("row", name=re.compile("^Duration"))
        cells = duration.get_by_role("cell")
        expect(cells).to_have_count(2)
        for cell in (cells.nth(0), cells.nth(1)):
            expect(cell).to_have_text(re.compile(r"^\d+:\d\d$"))
        speed = figures.get_by_role("row", name=re.compile("^Training speed")).get_by_role("cell")
        expect(speed.nth(1)).to_have_text(re.compile(r"^[\d,]+ tokens/s$"))
        memory = figures.get_by_role("row", name=re.compile("^Peak memory")).get_by_role("cell")
        expect(memory.nth(0)).to_have_text(re.compile(r"^\d+\.\d GB$"))
        expect(memory.nth(1)).to_have_text(re.compile(r"^\d+\.\d GB$"))
        screenshot(page, "run-figures.png")

        page.goto(app.url)
        actions = page.get_by_role("group", name="Actions for My tiny")
        actions.get_by_role("button", name="Delete").click()
        actions.get_by_role("button", name="Yes, delete").click()
        expect(page.get_by_role("radio", name="My tiny")).to_have_count(0)
        saved = json.loads((data_home / "profiles.json").read_text())
        assert [p["id"] for p in saved["profiles"]] == ["tiny"]
