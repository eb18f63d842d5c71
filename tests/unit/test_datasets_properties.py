"""Property tests: whatever bytes a dataset file holds, load() reports problems, never raises."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ollama_trainer.datasets import load

KEYS = ["messages", "role", "content", "instruction", "input", "output", "system", "prompt", "completion", "text", "x"]
ROLES = ["system", "user", "assistant", "bot", ""]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.sampled_from(ROLES) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(KEYS), children, max_size=4),
    max_leaves=12,
)
messages = st.lists(
    st.fixed_dictionaries({"role": st.sampled_from(ROLES), "content": st.text(max_size=6) | json_values}), max_size=5
)
records = st.dictionaries(st.sampled_from(KEYS), json_values | messages, max_size=4) | json_values
json_lines = st.lists(records.map(json.dumps) | st.sampled_from(["", "  ", "{", "\ufeff{}"]), max_size=12)
separators = st.sampled_from([b"\n", b"\r\n"])


def line_count(data: bytes) -> int:
    return data.count(b"\n") + 1


def check_file(tmp_path, data: bytes) -> None:
    path = tmp_path / "data.jsonl"
    path.write_bytes(data)
    loaded = load(path)
    assert loaded.valid == (not loaded.errors and bool(loaded.examples))
    for issue in loaded.errors:
        if issue.line is not None:
            assert 1 <= issue.line <= line_count(data), (issue, data)
    for example in loaded.examples:
        assert 1 <= example["line"] <= line_count(data)
    assert len(loaded.report_lines()) == len(loaded.errors) + len(loaded.warnings)
    if not loaded.examples:
        assert any(issue.line is None and issue.message == "no examples" for issue in loaded.errors)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes_never_raise_and_lines_are_in_range(tmp_path, data):
    check_file(tmp_path, data)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=json_lines, sep=separators, bom=st.booleans())
def test_json_like_lines_never_raise_and_lines_are_in_range(tmp_path, lines, sep, bom):
    data = (b"\xef\xbb\xbf" if bom else b"") + sep.join(line.encode("utf-8") for line in lines)
    check_file(tmp_path, data)


good_texts = st.text(min_size=1, max_size=10).filter(str.strip)
good_chat = st.builds(
    lambda q, a: json.dumps({"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]}),
    good_texts,
    good_texts,
)
bad_lines = st.sampled_from(['{"messages": [', "[]", '{"messages": []}', '{"nope": 1}']).map(str.encode) | st.just(b"\xff")


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(
        st.tuples(st.sampled_from(["good", "bad", "blank"]), good_chat, bad_lines), min_size=1, max_size=15
    ),
    sep=separators,
)
def test_each_good_and_bad_line_is_reported_on_its_own_line(tmp_path, lines, sep):
    raw = [good.encode() if kind == "good" else bad if kind == "bad" else b"  " for kind, good, bad in lines]
    path = tmp_path / "data.jsonl"
    path.write_bytes(sep.join(raw))
    loaded = load(path)
    expected_good = [n for n, (kind, _, _) in enumerate(lines, start=1) if kind == "good"]
    expected_bad = [n for n, (kind, _, _) in enumerate(lines, start=1) if kind == "bad"]
    assert [e["line"] for e in loaded.examples] == expected_good
    assert [e.line for e in loaded.errors if e.line is not None] == expected_bad
    assert loaded.valid == (bool(expected_good) and not expected_bad)
