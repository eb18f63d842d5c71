"""Datasets managed from the page in real Chromium against browser mode: upload a .jsonl file by
the file input, see it valid, preview its rows, rename it, upload it again under the same id
(refused, then replaced on "Replace it"), delete it."""

from __future__ import annotations

import json

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot


# A long answer with an unbroken run of letters: cut in the preview, never wider than the window.
LONG_ANSWER = "Thank you! " * 30 + "x" * 300


def write_rows(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        for q, a in rows:
            f.write(json.dumps({"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]}) + "\n")
    return path


def test_upload_preview_rename_replace_delete(app, page, tmp_path):
    first = write_rows(tmp_path / "v1" / "greetings.jsonl",
                       [("Say hello", "Hello!"), ("Say bye", "Goodbye!"), ("Say thanks", LONG_ANSWER)])
    second = write_rows(tmp_path / "v2" / "greetings.jsonl",
                        [("Good morning", "Morning!"), ("Good night", "Sleep well!"),
                         ("Good day", "Same to you!"), ("Good evening", "Evening!")])
    page.set_viewport_size({"width": 1024, "height": 700})  # the window's smallest size
    page.goto(app.url)
    card = page.get_by_test_id("dataset-drop")

    # Upload by the page's file input: id and name from the file name, then a description.
    page.get_by_text("Add a dataset…").click()
    add = page.get_by_role("form", name="Add a dataset…")
    add.get_by_label("Choose a .jsonl file").set_input_files(str(first))
    expect(add.get_by_label("Id", exact=True)).to_have_value("greetings")
    add.get_by_label("Name", exact=True).fill("Greetings")
    add.get_by_label("Description (optional)").fill("Three polite phrases")
    add.get_by_role("button", name="Add dataset").click()
    expect(page.get_by_text("Added Greetings.")).to_be_visible()

    # It is listed, valid and picked.
    radio = card.get_by_role("radio", name="Greetings")
    expect(radio).to_be_enabled()
    expect(radio).to_be_checked()
    expect(card.get_by_text("Three polite phrases")).to_be_visible()
    assert (app.home / "datasets" / "greetings.jsonl").read_text() == first.read_text()

    # Its first rows, by role.
    actions = card.get_by_role("group", name="Greetings: actions")
    actions.get_by_role("button", name="Preview").click()
    rows = card.get_by_role("region", name="First rows of Greetings")
    expect(rows).to_contain_text("The first 3 of 3 examples")
    expect(rows).to_contain_text("Line 1")
    expect(rows).to_contain_text("Say hello")
    expect(rows).to_contain_text("Hello!")
    expect(rows.get_by_text("Assistant").first).to_be_visible()
    expect(rows).not_to_contain_text("x" * 300)
    rows.get_by_role("button", name="Show all").click()
    expect(rows).to_contain_text("x" * 300)
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    screenshot(page, "dataset-preview.png")
    actions.get_by_role("button", name="Hide preview").click()
    expect(rows).to_have_count(0)

    # Rename and describe it.
    actions.get_by_role("button", name="Rename").click()
    form = card.get_by_role("form", name="Rename Greetings")
    form.get_by_label("Name").fill("Polite phrases")
    form.get_by_label("Description").fill("Hello, bye and thanks")
    form.get_by_role("button", name="Save").click()
    expect(card.get_by_role("radio", name="Polite phrases")).to_be_visible()
    expect(card.get_by_text("Hello, bye and thanks")).to_be_visible()
    index = json.loads((app.home / "datasets" / "index.json").read_text())
    assert [(d["id"], d["name"]) for d in index["datasets"]] == [("greetings", "Polite phrases")]

    # The same id again: refused, nothing replaced until "Replace it".
    add.get_by_label("Choose a .jsonl file").set_input_files(str(second))
    expect(add.get_by_label("Id", exact=True)).to_have_value("greetings")
    add.get_by_label("Name", exact=True).fill("Greetings, second take")
    add.get_by_role("button", name="Add dataset").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("you already have a dataset 'greetings'")
    expect(alert).to_contain_text("dataset_exists")
    assert (app.home / "datasets" / "greetings.jsonl").read_text() == first.read_text()
    expect(card.get_by_role("radio", name="Polite phrases")).to_be_visible()

    page.get_by_role("group", name="Replace Polite phrases with this file?").get_by_role(
        "button", name="Replace it").click()
    expect(page.get_by_text("Replaced Greetings, second take with the new file.")).to_be_visible()
    assert (app.home / "datasets" / "greetings.jsonl").read_text() == second.read_text()
    replaced = card.get_by_role("group", name="Greetings, second take: actions")
    replaced.get_by_role("button", name="Preview").click()
    expect(card.get_by_role("region", name="First rows of Greetings, second take")).to_contain_text(
        "The first 4 of 4 examples")
    expect(card.get_by_role("radio", name="Polite phrases")).to_have_count(0)

    # Delete it, asked in the page first.
    replaced.get_by_role("button", name="Delete").click()
    replaced.get_by_role("button", name="Yes, delete").click()
    expect(card.get_by_role("radio", name="Greetings, second take")).to_have_count(0)
    assert not (app.home / "datasets" / "greetings.jsonl").exists()

    # A reload shows the same: it is gone for good.
    page.reload()
    expect(page.get_by_role("group", name="Dataset")).to_be_visible()
    expect(page.get_by_role("radio", name="Greetings, second take")).to_have_count(0)
