"""The window's layout in real Chromium at 800x600, 1024x768 and 1280x800, in English and
Russian: the Training view (its profiles, datasets and the forms under their toggles), History
with a few runs, a run page, its Chat page with an answer, Compare, a profile in the editor, a dataset's preview and Flows.
A visible table cell narrower than 40 px, or a button, cell, label or heading whose text is
wider than its box, fails the test, naming the view and the element. One app serves the whole
module: a tiny training gives it a real run; the other runs are history records of the shipped
profiles and datasets. Screenshots of every view go to artifacts/layout-<view>-<width>-<lang>.png."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from ollama_trainer.bridge.http import TOKEN_HEADER
from tests.e2e.conftest import ARTIFACTS, start_app, stop_app, write_tiny_catalog
from tests.unit.test_history_log import summary
from tests.waiting import wait_until

SIZES = [(800, 600), (1024, 768), (1280, 800)]
LOCALES = ["en", "ru"]
LOCALE_KEY = "ollama-trainer.locale"
TOLERANCE = 2  # px: rounding, and a focus ring's overhang

# Every visible cell at least 40 px wide; buttons, cells, labels, headings, pills and the other
# boxes that hold words no narrower than their text (scrollWidth > clientWidth). Scroll boxes
# (overflow auto or scroll: code, logs), text fields and what is said to screen readers only
# are left out.
CHECK = """
(min) => {
  const problems = [];
  const seen = (el) => {
    if (el.closest('.visually-hidden, [hidden], [aria-hidden="true"]')) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden';
  };
  const name = (el) => {
    const cls = typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
    return `<${el.tagName.toLowerCase()}${cls}> "${(el.innerText || el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 60)}"`;
  };
  for (const cell of document.querySelectorAll('td, th')) {
    if (!seen(cell)) continue;
    const width = cell.getBoundingClientRect().width;
    if (width < min) problems.push(`${name(cell)} is ${Math.round(width)} px wide`);
  }
  const boxes = 'button, td, th, label, summary, legend, h1, h2, h3, dt, dd, .badge, [role="status"], '
    + 'a[role="button"], .name, .choice-box, select';
  for (const el of document.querySelectorAll(boxes)) {
    if (!seen(el)) continue;
    const style = getComputedStyle(el);
    if (style.display === 'inline' || ['auto', 'scroll'].includes(style.overflowX)) continue;
    if (el.scrollWidth > el.clientWidth + TOLERANCE)
      problems.push(`${name(el)} overflows its box: ${el.scrollWidth} > ${el.clientWidth} px`);
    if (el.tagName === 'SELECT' && el.selectedIndex >= 0) {
      const option = el.options[el.selectedIndex].text;
      const ctx = document.createElement('canvas').getContext('2d');
      ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
      const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 16;
      if (ctx.measureText(option).width > room + TOLERANCE)
        problems.push(`${name(el)} cuts its choice "${option}"`);
    }
  }
  const page = document.documentElement;
  if (page.scrollWidth > page.clientWidth + TOLERANCE)
    problems.push(`the page scrolls sideways: ${page.scrollWidth} > ${page.clientWidth} px`);
  return [...new Set(problems)];
}
""".replace("TOLERANCE", str(TOLERANCE))


class Client:
    """The app's HTTP bridge, as the page calls it (the token from the page)."""

    def __init__(self, url: str):
        self.url = url
        self.token = re.search(r'name="ot-token" content="([^"]+)"', httpx.get(url, timeout=10).text).group(1)

    def call(self, name: str, args: dict | None = None):
        r = httpx.post(f"{self.url}api/{name}", json=args or {}, headers={TOKEN_HEADER: self.token}, timeout=30)
        assert r.status_code == 200, r.text
        return r.json()


def seed_history(monkeypatch_home) -> list[str]:
    """History records of the shipped profiles and datasets, in every state a row can show."""
    from ollama_trainer.training import history

    rows = [
        dict(profile_id="quick-demo", dataset_id="identity-demo", status="done", learned=0.8, kept=0.95,
             duration_s=75.0, name="A rather long name for the first run"),
        dict(profile_id="standard-lora", dataset_id="support-faq", status="error", final_loss=None,
             message="the worker stopped"),
        dict(profile_id="quick-demo", dataset_id="support-faq", status="cancelled", duration_s=3_700.0),
        dict(profile_id="standard-lora", dataset_id="identity-demo", status="interrupted", eval_loss=0.4321),
    ]
    ids = []
    for k, extra in enumerate(rows):
        record = summary(k, started_at=f"2026-11-2{k}T10:00:00+00:00", finished_at=f"2026-11-2{k}T10:05:00+00:00",
                         **extra)
        history.record(record)
        ids.append(record.training_id)
    return ids


