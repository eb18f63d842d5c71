"""Every error code the backend raises is registered once (errors.CODES) with its HTTP status
and exit code; the contracts carry the list, and the client words each one."""

from __future__ import annotations

import ast
from pathlib import Path

from ollama_trainer import contracts, errors

BACKEND = Path(__file__).resolve().parents[2] / "backend" / "ollama_trainer"


def raised_codes() -> dict[str, str]:
    """code literal -> where: `code="x"` keyword arguments and `code = "x"` class attributes."""
    found = {}
    for path in BACKEND.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            value = None
            if isinstance(node, ast.keyword) and node.arg == "code":
                value = node.value
            elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "code" for t in node.targets):
                value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                found.setdefault(value.value, f"{path.relative_to(BACKEND)}:{node.lineno}")
    return found


def test_every_raised_code_is_registered():
    unknown = {code: where for code, where in raised_codes().items() if code not in errors.CODES}
    assert unknown == {}


def test_codes_carry_a_status_and_an_exit_code():
    for code in errors.CODES.values():
        assert 400 <= code.http_status < 600 and code.exit_code in (1, 2, 130) and code.meaning
    assert errors.NotFound("x", code="unknown_training").http_status == 404
    assert errors.DomainError("x", code="unknown_training").http_status == 404  # one status, whoever raises it
    assert errors.DomainError("x", code="job_running").exit_code == errors.EXIT_FAILED


def test_the_contracts_list_every_code():
    assert set(contracts.ERROR_CODES) == set(errors.CODES)
