"""What the listing commands share: their arguments, and JSON on stdout."""

from __future__ import annotations

import argparse
import json
from typing import Callable, TypeVar

from pydantic import BaseModel

from ollama_trainer.errors import EXIT_OK

T = TypeVar("T", BaseModel, list)


def listing(sub: argparse._SubParsersAction, name: str, *, help: str, description: str,
            fetch: Callable[[argparse.Namespace], T], show: Callable[[T], None],
            limit: bool = False) -> argparse.ArgumentParser:
    """A command that lists what `fetch` reads: as JSON with `--json`, else as `show` prints
    it for a person; `--limit N` (newest first, at least 1) when `limit`."""
    p = sub.add_parser(name, help=help, description=description)
    if limit:
        p.add_argument("--limit", type=positive_int, default=10, help="how many finished runs (default 10)")
    p.add_argument("--json", action="store_true", help="print JSON")

    def handler(args: argparse.Namespace) -> int:
        found = fetch(args)
        if args.json:
            print_json(found)
        else:
            show(found)
        return EXIT_OK

    p.set_defaults(handler=handler)
    return p


def positive_int(text: str) -> int:
    """An argparse type: a whole number of 1 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def print_json(value: BaseModel | list[BaseModel]) -> None:
    """One model, or a list of them, as indented JSON."""
    data = [v.model_dump(mode="json") for v in value] if isinstance(value, list) else value.model_dump(mode="json")
    print(json.dumps(data, indent=2, ensure_ascii=False))
