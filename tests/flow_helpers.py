"""Flows a test writes to the user's flows folder."""

from __future__ import annotations

import json

from ollama_trainer import paths


def write_flow(flow: dict) -> None:
    """The flow definition as the user's <id>.json."""
    (paths.user_flows_dir() / f"{flow['id']}.json").write_text(json.dumps(flow), encoding="utf-8")
