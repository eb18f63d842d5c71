"""History and Compare in real Chromium against browser mode: two tiny runs with different
epochs, one renamed in place, a whole row opening its run, both selected and compared: two
curves in the legend and the differing setting marked."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, start_app, stop_app, write_tiny_catalog

LONG = 180_000  # ms: a real training run on a busy 2-core machine


def train(page, epochs: int) -> None:
    page.get_by_role("radio", name="Tiny test model").check()
    page.get_by_role("radio", name="Colours").check()
    page.get_by_label("Epochs").fill(str(epochs))
    start = page.get_by_role("button", name="Start Training")
    expect(start).to_be_enabled()
    start.click()
    # The page may still show the last run's Result (a reload keeps it): this run's replaces it.
    expect(page.get_by_role("region", name="Result")).to_have_count(0, timeout=LONG)
    expect(page.get_by_role("region", name="Result")).to_be_visible(timeout=LONG)


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_rename_select_and_compare_two_runs(data_home, tiny_model, tmp_path, page):
    write_tiny_catalog(data_home, tiny_model, tmp_path)
    app = start_app(data_home)
    try:
        page.goto(app.url)
        train(page, 1)
        page.reload()
        train(page, 2)
        scores = page.get_by_role("region", name="Result").get_by_test_id("run-scores")
        expect(scores.get_by_role("region", name="Learned")).to_be_visible()
        expect(scores.get_by_role("region", name="Kept")).to_be_visible()
        scores.scroll_into_view_if_needed()
        screenshot(page, "result-scores.png")
        page.reload()

        history = page.get_by_role("region", name="History")
        rows = history.locator("tbody tr")
        expect(rows).to_have_count(2)
        compare = history.get_by_role("button", name=re.compile(r"^Compare \(\d\)$"))
        expect(compare).to_have_text("Compare (0)")
        expect(compare).to_be_disabled()

        # Rename the newest run in place: Escape cancels, Enter saves (and it stays after a reload).
        newest = rows.first
        newest.get_by_role("button", name=re.compile("^Rename run")).click()
        name = newest.get_by_role("textbox", name=re.compile("^Name of run"))
        expect(name).to_be_focused()
        name.fill("two epochs")
        name.press("Escape")
        expect(newest.get_by_role("textbox")).to_have_count(0)
        expect(newest.get_by_text("two epochs")).to_have_count(0)
        newest.get_by_role("button", name=re.compile("^Rename run")).click()
        newest.get_by_role("textbox", name=re.compile("^Name of run")).fill("two epochs")
        newest.get_by_role("textbox", name=re.compile("^Name of run")).press("Enter")
        expect(newest.get_by_text("two epochs", exact=True)).to_be_visible()
        page.reload()
        expect(rows.first.get_by_text("two epochs", exact=True)).to_be_visible()

        # A click anywhere on a row opens its run; its first cell is the link.
        newest_id = rows.first.locator('a[href^="#/training/"]').get_attribute("href").rsplit("/", 1)[-1]
        rows.first.get_by_text("Colours").click()
        expect(page).to_have_url(re.compile(f"#/training/{newest_id}$"))
        page.go_back()
        expect(rows).to_have_count(2)

        # Select both and compare.
        for i in range(2):
            rows.nth(i).get_by_role("checkbox", name=re.compile("^Select run")).check()
        expect(compare).to_have_text("Compare (2)")
        expect(compare).to_be_enabled()
        page.set_viewport_size({"width": 1024, "height": 700})
        no_sideways_scroll(page)
        rows.last.scroll_into_view_if_needed()
        screenshot(page, "history-selected.png")
        compare.click()

        expect(page).to_have_url(re.compile(r"#/compare/[^,]+,[^,]+$"))
        expect(page.get_by_role("heading", level=1, name="Compare runs")).to_be_visible()
        legend = page.get_by_role("list", name="Runs")
        expect(legend.get_by_role("listitem")).to_have_count(2)
        expect(legend).to_contain_text("two epochs")
        chart = page.get_by_test_id("compare-chart")
        expect(chart).to_have_attribute("data-series", "2")
        assert page.locator('[data-testid="compare-chart"] canvas').count() > 0

        settings = page.get_by_role("region", name="Settings")
        epochs = settings.locator("tr", has=page.get_by_role("rowheader", name=re.compile(r"^Epochs")))
        expect(epochs).to_have_attribute("data-differs", "true")
        expect(epochs.get_by_text("differs")).to_be_visible()
        expect(epochs.get_by_role("cell")).to_have_text(["2", "1"])
        expect(settings.get_by_role("rowheader", name=re.compile(r"^Learning rate"))).to_have_count(0)
        settings.get_by_role("checkbox", name="Differences only").uncheck()  # the rest too
        same = settings.locator("tr", has=page.get_by_role("rowheader", name=re.compile(r"^Learning rate")))
        expect(same).not_to_have_attribute("data-differs", "true")

        page.get_by_role("radio", name="By tokens").check()
        expect(chart).to_have_attribute("data-axis", "tokens")
        expect(chart).to_have_attribute("data-series", "2")  # both runs recorded tokens trained
        results = page.get_by_role("region", name="Scores and answers")
        expect(results.get_by_role("rowheader", name="Answer: What colour is ink?")).to_be_visible()
        no_sideways_scroll(page)
        screenshot(page, "compare.png")

        page.get_by_role("link", name=re.compile("Training")).first.click()
        expect(page.get_by_role("region", name="History")).to_be_visible()
    finally:
        stop_app(app)
