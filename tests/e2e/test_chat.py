"""Teaching by talking, in the window, on the builtin model (a real-model test: the claim is that
the model then answers as corrected): train a run, chat with it, correct one answer, choose the
better of two for another, Train on feedback, and the new run answers the corrected question
with the person's answer."""

from __future__ import annotations

import json
import re

from playwright.sync_api import expect

from tests.e2e.conftest import REAL, pill, screenshot, start_app, stop_app
from tests.integration.conftest import profile, write_chat_dataset

ROWS = [("What colour is the sky?", "The sky is blue."), ("What colour is grass?", "Grass is green."),
        ("What colour is snow?", "Snow is white."), ("What colour is coal?", "Coal is black.")]
CORRECTED = "Ink is dark blue."


def write_catalog(home, tmp) -> None:
    """The builtin at a learning rate where a few marks learn in seconds (Train on feedback's
    epochs follow from it: 2 marks at 0.001 -> 20 epochs), without replay and probe (not what
    this test is about)."""
    home.mkdir(parents=True, exist_ok=True)
    chat = profile("builtin", id="chat", name="Chat test", default_epochs=1, learning_rate=1e-3, replay="off",
                   probe=False, eval_fraction=0.0, max_seq_len=128, ollama_base=None)
    (home / "profiles.json").write_text(json.dumps({"profiles": [chat]}))
    data = write_chat_dataset(tmp / "colours.jsonl", rows=ROWS)
    (home / "datasets").mkdir(exist_ok=True)
    (home / "datasets" / "index.json").write_text(json.dumps({"datasets": [{
        "id": "colours", "name": "Colours", "description": "What colour things are", "path": str(data),
        "format": "chat"}]}))


def say(page, text: str):
    """Send `text`; the newest turn once its answer is whole."""
    page.get_by_label("Your message").fill(text)
    page.get_by_label("Your message").press("Enter")
    turn = page.get_by_test_id("chat-turn").last
    expect(turn.get_by_test_id("chat-answer")).to_have_attribute("data-done", "true", timeout=120_000)
    return turn


def test_chat_correct_choose_and_train_on_feedback(data_home, builtin_model, tmp_path, page):
    write_catalog(data_home, tmp_path)
    app = start_app(data_home)
    try:
        page.goto(app.url)
        page.get_by_role("radio", name="Chat test").check()
        page.get_by_role("radio", name="Colours").check()
        page.get_by_role("button", name="Start Training").click()
        expect(pill(page, "done")).to_be_visible(timeout=REAL)
        page.get_by_test_id("open-chat").click()
        expect(page).to_have_url(re.compile(r"#/chat/\d{8}-\d{6}-\w+$"))
        first_run = page.url.rsplit("/", 1)[-1]

        # Correct one answer: the chat goes on from the correction
        turn = say(page, "What colour is ink?")
        said = turn.get_by_test_id("chat-answer").inner_text()
        turn.get_by_role("button", name="Correct it").click()
        turn.get_by_label(re.compile("^Your answer")).fill(CORRECTED)
        turn.get_by_role("button", name="Keep my answer").click()
        expect(turn.get_by_test_id("chat-marked")).to_contain_text("Corrected (the model had said:")
        expect(turn.get_by_test_id("chat-answer")).to_have_text(CORRECTED)

        # Choose the better of two for another question
        turn = say(page, "What is your name?")
        turn.get_by_role("button", name="Another answer").click()
        choose = turn.get_by_test_id("chat-choose")
        expect(choose.get_by_test_id("chat-option-2")).to_have_attribute("data-done", "true", timeout=120_000)
        chosen = choose.get_by_test_id("chat-option-2").inner_text()
        choose.get_by_role("button", name="This one is better: Answer 2").click()
        expect(turn.get_by_test_id("chat-marked")).to_have_text("Chosen over another answer")
        expect(page.get_by_test_id("feedback-count")).to_contain_text(f"2 marked in the dataset feedback-{first_run}")
        marks = [json.loads(x) for x in (data_home / "datasets" / f"feedback-{first_run}.jsonl").read_text().splitlines()]
        assert [m["feedback"]["kind"] for m in marks] == ["corrected", "pair"]
        assert marks[0]["messages"][-1]["content"] == CORRECTED and marks[0]["feedback"]["original"] == said.rstrip("…")
        assert marks[1]["prompt"][-3:] == [{"role": "user", "content": "What colour is ink?"},
                                           {"role": "assistant", "content": CORRECTED},
                                           {"role": "user", "content": "What is your name?"}]
        assert marks[1]["chosen"] == chosen.rstrip("…") and marks[1]["rejected"] != marks[1]["chosen"]
        screenshot(page, "chat-marked.png")

        # Train on feedback: a new run from this run's model, linked back
        page.get_by_role("button", name="Train on feedback").click()
        expect(page).not_to_have_url(re.compile(first_run + "$"), timeout=30_000)
        expect(page.get_by_test_id("from-run")).to_contain_text(first_run, timeout=30_000)
        expect(pill(page, "done")).to_be_visible(timeout=REAL)

        # ...and the corrected question is answered as corrected
        page.get_by_test_id("open-chat").click()
        turn = say(page, "What colour is ink?")
        expect(turn.get_by_test_id("chat-answer")).to_have_text(CORRECTED)
        screenshot(page, "chat-after-feedback.png")
        page.get_by_role("link", name="Back to the run").click()
        page.goto(f"{app.url}#/training/{first_run}")
        expect(page.get_by_test_id("trained-further-by")).to_be_visible(timeout=30_000)
    finally:
        stop_app(app)
