"""Loading JSONL datasets: each class of problem is reported on its exact line."""

from __future__ import annotations

import json

import pytest

from ollama_trainer.contracts import DatasetIssue
from ollama_trainer.datasets import (
    MAX_ISSUES,
    DatasetReadError,
    check_lengths,
    load,
    prompt_of,
    to_chat_messages,
)
from ollama_trainer.errors import DomainError, InvalidArgument
from ollama_trainer.paths import REPO_ROOT

GOOD = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}


def write(tmp_path, *lines, name="data.jsonl", newline=b"\n"):
    """Write lines (dicts become JSON, str is encoded, bytes are kept) joined by newline."""
    raw = []
    for line in lines:
        if isinstance(line, bytes):
            raw.append(line)
        elif isinstance(line, str):
            raw.append(line.encode("utf-8"))
        else:
            raw.append(json.dumps(line).encode("utf-8"))
    path = tmp_path / name
    path.write_bytes(newline.join(raw) + newline)
    return path


def only_error(loaded) -> DatasetIssue:
    assert len(loaded.errors) == 1, loaded.report_lines()
    return loaded.errors[0]


def chat(*turns):
    return {"messages": [{"role": role, "content": content} for role, content in turns]}


# --- reading -------------------------------------------------------------------------------


def test_bad_json_is_an_error_on_its_line_with_the_column(tmp_path):
    loaded = load(write(tmp_path, GOOD, GOOD, '{"messages": [', GOOD))
    issue = only_error(loaded)
    assert issue.line == 3
    assert issue.message.startswith("invalid JSON: ")
    assert "column 15" in issue.message
    assert len(loaded.examples) == 3
    assert not loaded.valid


def test_non_utf8_line_is_an_error_on_that_line_and_the_rest_is_still_checked(tmp_path):
    bad = b'{"text": "caf\xe9"}'
    loaded = load(write(tmp_path, {"text": "one"}, bad, {"text": ""}))
    assert [(e.line, e.message) for e in loaded.errors] == [
        (2, "line is not valid UTF-8 (byte 0xe9 at column 14)"),
        (3, "text is empty"),
    ]
    assert [e["line"] for e in loaded.examples] == [1]


@pytest.mark.parametrize(
    "value, kind", [("[1, 2]", "array"), ('"hello"', "string"), ("42", "number"), ("null", "null")]
)
def test_a_json_value_that_is_not_an_object_is_an_error(tmp_path, value, kind):
    loaded = load(write(tmp_path, GOOD, value))
    issue = only_error(loaded)
    assert (issue.line, issue.message) == (2, f"record must be a JSON object, not {kind}")


def test_unknown_format_lists_the_expected_keys(tmp_path):
    loaded = load(write(tmp_path, {"question": "q", "answer": "a"}, GOOD))
    issue = only_error(loaded)
    assert issue.line == 1
    for key in ("messages", "instruction", "output", "prompt", "completion", "text"):
        assert key in issue.message
    assert "found keys: answer, question" in issue.message
    assert loaded.detected_format == "chat"  # from the first record with known keys


