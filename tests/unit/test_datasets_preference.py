"""Preference datasets: the three shapes TRL documents, read into one example shape, and every
problem named by line and field."""

from __future__ import annotations

import json

from ollama_trainer import datasets


def load(tmp_path, *records):
    path = tmp_path / "prefs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return datasets.load(path)


def test_the_three_shapes_read_as_one(tmp_path):
    loaded = load(tmp_path,
                  {"prompt": "Capital of France?", "chosen": "Paris.", "rejected": "Well, it is a long story."},
                  {"prompt": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "2+2?"}],
                   "chosen": [{"role": "assistant", "content": "4."}],
                   "rejected": [{"role": "assistant", "content": "Let me think about that for a while."}]},
                  {"chosen": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}],
                   "rejected": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Greetings to you."}]},
                  {"prompt": "Colour of ink?", "chosen": "Blue.", "rejected": "Many.", "system": "Answer briefly."})
    assert loaded.valid and loaded.format == "preference", loaded.report_lines()
    first, second, third, fourth = loaded.examples
    assert first == {"messages": [{"role": "user", "content": "Capital of France?"}], "chosen": "Paris.",
                     "rejected": "Well, it is a long story.", "line": 1}
    assert [m["role"] for m in second["messages"]] == ["system", "user"] and second["chosen"] == "4."
    assert third["messages"] == [{"role": "user", "content": "Hi"}] and third["rejected"] == "Greetings to you."
    assert fourth["messages"][0] == {"role": "system", "content": "Answer briefly."}
    assert datasets.is_pair(first) and not datasets.is_pair({"messages": [], "line": 1})
    # as a conversation a pair is its prompt and the chosen answer; its prompt is what a held-out pair asks
    assert datasets.to_chat_messages(first)[-1] == {"role": "assistant", "content": "Paris."}
    assert datasets.prompt_of(first) == [{"role": "user", "content": "Capital of France?"}]


def test_problems_name_line_and_field(tmp_path):
    loaded = load(tmp_path,
                  {"prompt": "Q", "chosen": "A"},
                  {"prompt": "", "chosen": "A", "rejected": "B"},
                  {"prompt": "Q", "chosen": "Same", "rejected": "Same"},
                  {"prompt": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}],
                   "chosen": "x", "rejected": "y"},
                  {"chosen": [{"role": "user", "content": "Q1"}, {"role": "assistant", "content": "A"}],
                   "rejected": [{"role": "user", "content": "Q2"}, {"role": "assistant", "content": "B"}]},
                  {"prompt": "Q", "chosen": [{"role": "assistant", "content": "A"}, {"role": "user", "content": "?"}],
                   "rejected": "B"},
                  {"prompt": "Q", "chosen": 3, "rejected": "B"},
                  {"chosen": "A", "rejected": "B"})
    lines = "\n".join(loaded.report_lines())
    assert not loaded.valid
    assert "prefs.jsonl:1: rejected: missing field 'rejected'" in lines
    assert "prefs.jsonl:2: prompt: prompt is empty" in lines
    assert "prefs.jsonl:3: rejected: rejected is the same answer as chosen" in lines
    assert "prefs.jsonl:4: prompt[1].role: the last message must be from the user" in lines
    assert "prefs.jsonl:5: rejected: without a prompt field, chosen and rejected must be the same conversation" in lines
    assert "prefs.jsonl:6: chosen: chosen must be the assistant's answer to the prompt: a string or a list of one assistant message, not 2 messages" in lines
    assert "prefs.jsonl:7: chosen: chosen must be the assistant's answer to the prompt: a string or a list of one assistant message, not number" in lines
    assert "prefs.jsonl:8: chosen: chosen is a string but the record has no prompt" in lines


def test_detected_before_prompt_completion(tmp_path):
    loaded = load(tmp_path, {"prompt": "Q", "completion": "A"})
    assert loaded.format == "prompt_completion"
    loaded = load(tmp_path, {"prompt": "Q", "chosen": "A", "rejected": "B", "completion": "ignored"})
    assert loaded.format == "preference"


def test_a_preference_file_may_hold_conversations_too(tmp_path):
    loaded = load(tmp_path,
                  {"prompt": "Q", "chosen": "A", "rejected": "B"},
                  {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]},
                  {"messages": [{"role": "user", "content": "Hi"}]})
    assert loaded.format == "preference"
    assert datasets.is_pair(loaded.examples[0]) and not datasets.is_pair(loaded.examples[1])
    assert loaded.examples[1]["messages"][-1] == {"role": "assistant", "content": "Hello!"}
    assert [i.line for i in loaded.errors] == [3]  # a conversation is checked as in a chat file
