"""What the commands share: the listing commands' arguments and JSON on stdout, a dataset named by
id or path, the --base help."""

from __future__ import annotations

import argparse
import json
from typing import Callable, TypeVar

from pathlib import Path

from pydantic import BaseModel

from ollama_trainer import catalog
from ollama_trainer.contracts import DatasetEntry
from ollama_trainer.errors import EXIT_OK, DomainError

T = TypeVar("T", BaseModel, list)

BASE_HELP = ("train this base instead of the profile's: builtin, ollama:NAME[:TAG] (the local Ollama store; "
             "OLLAMA_MODELS honoured), a .gguf file or a safetensors folder")


def resolve_dataset(arg: str) -> DatasetEntry:
    """A catalog id, or a path to a .jsonl file."""
    path = Path(arg).expanduser()
    if arg.endswith((".jsonl", ".json")) or "/" in arg:
        if not path.is_file():
            raise DomainError(f"no such dataset file: {arg}", code="unknown_dataset")
        slug = catalog._slug(path.stem)
        return DatasetEntry(id=slug, name=path.name, path=str(path.resolve()), source="user")
    return catalog.get_dataset_entry(arg)


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


def show_broken(entries) -> None:
    """Entries of the user's files that cannot be read: listed so they can be fixed, never used."""
    for b in entries:
        print(f"{b.id or '?':<20} {b.name or ''}  [cannot be used] BROKEN: {b.error}")
