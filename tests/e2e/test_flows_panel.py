"""The Flows view in real Chromium: run the shipped train_default flow (on the tiny model,
through its inputs), watch its TRAIN step go running -> done, and follow "Open in
TrainingPanel" to that very training."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, start_app, stop_app, write_tiny_catalog

LONG = 180_000


def test_train_default_from_the_flows_view(data_home, tiny_model, tmp_path, page):
    write_tiny_catalog(data_home, tiny_model, tmp_path)
    app = start_app(data_home)
    try:
        page.goto(app.url + "#/flows")
        expect(page.get_by_text("No flow runs yet")).to_be_visible()
        card = page.locator("article").filter(has=page.get_by_role("heading", name="Train the demo"))
        expect(card.get_by_text("Train", exact=True)).to_be_visible()
        card.get_by_role("button", name="Run Train the demo").click()
        form = page.get_by_role("form", name="Inputs for Train the demo")
        form.get_by_label("profile").select_option("tiny")  # picked from the profiles there are
        form.get_by_label("dataset").select_option("colours")
        form.get_by_role("button", name="Start run").click()

        expect(page).to_have_url(re.compile(r"#/flows/[a-z0-9_-]+$"))
        flow_run_id = page.url.rsplit("/", 1)[-1]
        expect(page.get_by_role("heading", name="Flow run Train the demo")).to_be_visible()
        step = page.locator('li[data-step-id="train"]')
        expect(step).to_have_attribute("data-state", "running", timeout=LONG)
        expect(page.get_by_test_id("training-live")).to_be_visible(timeout=LONG)
        screenshot(page, "flows-running.png")
        expect(step).to_have_attribute("data-state", "done", timeout=LONG)
        expect(page.locator('[role="status"][data-state="done"]').first).to_be_visible(timeout=LONG)
        screenshot(page, "flows-done.png")

        link = page.get_by_role("link", name="Open training")
        href = link.get_attribute("href")
        training_id = href.rsplit("/", 1)[-1]
        link.click()
        expect(page).to_have_url(re.compile(f"#/training/{training_id}$"))
        expect(page.get_by_role("heading", level=1)).to_contain_text(training_id)
        expect(page.locator('[role="status"][data-state="done"]').first).to_be_visible()

        page.goto(app.url + "#/flows")
        expect(page.locator(f'tr[data-flow-run-id="{flow_run_id}"]')).to_be_visible()
    finally:
        stop_app(app)

    from ollama_trainer.training import history

    summary = history.load_summary(training_id)
    assert summary.flow_run_id == flow_run_id and summary.status == "done"