def test_empty_file_has_one_file_level_error(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    loaded = load(path)
    assert only_error(loaded) == DatasetIssue(line=None, message="no examples")
    assert loaded.report_lines() == [f"{path}: no examples"]
    assert not loaded.valid
    assert loaded.format is None and loaded.detected_format is None


def test_only_blank_lines_is_no_examples(tmp_path):
    path = tmp_path / "blank.jsonl"
    path.write_bytes(b"\n   \n\t\r\n\n")
    loaded = load(path)
    assert only_error(loaded).message == "no examples"
    assert only_error(loaded).line is None


def test_bom_and_crlf_are_accepted(tmp_path):
    path = tmp_path / "windows.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(GOOD).encode() + b"\r\n" + json.dumps(GOOD).encode() + b"\r\n")
    loaded = load(path)
    assert loaded.valid, loaded.report_lines()
    assert [e["line"] for e in loaded.examples] == [1, 2]
    assert loaded.examples[1]["messages"][1]["content"] == "Hello!"


def test_crlf_errors_read_the_same_as_lf_errors(tmp_path):
    lines = (GOOD, '{"text": "unterminated', GOOD)
    crlf = load(write(tmp_path, *lines, name="crlf.jsonl", newline=b"\r\n"))
    lf = load(write(tmp_path, *lines, name="lf.jsonl"))
    assert only_error(crlf) == only_error(lf)
    assert only_error(crlf).line == 2
    assert "Unterminated string" in only_error(crlf).message
    # json's "Unterminated string starting at" and the column: "at" once.
    assert "starting at column" in only_error(crlf).message and " at at " not in only_error(crlf).message


def test_blank_lines_are_ignored_and_line_numbers_still_count_them(tmp_path):
    loaded = load(write(tmp_path, "", GOOD, "   ", "", chat(("user", "q")), GOOD))
    assert [e["line"] for e in loaded.examples] == [2, 6]
    assert only_error(loaded).line == 5


def test_missing_file_raises_a_domain_error_naming_the_path(tmp_path):
    path = tmp_path / "nope.jsonl"
    with pytest.raises(DatasetReadError) as info:
        load(path)
    assert isinstance(info.value, DomainError)
    assert info.value.code == "invalid_dataset"
    assert str(path) in info.value.message


def test_a_folder_is_not_readable_as_a_dataset(tmp_path):
    with pytest.raises(DatasetReadError, match="folder"):
        load(tmp_path)


def test_unknown_format_argument_is_rejected(tmp_path):
    with pytest.raises(InvalidArgument, match="sharegpt"):
        load(write(tmp_path, GOOD), format="sharegpt")


# --- chat checks ---------------------------------------------------------------------------


def test_missing_assistant_turn(tmp_path):
    loaded = load(write(tmp_path, GOOD, chat(("system", "s"), ("user", "q"))))
    issue = only_error(loaded)
    assert (issue.line, issue.field, issue.message) == (2, "messages", "no assistant message")


def test_empty_assistant_turn(tmp_path):
    loaded = load(write(tmp_path, GOOD, GOOD, chat(("user", "q"), ("assistant", "  \n"))))
    issue = only_error(loaded)
    assert (issue.line, issue.field, issue.message) == (3, "messages[1].content", "assistant message is empty")
    assert loaded.report_lines() == [f"{tmp_path / 'data.jsonl'}:3: messages[1].content: assistant message is empty"]


def test_wrong_role_names_the_role_and_the_allowed_ones(tmp_path):
    record = chat(("user", "q"), ("assistant", "a"), ("bot", "b"), ("assistant", "c"))
    loaded = load(write(tmp_path, GOOD, record))
    issue = only_error(loaded)
    assert (issue.line, issue.field) == (2, "messages[2].role")
    assert issue.message == 'role "bot" is not allowed (allowed: system, user, assistant)'


@pytest.mark.parametrize("turns, field, message", [
    ((("user", "q"), ("assistant", "a"), ("user", "again")), "messages[2].role", "last message must be from the assistant"),
    ((("user", "q"), ("user", "q2"), ("assistant", "a")), "messages[1].role", "expected an assistant message here, got user"),
], ids=["conversation_ending_with_a_user_turn", "turns_out_of_order"])
def test_a_turn_out_of_place(tmp_path, turns, field, message):
    loaded = load(write(tmp_path, GOOD, chat(*turns)))
    issue = only_error(loaded)
    assert (issue.line, issue.field) == (2, field)
    assert message in issue.message


def test_system_message_only_first(tmp_path):
    loaded = load(write(tmp_path, chat(("user", "q"), ("system", "s"), ("assistant", "a")), GOOD))
    assert only_error(loaded).field == "messages[1].role"
    assert "system message may only come first" in only_error(loaded).message


def test_non_string_content(tmp_path):
    record = {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": ["a"]}]}
    loaded = load(write(tmp_path, GOOD, GOOD, record))
    issue = only_error(loaded)
    assert (issue.line, issue.field, issue.message) == (3, "messages[1].content", "content must be a string, not array")


def test_message_that_is_not_an_object_and_messages_that_is_not_a_list(tmp_path):
    loaded = load(write(tmp_path, {"messages": ["hi"]}, {"messages": "hi"}, {"messages": []}, GOOD))
    assert [(e.line, e.field) for e in loaded.errors] == [(1, "messages[0]"), (2, "messages"), (3, "messages")]


def test_every_problem_in_a_record_is_reported(tmp_path):
    record = {"messages": [{"role": "user"}, {"role": "assistant", "content": 3}]}
    loaded = load(write(tmp_path, record))
    assert [(e.line, e.field) for e in loaded.errors if e.line] == [
        (1, "messages[0].content"),
        (1, "messages[1].content"),
    ]


# --- formats -------------------------------------------------------------------------------


def test_chat_detected_and_normalised(tmp_path):
    record = chat(("system", "Be brief."), ("user", "q"), ("assistant", "a"), ("user", "q2"), ("assistant", "a2"))
    record["messages"][1]["name"] = "extra keys are dropped"
    loaded = load(write(tmp_path, record))
    assert (loaded.format, loaded.detected_format, loaded.valid) == ("chat", "chat", True)
    assert loaded.examples == [{"messages": chat(*[(m["role"], m["content"]) for m in record["messages"]])["messages"], "line": 1}]


def test_alpaca_detected_and_normalised(tmp_path):
    records = [
        {"instruction": "Translate", "input": "bonjour", "output": "hello"},
        {"instruction": "Say hi", "input": "", "output": "hi"},
        {"instruction": "Say hi", "output": "hi", "system": "You are terse."},
    ]
    loaded = load(write(tmp_path, *records))
    assert (loaded.format, loaded.valid) == ("alpaca", True)
    assert [e["messages"] for e in loaded.examples] == [
        [{"role": "user", "content": "Translate\n\nbonjour"}, {"role": "assistant", "content": "hello"}],
        [{"role": "user", "content": "Say hi"}, {"role": "assistant", "content": "hi"}],
        [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "Say hi"},
            {"role": "assistant", "content": "hi"},
        ],
    ]


def test_alpaca_field_errors_name_the_field(tmp_path):
    loaded = load(write(tmp_path, {"instruction": "a", "output": "b"}, {"instruction": "a", "output": ""}, {"instruction": 1, "output": "b"}))
    assert [(e.line, e.field, e.message) for e in loaded.errors] == [
        (2, "output", "output is empty"),
        (3, "instruction", "instruction must be a string, not number"),
    ]


def test_prompt_completion_detected_and_normalised(tmp_path):
    loaded = load(write(tmp_path, {"prompt": "2+2?", "completion": "4"}))
    assert (loaded.format, loaded.valid) == ("prompt_completion", True)
    assert loaded.examples == [
        {"messages": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}], "line": 1}
    ]


