"""`ollama-trainer profiles | datasets | dataset check | history`: read-only views (and `dataset from-docs`,
in cli_documents)."""

from __future__ import annotations

import argparse

from ollama_trainer import catalog, cli_documents
from ollama_trainer.cli_output import listing
from ollama_trainer.training import history


def register(sub: argparse._SubParsersAction) -> None:
    listing(sub, "profiles", help="list training profiles", description="List the training profiles.",
            fetch=lambda _: catalog.list_profiles(), show=show_profiles)
    listing(sub, "datasets", help="list datasets with their validity", description="List the datasets.",
            fetch=lambda _: catalog.list_datasets(), show=show_datasets)

    p = sub.add_parser("dataset", help="check a dataset file", description="Dataset tools.")
    dsub = p.add_subparsers(dest="dataset_command", metavar="ACTION", required=True)
    c = dsub.add_parser("check", help="validate a dataset: exit 0 when valid, 2 when not",
                        description="Validate a dataset by catalog id or .jsonl path and print every problem.")
    c.add_argument("dataset", metavar="PATH_OR_ID")
    c.add_argument("--format", choices=["chat", "alpaca", "prompt_completion", "text"], help="override detection")
    c.set_defaults(handler=cmd_dataset_check)
    cli_documents.register(dsub)

    listing(sub, "history", help="list training runs, newest first",
            description="List training runs, newest first: the one running now (and any waiting in line), then "
                        "the finished ones.",
            fetch=lambda args: history.running() + history.recent(args.limit), show=show_history, limit=True)


def show_profiles(profiles) -> None:
    for p in profiles:
        print(f"{p.id:<20} {p.name}  [{p.base_model}, {p.default_epochs} epochs, lr {p.learning_rate:g}]")
        print(f"{'':<20} {p.description}")
    show_broken(catalog.broken_entries().profiles)


def show_datasets(infos) -> None:
    for d in infos:
        state = "valid" if d.valid else f"INVALID: {d.first_error}"
        print(f"{d.id:<20} {d.name}  [{d.detected_format or d.format}, {d.examples} examples, ~{d.tokens} tokens] {state}")
    show_broken(catalog.broken_entries().datasets)


def show_broken(entries) -> None:
    """Entries of the user's files that cannot be read: listed so they can be fixed, never used."""
    for b in entries:
        print(f"{b.id or '?':<20} {b.name or ''}  [cannot be used] BROKEN: {b.error}")


def cmd_dataset_check(args) -> int:
    from ollama_trainer import datasets
    from ollama_trainer.cli_train import resolve_dataset

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


def show_history(runs) -> None:
    if not runs:
        print("No training runs yet. Start one with: ollama-trainer train --profile quick-demo --dataset identity-demo")
    for r in runs:
        # the kept adapter's eval loss is the result; without an eval split, the last training loss
        loss = (f"eval {r.eval_loss:.4f}" if r.eval_loss is not None
                else f"train {r.final_loss:.4f}" if r.final_loss is not None else "-")
        dur = f"{r.duration_s:.0f}s" if r.duration_s is not None else ("now" if not r.finished_at else "-")
        print(f"{r.started_at}  {r.training_id}  {r.profile_id:<14} {r.dataset_id:<16} {r.status:<11} {loss:<12} {dur}")
