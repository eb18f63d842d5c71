"""Coming back to the app: a run cancelled in one app is shown exactly the same by the next one
(restarted in between) and continues from its checkpoint with Resume; a job another process
runs (a CLI `train`) is shown in the sidebar, and Start offers to wait in line behind it."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import LONG, pill, screenshot, start_app, start_tiny_run, stop_app, tiny_app, write_tiny_catalog
from tests.waiting import DEFAULT_TIMEOUT


def counts(page) -> str:
    """The progress line of the run shown: "epoch E / T step S / N"."""
    return " ".join(page.locator(".job .counts").inner_text().split())


def test_cancelled_run_after_a_restart_shows_its_place_and_resumes_to_done(data_home, tiny_model, tmp_path, page):
    with tiny_app(page, data_home, tiny_model, tmp_path, default_epochs=100):
        start_tiny_run(page)
        # Past the first epoch's checkpoint and a few steps into the next.
        expect(page.locator(".job .counts")).to_contain_text(re.compile(r"epoch [1-9]\d* / 100"), timeout=LONG)
        page.get_by_role("button", name="Cancel training").click()
        page.get_by_role("button", name="Yes, cancel").click()
        expect(pill(page, "cancelled")).to_be_visible(timeout=LONG)

        link = page.get_by_role("link", name="Open run details")
        training_id = link.get_attribute("href").rsplit("/", 1)[-1]
        link.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(training_id)
        expect(pill(page, "cancelled")).to_be_visible()
        before = counts(page)
        message = page.locator(".job .message").inner_text()
        assert "checkpoint saved" in message

    app = start_app(data_home)  # a new app: the run page comes from the run folder alone
    try:
        page.goto(f"{app.url}#/training/{training_id}")
        expect(pill(page, "cancelled")).to_be_visible(timeout=30_000)
        expect(page.locator(".job .counts")).not_to_contain_text("step 0 / 0")
        assert counts(page) == before, (counts(page), before)
        expect(page.locator(".job .message")).to_contain_text("checkpoint saved")
        resume = page.get_by_role("button", name="Resume")
        expect(resume).to_be_visible()
        screenshot(page, "run-resumable.png")

        # Train on to two epochs past where it stopped.
        epoch = int(re.search(r"epoch (\d+) / 100", before).group(1))
        page.get_by_label("Train to epochs").fill(str(epoch + 2))
        resume.click()
        expect(page).not_to_have_url(re.compile(f"#/training/{training_id}$"), timeout=30_000)
        new_id = page.url.rsplit("/", 1)[-1]
        assert new_id != training_id
        continues = page.get_by_test_id("resumed-from")
        expect(continues).to_contain_text(f"Continues {training_id}")
        expect(continues.get_by_role("link", name=training_id)).to_have_attribute("href", f"#/training/{training_id}")
        expect(pill(page, "done")).to_be_visible(timeout=LONG)
        expect(page.locator(".job .counts")).to_contain_text(f"epoch {epoch + 2} / {epoch + 2}")
        expect(page.get_by_role("button", name="Resume")).to_have_count(0)
    finally:
        stop_app(app)


def test_job_of_another_process_in_the_sidebar_and_start_offers_the_queue(data_home, tiny_model, tmp_path, page):
    from ollama_trainer import catalog
    from ollama_trainer.training.manager import TrainingManager

    write_tiny_catalog(data_home, tiny_model, tmp_path, default_epochs=100)
    app = start_app(data_home)
    cli = TrainingManager(origin="cli")  # as `ollama-trainer train` would, in another process
    cli_id = None
    try:
        page.goto(app.url)
        slot = page.get_by_test_id("job-slot")
        expect(slot).to_have_attribute("data-state", "free", timeout=30_000)
        page.get_by_role("radio", name="Tiny test model").check()
        page.get_by_role("radio", name="Colours").check()

        cli_id = cli.start(catalog.get_profile("tiny"), catalog.get_dataset_entry("colours"), epochs=100)
        expect(slot).to_have_attribute("data-state", "running", timeout=30_000)
        expect(slot.get_by_role("link", name=cli_id)).to_have_attribute("href", f"#/training/{cli_id}")
        expect(slot).to_contain_text("started from the command line")

        page.get_by_role("button", name="Start Training").click()
        expect(page.get_by_role("alert")).to_contain_text(cli_id)
        page.get_by_role("button", name="Queue it").click()
        expect(pill(page, "queued")).to_be_visible(timeout=30_000)
        expect(page.locator(".job .message")).to_contain_text("place 1 in line")
        expect(slot).to_contain_text("1 waiting in line", timeout=30_000)
        screenshot(page, "queued.png")

        # A queued job leaves the line when cancelled; the other process's job goes on.
        page.get_by_role("button", name="Cancel training").click()
        page.get_by_role("button", name="Yes, cancel").click()
        expect(pill(page, "cancelled")).to_be_visible(timeout=30_000)
        assert cli.status(cli_id).status in ("preparing", "running")
    finally:
        if cli_id:
            cli.cancel(cli_id)
            cli.wait(cli_id, DEFAULT_TIMEOUT)  # until the job's finished event
        stop_app(app)