def test_prompt_without_completion(tmp_path):
    loaded = load(write(tmp_path, {"prompt": "a", "completion": "b"}, {"prompt": "2+2?"}))
    issue = only_error(loaded)
    assert (issue.line, issue.field) == (2, "completion")
    assert "missing field 'completion'" in issue.message


def test_text_detected_and_normalised(tmp_path):
    loaded = load(write(tmp_path, {"text": "Once upon a time."}, "", {"text": "The end."}))
    assert (loaded.format, loaded.valid) == ("text", True)
    assert loaded.examples == [{"text": "Once upon a time.", "line": 1}, {"text": "The end.", "line": 3}]
    assert to_chat_messages(loaded.examples[0]) is None
    assert prompt_of(loaded.examples[0]) is None


def test_empty_text(tmp_path):
    loaded = load(write(tmp_path, {"text": "ok"}, {"text": " "}))
    issue = only_error(loaded)
    assert (issue.line, issue.field, issue.message) == (2, "text", "text is empty")


def test_format_override_that_does_not_fit_gives_per_line_errors(tmp_path):
    path = write(tmp_path, GOOD, "", GOOD)
    loaded = load(path, format="alpaca", display_path="datasets/faq.jsonl")
    assert (loaded.format, loaded.detected_format) == ("alpaca", "chat")
    assert loaded.examples == []
    line_errors = [(e.line, e.field) for e in loaded.errors if e.line]
    assert line_errors == [(1, "instruction"), (1, "output"), (3, "instruction"), (3, "output")]
    assert "this record looks like chat" in loaded.errors[0].message
    assert loaded.report_lines()[0].startswith("datasets/faq.jsonl:1: instruction: missing field 'instruction'")
    assert loaded.report_lines()[-1] == "datasets/faq.jsonl: no examples"


