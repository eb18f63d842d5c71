"""Browser-mode end-to-end tests: the real `ollama-trainer --browser` process, driven by
Playwright in Debian's Chromium (never a downloaded browser)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("OLLAMA_TRAINER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
LONG = 180_000  # ms: a tiny model's training run on a busy 2-core machine
REAL = 600_000  # ms: a real model's run (the builtin trains at a tenth of its speed beside a busy loop)

# The tiny Llama-shaped model the integration tests train (seconds on a CPU).
from tests.integration.conftest import profile, write_chat_dataset  # noqa: E402,F401


def write_tiny_catalog(home: Path, tiny_model: Path, tmp: Path, **profile_overrides) -> None:
    """A 'Tiny test model' profile and a 'Colours' dataset in the data folder, as a user's own."""
    home.mkdir(parents=True, exist_ok=True)
    overrides = {"id": "tiny", "name": "Tiny test model", "default_epochs": 2,
                 "description": "A tiny Llama-shaped model for tests", **profile_overrides}
    (home / "profiles.json").write_text(json.dumps({"profiles": [profile(tiny_model, **overrides)]}))
    dataset = write_chat_dataset(tmp / "colours.jsonl", repeat=2)
    (home / "datasets").mkdir(exist_ok=True)
    (home / "datasets" / "index.json").write_text(json.dumps({"datasets": [{
        "id": "colours", "name": "Colours", "description": "What colour things are", "path": str(dataset),
        "format": "chat", "held_out_prompts": ["What colour is ink?"]}]}))


class App:
    def __init__(self, proc: subprocess.Popen, url: str, home: Path):
        self.proc, self.url, self.home = proc, url, home


def start_app(home: Path, extra_env: dict | None = None) -> App:
    """The real `ollama-trainer --browser` process on a data folder of the test's."""
    env = {**os.environ, "OLLAMA_TRAINER_HOME": str(home), "PYTHONUNBUFFERED": "1", **(extra_env or {})}
    proc = subprocess.Popen([sys.executable, "-m", "ollama_trainer", "--browser", "--no-open"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    deadline = time.monotonic() + 60
    seen = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        match = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        if match:
            return App(proc, match.group(1), home)
    proc.kill()
    raise RuntimeError("the app did not print its URL:\n" + "".join(seen))


def stop_app(app: App) -> None:
    app.proc.terminate()
    try:
        app.proc.wait(20)
    except subprocess.TimeoutExpired:
        app.proc.kill()


@contextlib.contextmanager
def tiny_app(page, home: Path, tiny_model: Path, tmp: Path, **profile_overrides):
    """write_tiny_catalog's catalog, the app started on it and open in `page`; the app is
    stopped on the way out."""
    write_tiny_catalog(home, tiny_model, tmp, **profile_overrides)
    app = start_app(home)
    try:
        page.goto(app.url)
        yield app
    finally:
        stop_app(app)


def app_record(home: Path, lines: int = 30) -> str:
    """What the app's data folder says happened: the end of its log and each run's export
    state (a failed e2e test prints it, after the page's own snapshot)."""
    parts = []
    log_file = home / "logs" / "app.log"
    if log_file.is_file():
        parts.append(f"{log_file} (last {lines} lines):\n" + "\n".join(log_file.read_text(errors="replace").splitlines()[-lines:]))
    for state in sorted(home.glob("runs/*/export.json")):
        parts.append(f"{state}:\n{state.read_text(errors='replace')[:2000]}")
    return "\n\n".join(parts) or f"nothing under {home}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    home = item.funcargs.get("data_home") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and home is not None:
        report.sections.append(("the app's own record", app_record(Path(home))))


@pytest.fixture()
def app(data_home):
    app = start_app(data_home)
    yield app
    stop_app(app)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    return path


def pill(page, state: str):
    """The status pill in `state` (a run's or a job's)."""
    return page.locator(f'[role="status"][data-state="{state}"]')


def expect_run_preview(page, timeout: int):
    """The run preview once its figures are in (the first preview counts the tokens in a worker:
    a progress line, then the figures): the counts line, trainable of total parameters with
    0 < trainable <= total, and the estimated duration. Returns the preview."""
    from playwright.sync_api import expect

    preview = page.get_by_test_id("run-preview")
    expect(preview.get_by_text(re.compile(r"^\d+ / \d+ / \d+$"))).to_be_visible(timeout=timeout)
    tokens = preview.get_by_text(re.compile(r"^[\d,]+ of [\d,]+$"))
    expect(tokens).to_be_visible()
    trainable, total = (int(n.replace(",", "")) for n in tokens.inner_text().split(" of "))
    assert 0 < trainable <= total
    expect(preview).to_contain_text("Estimated duration")
    return preview


def start_tiny_run(page) -> None:
    """Pick write_tiny_catalog's profile and dataset, press Start and wait until it runs."""
    from playwright.sync_api import expect

    page.get_by_role("radio", name="Tiny test model").check()
    page.get_by_role("radio", name="Colours").check()
    page.get_by_role("button", name="Start Training").click()
    expect(pill(page, "running")).to_be_visible(timeout=LONG)
