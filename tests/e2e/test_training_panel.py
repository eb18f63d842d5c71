"""The Training view in real Chromium against browser mode: choose, start, watch it train the
tiny model to the end, find it in history after a reload, open it by route, cancel, and the
error banner for a broken dataset."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import LONG, pill, screenshot, start_tiny_run, tiny_app


def test_train_through_the_panel(data_home, tiny_model, tmp_path, page):
    with tiny_app(page, data_home, tiny_model, tmp_path) as app:
        expect(page.get_by_text("You haven't trained a model yet")).to_be_visible()
        start = page.get_by_role("button", name="Start Training")
        expect(start).to_be_disabled()
        page.get_by_role("radio", name="Tiny test model").check()
        expect(start).to_be_disabled()
        page.get_by_role("radio", name="Colours").check()
        expect(page.get_by_label("Epochs")).to_have_value("2")
        expect(start).to_be_enabled()
        screenshot(page, "panel-idle.png")

        start.click()
        expect(start).not_to_be_visible()  # while it runs, the button queues another run instead
        expect(page.get_by_role("button", name="Queue it")).to_be_visible()
        expect(pill(page, "done")).to_be_visible(timeout=LONG)
        chart = page.get_by_test_id("loss-chart").first
        assert int(chart.get_attribute("data-points")) > 0
        result = page.get_by_role("region", name="Result")
        expect(result).to_be_visible()
        expect(result.locator("li.sample .prompt", has_text="What colour is ink?")).to_be_visible()  # its before/after
        screenshot(page, "panel-done.png")

        link = page.locator('a[href^="#/training/"]').first
        expect(link).to_be_visible()
        href = link.get_attribute("href")
        training_id = href.rsplit("/", 1)[-1]

        page.reload()
        row_link = page.locator(f'a[href="#/training/{training_id}"]').first
        expect(row_link).to_be_visible()
        expect(page.get_by_text("done").first).to_be_visible()

        row_link.click()
        expect(page).to_have_url(re.compile(f"#/training/{training_id}$"))
        expect(page.get_by_role("heading", level=1)).to_contain_text(training_id)
        expect(page.get_by_test_id("loss-chart").first).to_have_attribute("data-points", re.compile(r"[1-9]\d*"))
        expect(page.get_by_role("region", name="Result")).to_be_visible()

        page.goto(f"{app.url}#/training/{training_id}")  # the route FlowRuns link to
        expect(page.get_by_role("heading", level=1)).to_contain_text(training_id)


def test_cancel_leaves_cancelled_in_history_and_a_queued_run_goes_next(data_home, tiny_model, tmp_path, page):
    with tiny_app(page, data_home, tiny_model, tmp_path, default_epochs=100):
        start_tiny_run(page)
        screenshot(page, "panel-running.png")

        page.reload()  # the running job is shown again after a reload
        expect(pill(page, "running")).to_be_visible(timeout=60_000)

        # Start while a run goes on is Queue it: the new run waits in line, in a card of its own
        page.get_by_role("radio", name="Tiny test model").check()
        page.get_by_role("radio", name="Colours").check()
        page.get_by_role("button", name="Queue it").click()
        waiting = page.get_by_role("region", name="Waiting in line")
        expect(waiting.get_by_text("place 1 in line")).to_be_visible(timeout=60_000)
        expect(waiting.get_by_text("queued", exact=True)).to_be_visible()
        screenshot(page, "panel-queued.png")

        current = page.get_by_role("region", name="Current run")
        current.get_by_role("button", name="Cancel training").click()
        current.get_by_role("button", name="Yes, cancel").click()
        expect(pill(current, "cancelled")).to_be_visible(timeout=LONG)
        history = page.get_by_role("region", name="History")
        expect(history.get_by_text("cancelled")).to_be_visible()

        # the queued run starts once the machine is free, and can be cancelled in turn
        after = page.get_by_role("region", name="Next run")
        expect(pill(after, "running")).to_be_visible(timeout=LONG)
        after.get_by_role("button", name="Cancel training").click()
        after.get_by_role("button", name="Yes, cancel").click()
        expect(pill(after, "cancelled")).to_be_visible(timeout=LONG)


def test_broken_dataset_shows_the_line(app, page, tmp_path):
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}\n'
                      '{"messages": [{"role": "user", "content": "Bye"}, {"role": "assistant", "content": ""}]}\n')
    page.goto(app.url)
    page.get_by_text("Add a dataset…").click()
    page.get_by_label("Path to a .jsonl file").fill(str(broken))
    page.get_by_role("button", name="Add dataset").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("broken.jsonl:2")
    expect(alert).to_contain_text("assistant message is empty")
