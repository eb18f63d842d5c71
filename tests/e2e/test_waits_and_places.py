"""The window keeps its promises across waits and reloads, in real Chromium against browser mode
on the tiny model (one app for the module; each test leaves no training behind):

- one estimate: the preview's words, quoted by the chosen profile's and dataset's cards,
  *Current run* and the run page;
- every stage counts (and the sidebar, reading the card's own snapshot, always agrees with it);
- a reload keeps the Result card, and the run queued from here in its *Waiting in line* card;
- a run page's Resume reads *Queue it* while another training runs, and the address follows the
  new run; a flow started while a training runs waits in line, at its own address.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LONG, expect_run_preview, pill, screenshot, start_app, stop_app
from tests.integration.conftest import profile, write_chat_dataset
from tests.waiting import wait_until

# What the Current run card and the sidebar show, read in one go (one JS task: never half a
# re-render apart).
READ_BOTH = """() => {
  const text = (el) => (el ? el.textContent.replace(/\\s+/g, ' ').trim() : null);
  const card = [...document.querySelectorAll('section.job')]
    .find((s) => text(s.querySelector('h2')) === 'Current run');
  return {
    state: card?.querySelector('[role=status]')?.getAttribute('data-state') ?? null,
    counts: text(card?.querySelector('.counts')),
    stage: text(card?.querySelector('[data-testid=job-stage] .num')),
    slotProgress: text(document.querySelector('[data-testid=slot-progress]')),
    slotStage: text(document.querySelector('[data-testid=slot-stage]')),
  };
}"""


@pytest.fixture(scope="module")
def shared(tmp_path_factory, tiny_model):
    """One app on a data folder with two tiny profiles: 'Tiny test model' (2 epochs, replay and
    the probe: every stage) and 'Tiny long' (100 epochs, no replay or probe: a run to cancel)."""
    home = tmp_path_factory.mktemp("home")
    tmp = tmp_path_factory.mktemp("data")
    (home / "profiles.json").write_text(json.dumps({"profiles": [
        profile(tiny_model, id="tiny", name="Tiny test model", default_epochs=2),
        profile(tiny_model, id="tiny-long", name="Tiny long", default_epochs=100, replay="off", probe=False),
    ]}))
    dataset = write_chat_dataset(tmp / "colours.jsonl", repeat=2)
    (home / "datasets").mkdir()
    (home / "datasets" / "index.json").write_text(json.dumps({"datasets": [{
        "id": "colours", "name": "Colours", "description": "What colour things are", "path": str(dataset),
        "format": "chat", "held_out_prompts": ["What colour is ink?"]}]}))
    app = start_app(home)
    yield app
    stop_app(app)


def choose(page, profile_name: str) -> None:
    page.get_by_role("radio", name=profile_name).check()
    page.get_by_role("radio", name="Colours").check()


def run_id(card) -> str:
    return card.get_by_role("link", name="Open run details").get_attribute("href").rsplit("/", 1)[-1]


def cancel(page, card) -> None:
    card.get_by_role("button", name="Cancel training").click()
    card.get_by_role("button", name="Yes, cancel").click()
    expect(pill(card, "cancelled")).to_be_visible(timeout=LONG)


def start_long_run(page) -> str:
    """A 'Tiny long' run from the Training view, past its first checkpoint; its id."""
    choose(page, "Tiny long")
    page.get_by_role("button", name="Start Training").click()
    current = page.get_by_role("region", name="Current run")
    expect(current.locator(".counts")).to_contain_text(re.compile(r"epoch [1-9]\d* / 100"), timeout=LONG)
    return run_id(current)


def test_one_estimate_counted_stages_and_the_result_after_a_reload(shared, page):
    page.goto(shared.url)
    choose(page, "Tiny test model")
    estimate = expect_run_preview(page, LONG).get_by_test_id("estimate").inner_text()
    assert re.fullmatch(r"\d+:\d\d on CPU \((first guess|measured on this machine)\)", estimate), estimate
    expect(page.get_by_test_id("profile-estimate")).to_have_text(estimate)  # the cards quote it
    expect(page.get_by_test_id("dataset-estimate")).to_have_text(estimate)

    page.get_by_role("button", name="Start Training").click()
    current = page.get_by_role("region", name="Current run")
    expect(current.get_by_test_id("estimate")).to_have_text(estimate, timeout=30_000)

    seen, shot = [], []

    def agreeing_until_done():
        both = page.evaluate(READ_BOTH)
        if both["slotProgress"]:  # the sidebar knows the run: it says what the card says
            assert both["slotStage"] == both["stage"], both
            assert both["slotProgress"].startswith(both["state"]), both
            for part in re.findall(r"(?:epoch|step) \d+ / \d+", both["slotProgress"]):
                assert part in both["counts"], both
            seen.append(both)
            if both["stage"] and re.search(r"\d+ of \d+", both["stage"]) and not shot:
                shot.append(screenshot(page, "stage-counted.png"))  # what the card says while it works
        return both["state"] == "done"

    wait_until(agreeing_until_done, what="the run to end, the sidebar agreeing with the card")
    counted = [s for s in seen if s["stage"] and re.search(r"\d+ of \d+", s["stage"])]
    assert counted, f"no stage count seen in {len(seen)} looks"
    assert any(s["slotProgress"].startswith("running") for s in seen)

    result = page.get_by_role("region", name="Result")
    expect(result).to_be_visible()
    training_id = run_id(current)
    page.reload()  # the Result card survives a reload
    expect(page.get_by_role("region", name="Result")).to_be_visible(timeout=30_000)
    expect(pill(page.get_by_role("region", name="Current run"), "done")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/(#/training)?$"))
    screenshot(page, "result-after-reload.png")

    page.get_by_role("region", name="Current run").get_by_role("link", name="Open run details").click()
    expect(page).to_have_url(re.compile(f"#/training/{training_id}$"))
    expect(page.get_by_test_id("run-figures").get_by_test_id("estimate")).to_have_text(estimate)
    expect(page.get_by_test_id("estimate").first).to_have_text(estimate)  # its Current run card too


def test_a_queued_run_after_a_reload_and_resume_queues_at_the_new_address(shared, page):
    page.goto(shared.url)
    first = start_long_run(page)

    choose(page, "Tiny long")
    page.get_by_role("button", name="Queue it").click()
    waiting = page.get_by_role("region", name="Waiting in line")
    expect(waiting.get_by_text("place 1 in line")).to_be_visible(timeout=60_000)
    queued = run_id(waiting)

    page.reload()  # the queued run is shown again, from the job slot
    waiting = page.get_by_role("region", name="Waiting in line")
    expect(waiting.get_by_text("place 1 in line")).to_be_visible(timeout=60_000)
    assert run_id(waiting) == queued
    screenshot(page, "queued-after-reload.png")

    cancel(page, page.get_by_role("region", name="Current run"))
    following = page.get_by_role("region", name="Next run")  # the queued run starts
    expect(following.locator(".counts")).to_contain_text(re.compile(r"epoch [1-9]\d* / 100"), timeout=LONG)

    # The cancelled run's page: Resume waits in line behind the run that goes on now.
    page.goto(f"{shared.url}#/training/{first}")
    expect(page.get_by_text(f"Training {queued} holds this machine")).to_be_visible(timeout=30_000)
    epoch = int(re.search(r"epoch (\d+) / 100", page.locator(".job .counts").inner_text()).group(1))
    page.get_by_label("Train to epochs").fill(str(epoch + 1))
    page.get_by_role("button", name="Queue it").click()
    expect(page).not_to_have_url(re.compile(f"#/training/{first}$"), timeout=30_000)
    resumed = page.url.rsplit("/", 1)[-1]
    assert resumed not in (first, queued)
    expect(pill(page, "queued")).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("resumed-from")).to_contain_text(f"Continues {first}")

    page.reload()  # the address holds the new run
    expect(page.get_by_role("heading", level=1)).to_contain_text(resumed, timeout=30_000)
    cancel(page, page)
    page.goto(f"{shared.url}#/training/{queued}")
    cancel(page, page)


def test_a_flow_started_while_a_training_runs_waits_in_line_at_its_own_address(shared, page):
    page.goto(shared.url)
    start_long_run(page)

    page.get_by_role("link", name="Flows", exact=True).click()
    card = page.locator("article").filter(has=page.get_by_role("heading", name="Train the demo"))
    expect(card.get_by_test_id("flow-waits")).to_be_visible(timeout=30_000)  # said before Run
    card.get_by_role("button", name="Run Train the demo").click()
    form = page.get_by_role("form", name="Inputs for Train the demo")
    form.get_by_label("profile").select_option("tiny")
    form.get_by_label("dataset").select_option("colours")
    form.get_by_role("button", name="Start run").click()

    expect(page).to_have_url(re.compile(r"#/flows/[a-z0-9_-]+$"))
    flow_run = page.url.rsplit("/", 1)[-1]
    step = page.locator('li[data-step-id="train"]')
    expect(step.get_by_test_id("training-queued")).to_contain_text("place 1", timeout=60_000)
    page.reload()
    expect(page).to_have_url(re.compile(f"#/flows/{flow_run}$"))
    expect(page.locator('li[data-step-id="train"]').get_by_test_id("training-queued")).to_be_visible(timeout=30_000)

    page.get_by_role("button", name="Cancel run").click()
    page.get_by_role("button", name="Yes, cancel run").click()
    expect(page.locator('[role="status"][data-state="cancelled"]').first).to_be_visible(timeout=LONG)
    page.get_by_role("link", name="Training", exact=True).click()
    cancel(page, page.get_by_role("region", name="Current run"))
