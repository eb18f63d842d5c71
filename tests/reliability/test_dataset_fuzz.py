"""Datasets with arbitrary bytes and JSON shapes, in every format, through the same check the
training manager runs before it starts a job: the only exception is the validation error
(DomainError, code invalid_dataset), and every problem names its line. (The parser's own
property tests are tests/unit/test_datasets_properties.py.)"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ollama_trainer.contracts import DatasetEntry
from ollama_trainer.datasets import load
from ollama_trainer.errors import DomainError
from ollama_trainer.training.plan import check_dataset
from tests.unit.test_datasets_properties import json_lines

FORMATS = [None, "chat", "alpaca", "prompt_completion", "text"]
NESTED = [b"[" * 5000, b'{"messages": ' + b"[" * 3000, b"1" * 5000, b'{"text": "' + b"x" * 100_000 + b'"}']


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(lines=json_lines, extra=st.lists(st.binary(max_size=60) | st.sampled_from(NESTED), max_size=3),
       fmt=st.sampled_from(FORMATS))
def test_only_the_validation_error_and_every_problem_names_a_line(tmp_path, lines, extra, fmt):
    raw = [line.encode("utf-8") for line in lines] + extra
    path = tmp_path / "data.jsonl"
    path.write_bytes(b"\n".join(raw))
    loaded = load(path, fmt)
    n_lines = path.read_bytes().count(b"\n") + 1
    for issue in loaded.errors:
        if issue.line is None:  # only the file-level verdict has no line
            assert issue.message == "no examples" or not loaded.examples, issue
        else:
            assert 1 <= issue.line <= n_lines
    try:
        check_dataset(DatasetEntry(id="fuzz", name="Fuzz", path=str(path), format=fmt))
    except DomainError as exc:
        assert exc.code == "invalid_dataset"
        assert re.search(r":\d+:|no examples", exc.message), exc.message  # names a line (or says it is empty)
    else:
        assert loaded.valid