@pytest.fixture(scope="module")
def layout_app(tmp_path_factory, tiny_model):
    """One app for the module: write_tiny_catalog's catalog, seeded history records and one tiny
    run trained through the app (its page and Compare read a real run folder)."""
    home = tmp_path_factory.mktemp("layout-home")
    tmp = tmp_path_factory.mktemp("layout-tmp")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OLLAMA_TRAINER_HOME", str(home))
        write_tiny_catalog(home, tiny_model, tmp)
        seeded = seed_history(mp)
    app = start_app(home)
    try:
        client = Client(app.url)
        tid = client.call("start_training_job", {"profile_id": "tiny", "dataset_id": "colours", "epochs": 1})[
            "training_id"]
        wait_until(lambda: client.call("get_training_run", {"training_id": tid})["summary"] is not None,
                   what="the tiny run to finish")
        yield app, tid, seeded
    finally:
        stop_app(app)


def problems_in(page) -> list[str]:
    return page.evaluate(CHECK, 40)


def shot(page, view: str, width: int, locale: str, full_page: bool) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"layout-{view}-{width}-{locale}.png"), full_page=full_page)


def open_all_toggles(page) -> None:
    page.evaluate("() => document.querySelectorAll('main details').forEach((d) => { d.open = true; })")


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_views_fit_their_boxes(layout_app, browser, size, locale):
    app, tid, seeded = layout_app
    width, height = size
    context = browser.new_context(viewport={"width": width, "height": height})
    context.add_init_script(f"localStorage.setItem('{LOCALE_KEY}', '{locale}')")
    page = context.new_page()
    found: dict[str, list[str]] = {}

    def check(view: str, full_page: bool = True) -> None:
        """The problems on the page now that no view before found (several views share a page)."""
        page.wait_for_timeout(150)  # a layout pass after the last change
        earlier = {p for ps in found.values() for p in ps}
        found[view] = [p for p in problems_in(page) if p not in earlier]
        shot(page, view, width, locale, full_page)

    try:
        page.goto(app.url + "#/training")
        history = page.locator("section", has=page.locator("table")).last
        expect(history.locator("tbody tr")).to_have_count(len(seeded) + 1)
        expect(page.locator('input[type="radio"]').first).to_be_visible()
        open_all_toggles(page)
        check("training")

        history.evaluate("(el) => el.scrollIntoView()")
        check("history", full_page=False)

        page.get_by_role("button", name=re.compile("^(Preview|Просмотр)$")).first.click()
        expect(page.locator('.preview[role="region"]')).to_be_visible()
        check("dataset-preview")

        page.get_by_role("button", name=re.compile("^(Edit|Изменить)$")).first.click()
        expect(page.get_by_role("form").first).to_be_visible()
        open_all_toggles(page)
        check("profile-editor")

        page.goto(app.url + f"#/training/{tid}")
        expect(page.get_by_role("heading", level=1)).to_contain_text(tid)
        expect(page.locator('[role="status"][data-state="done"]').first).to_be_visible()
        open_all_toggles(page)
        check("run")

        page.goto(app.url + f"#/chat/{tid}")
        expect(page.get_by_role("heading", level=1)).to_contain_text(tid)
        page.locator("#chat-prompt").fill("What colour is ink?")
        page.locator("#chat-prompt").press("Enter")
        expect(page.get_by_test_id("chat-answer")).to_have_attribute("data-done", "true", timeout=120_000)
        check("chat")

        page.goto(app.url + f"#/compare/{tid},{seeded[0]}")
        expect(page.locator("table").first).to_be_visible()
        check("compare")

        page.goto(app.url + "#/flows")
        expect(page.locator("article").first).to_be_visible()
        check("flows")
        page.locator("article").first.get_by_role("button").first.click()  # Run: its inputs
        expect(page.get_by_role("form").first).to_be_visible()
        check("flow-inputs")
    finally:
        context.close()

    assert not any(found.values()), "\n".join(
        f"{view} at {width}x{height} ({locale}): {p}" for view, ps in found.items() for p in ps)
