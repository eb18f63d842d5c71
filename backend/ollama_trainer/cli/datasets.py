"""`ollama-trainer datasets` and `ollama-trainer dataset check` (and `dataset from-docs`, in
documents.py)."""

from __future__ import annotations

import argparse

from ollama_trainer import catalog
from ollama_trainer.cli import documents
from ollama_trainer.cli.common import listing, resolve_dataset, show_broken
from ollama_trainer.datasets.formats import FORMATS


def register(sub: argparse._SubParsersAction) -> None:
    listing(sub, "datasets", help="list datasets with their validity", description="List the datasets.",
            fetch=lambda _: catalog.list_datasets(), show=show_datasets)

    p = sub.add_parser("dataset", help="check a dataset file", description="Dataset tools.")
    dsub = p.add_subparsers(dest="dataset_command", metavar="ACTION", required=True)
    c = dsub.add_parser("check", help="validate a dataset: exit 0 when valid, 2 when not",
                        description="Validate a dataset by catalog id or .jsonl path and print every problem.")
    c.add_argument("dataset", metavar="PATH_OR_ID")
    c.add_argument("--format", choices=list(FORMATS), help="override detection")
    c.set_defaults(handler=cmd_dataset_check)
    documents.register(dsub)


def show_datasets(infos) -> None:
    for d in infos:
        state = "valid" if d.valid else f"INVALID: {d.first_error}"
        print(f"{d.id:<20} {d.name}  [{d.detected_format or d.format}, {d.examples} examples, ~{d.tokens} tokens] {state}")
    show_broken(catalog.broken_entries().datasets)


def cmd_dataset_check(args) -> int:
    from ollama_trainer import datasets

    entry = resolve_dataset(args.dataset)
    loaded = datasets.load(entry.path, args.format or entry.format, display_path=args.dataset
                           if args.dataset.endswith((".jsonl", ".json")) else entry.path)
    for line in loaded.report_lines():
        print(line)
    if loaded.valid:
        print(f"valid: {len(loaded.examples)} examples, format {loaded.format}, "
              f"~{catalog.token_count(loaded.examples)} tokens")
        return 0
    print(f"invalid: {len(loaded.errors)} error(s)")
    return 2