def test_records_of_another_format_after_detection_are_errors(tmp_path):
    loaded = load(write(tmp_path, {"text": "a"}, GOOD))
    assert loaded.format == "text"
    issue = only_error(loaded)
    assert (issue.line, issue.field) == (2, "text")


def test_format_override_that_fits(tmp_path):
    loaded = load(write(tmp_path, {"text": "a", "prompt": "ignored"}), format="text")
    assert (loaded.format, loaded.detected_format, loaded.valid) == ("text", "prompt_completion", True)


# --- limits and lengths ----------------------------------------------------------------------


def test_issues_are_capped_with_a_final_count(tmp_path):
    loaded = load(write(tmp_path, *(["{bad"] * (MAX_ISSUES + 50))))
    assert MAX_ISSUES == 200
    line_errors = loaded.errors[:MAX_ISSUES]
    assert [e.line for e in line_errors] == list(range(1, MAX_ISSUES + 1))
    assert loaded.errors[MAX_ISSUES] == DatasetIssue(line=None, message="... and 50 more errors")
    assert loaded.errors[MAX_ISSUES + 1].message == "no examples"
    assert len(loaded.errors) == MAX_ISSUES + 2


def test_check_lengths_warns_on_each_long_example(tmp_path):
    long_record = chat(("user", "word " * 30), ("assistant", "ok"))
    loaded = load(write(tmp_path, GOOD, long_record, "", long_record))

    def count_tokens(example):
        return sum(len(m["content"].split()) for m in example["messages"])

    check_lengths(loaded, count_tokens, max_seq_len=16)
    assert loaded.valid  # warnings do not make a dataset invalid
    assert [(w.line, w.severity, w.message) for w in loaded.warnings] == [
        (2, "warning", "example is 31 tokens; it will be truncated to max_seq_len (16)"),
        (4, "warning", "example is 31 tokens; it will be truncated to max_seq_len (16)"),
    ]
    assert loaded.report_lines()[-1].endswith(":4: example is 31 tokens; it will be truncated to max_seq_len (16)")


def test_check_lengths_keeps_examples_at_the_limit(tmp_path):
    loaded = load(write(tmp_path, GOOD))
    check_lengths(loaded, lambda example: 16, max_seq_len=16)
    assert loaded.warnings == []


# --- helpers for the trainer ----------------------------------------------------------------


def test_prompt_of_drops_the_last_assistant_turn():
    example = {"messages": chat(("system", "s"), ("user", "q1"), ("assistant", "a1"), ("user", "q2"), ("assistant", "a2"))["messages"], "line": 1}
    assert prompt_of(example) == chat(("system", "s"), ("user", "q1"), ("assistant", "a1"), ("user", "q2"))["messages"]
    messages = to_chat_messages(example)
    assert messages == example["messages"] and messages is not example["messages"]


# --- shipped datasets -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["identity_demo.jsonl", "support_faq.jsonl"])
def test_shipped_datasets_are_valid_chat(name):
    path = REPO_ROOT / "config" / "datasets" / name
    loaded = load(path)
    assert loaded.valid, loaded.report_lines()
    assert loaded.format == "chat"
    lines = [n for n, raw in enumerate(path.read_bytes().split(b"\n"), start=1) if raw.strip()]
    assert [e["line"] for e in loaded.examples] == lines


def test_unknown_format_message_stays_short_for_many_long_keys(tmp_path):
    record = {f"{'k' * 100}{i:02d}": i for i in range(20)}
    issue = only_error(load(write(tmp_path, record, GOOD)))
    assert issue.line == 1
    assert issue.message.endswith("and 12 more")
    assert len(issue.message) < 700
