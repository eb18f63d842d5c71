"""`ollama-trainer datasets`, `ollama-trainer dataset check` and `dataset show` (and `dataset
from-docs`, in documents.py)."""

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
    s = dsub.add_parser("show", help="print a dataset's examples (a run's feedback with where each came from)",
                        description="Print each example of a dataset: the last question and its answer, or both "
                                    "answers of a pair; a feedback dataset (feedback-<run>) also says when each was "
                                    "marked, how, and the model's own answer to a correction.")
    s.add_argument("dataset", metavar="PATH_OR_ID")
    s.set_defaults(handler=cmd_dataset_show)
    documents.register(dsub)


def show_datasets(infos) -> None:
    for d in infos:
        state = "valid" if d.valid else f"INVALID: {d.first_error}"
        print(f"{d.id:<20} {d.name}  [{d.format or d.detected_format}, {d.examples} examples, ~{d.tokens} tokens] {state}")
    show_broken(catalog.broken_entries().datasets)


def cmd_dataset_show(args) -> int:
    from ollama_trainer import datasets

    entry = resolve_dataset(args.dataset)
    loaded = datasets.load(entry.path, entry.format)
    raw = _raw_lines(entry.path)
    for example in loaded.examples:
        print(_shown(example, raw.get(example.get("line"), {}).get("feedback")))
    print(f"{len(loaded.examples)} examples, format {loaded.format}"
          + ("" if loaded.valid else f"; {len(loaded.errors)} error(s): `dataset check {args.dataset}` names them"))
    return 0 if loaded.valid else 2


def _raw_lines(path: str) -> dict[int, dict]:
    import json
    from pathlib import Path

    found = {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            found[number] = record
    return found


def _shown(example: dict, source: dict | None) -> str:
    turns = example.get("messages") or []
    asked = next((t["content"] for t in reversed(turns) if t.get("role") == "user"), "")
    head = f"line {example.get('line', '?')}"
    if source:
        head += f" [{source.get('kind', '?')}, {source.get('time', '?')}, run {source.get('run', '?')}]"
    if "chosen" in example:
        body = f"  user: {asked}\n  chosen: {example['chosen']}\n  rejected: {example['rejected']}"
    else:
        answer = next((t["content"] for t in reversed(turns) if t.get("role") == "assistant"), "")
        asked = next((t["content"] for t in reversed(turns[:-1]) if t.get("role") == "user"), asked)
        body = f"  user: {asked}\n  answer: {answer}"
    if source and source.get("kind") == "corrected":
        body += f"\n  (the model had said: {source.get('original', '')})"
    return f"{head}\n{body}"


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


