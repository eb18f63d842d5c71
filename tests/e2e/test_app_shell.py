"""The app in browser mode shows both views, switches between them, lists the profiles."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot


def test_both_views_and_profiles(app, page):
    page.goto(app.url)
    expect(page.get_by_role("heading", name="Training", level=1)).to_be_visible()
    expect(page.get_by_text("Quick demo (CPU)").first).to_be_visible()
    expect(page.get_by_text("Standard LoRA").first).to_be_visible()
    screenshot(page, "browser-training.png")

    page.get_by_role("link", name="Flows").click()
    expect(page.get_by_role("heading", name="Flows", level=1)).to_be_visible()
    assert page.url.endswith("#/flows")

    page.get_by_role("link", name="Training").click()
    expect(page.get_by_role("heading", name="Training", level=1)).to_be_visible()
    assert page.url.endswith("#/training")


def test_hash_route_survives_reload(app, page):
    page.goto(app.url + "#/flows")
    expect(page.get_by_role("heading", name="Flows", level=1)).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Flows", level=1)).to_be_visible()


def test_datasets_are_listed(app, page):
    page.goto(app.url)
    expect(page.get_by_text("Support FAQ").first).to_be_visible()


def test_browser_mode_stops_cleanly_on_sigterm(data_home):
    """`kill` (SIGTERM) ends browser mode like Ctrl-C: jobs, flows and warm models are shut
    down and the process exits 0 without a traceback."""
    import signal

    from tests.e2e.conftest import start_app

    app = start_app(data_home)
    app.proc.send_signal(signal.SIGTERM)
    out, _ = app.proc.communicate(timeout=60)
    assert app.proc.returncode == 0, out
    assert "Traceback" not in out, out
