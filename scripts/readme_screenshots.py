"""Take the README's screenshots from the real app: browser mode on a fresh data folder, the
Quick demo profile training the builtin model on the identity dataset, then the shipped
train_default flow. Writes docs/images/*.png.

    .venv/bin/python scripts/readme_screenshots.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("OLLAMA_TRAINER_MODELS_CACHE", str(REPO / ".cache" / "models"))

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, start_app, stop_app  # noqa: E402

IMAGES = REPO / "docs" / "images"
WAIT = 600_000


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    app = start_app(Path(tempfile.mkdtemp(prefix="ot-shots-")))
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            page.goto(app.url)
            page.get_by_role("radio", name="Quick demo (CPU)").check()
            page.get_by_role("radio", name="Identity: Lumen by Northwind Labs").check()
            page.screenshot(path=str(IMAGES / "training-idle.png"))
            page.get_by_role("button", name="Start Training").click()
            expect(page.locator('[role="status"][data-state="running"]')).to_be_visible(timeout=WAIT)
            page.wait_for_function("() => Number(document.querySelector('[data-testid=loss-chart]')"
                                   "?.dataset.points || 0) >= 6", timeout=WAIT)
            page.get_by_role("region", name="Current run").scroll_into_view_if_needed()
            page.screenshot(path=str(IMAGES / "training-running.png"))
            expect(page.locator('[role="status"][data-state="done"]')).to_be_visible(timeout=WAIT)
            result = page.get_by_role("region", name="Result")
            result.scroll_into_view_if_needed()
            page.screenshot(path=str(IMAGES / "training-done.png"))
            page.get_by_role("link", name="Open run details").click()
            page.screenshot(path=str(IMAGES / "training-run-page.png"))

            page.goto(app.url + "#/flows")
            page.screenshot(path=str(IMAGES / "flows.png"))
            page.get_by_role("button", name="Run Train the demo").click()
            page.get_by_role("button", name="Start run").click()
            expect(page.get_by_test_id("training-live")).to_contain_text("step 3", timeout=WAIT)
            page.screenshot(path=str(IMAGES / "flows-run.png"))
            expect(page.locator('li[data-step-id="train"][data-state="done"]')).to_be_visible(timeout=WAIT)
            browser.close()
    finally:
        stop_app(app)
    print("screenshots in", IMAGES)


if __name__ == "__main__":
    main()
