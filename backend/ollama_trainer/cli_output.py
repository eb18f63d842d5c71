"""What the listing commands share: their arguments, and JSON on stdout."""

from __future__ import annotations

import argparse
import json

from pydantic import BaseModel


def listing(sub: argparse._SubParsersAction, name: str, *, help: str, description: str, handler,
            limit: bool = False) -> argparse.ArgumentParser:
    """A command that lists things: `--json` (and `--limit N`, newest first, when `limit`)."""
    p = sub.add_parser(name, help=help, description=description)
    if limit:
        p.add_argument("--limit", type=int, default=10, help="how many (default 10)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=handler)
    return p


def print_json(value: BaseModel | list[BaseModel]) -> None:
    """One model, or a list of them, as indented JSON."""
    data = [v.model_dump(mode="json") for v in value] if isinstance(value, list) else value.model_dump(mode="json")
    print(json.dumps(data, indent=2, ensure_ascii=False))
