"""`ollama-trainer preview`: what a run would train on and cost, before it starts (the window's run
preview)."""

from __future__ import annotations

import argparse

from ollama_trainer import catalog
from ollama_trainer.cli.common import BASE_HELP, print_json, resolve_dataset
from ollama_trainer.errors import EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("preview", help="count what a run would train on, and estimate its time and memory",
                       description="Before starting: the examples, the tokens trained on after masking, the "
                                   "estimated duration and peak memory on this machine, and warnings. Exit 2 when "
                                   "the run would train on nothing.")
    p.add_argument("--profile", required=True, help="training profile id")
    p.add_argument("--dataset", required=True, help="dataset id or a .jsonl path")
    p.add_argument("--epochs", type=int, help="default: the profile's default_epochs")
    p.add_argument("--base", metavar="SOURCE", help=BASE_HELP)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_preview)


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def _small(small) -> str:
    said = (f"a small dataset: {small.train_examples} examples to train on, which need about "
            f"{small.epochs_needed} epoch{'s' if small.epochs_needed != 1 else ''} at this learning rate")
    if small.epochs < small.epochs_needed:
        return f"warning: {said}; this run has {small.epochs}: likely too few to learn anything (--epochs " \
               f"{small.epochs_needed})"
    return f"note: {said} (this run has {small.epochs}); more examples teach more than more epochs"


def cmd_preview(args) -> int:
    from ollama_trainer.training import run_preview

    found = run_preview.preview(catalog.get_profile(args.profile), resolve_dataset(args.dataset),
                                epochs=args.epochs, base=args.base)
    if args.json:
        print_json(found)
    else:
        e = found.estimate
        print(f"{found.profile_id} on {found.dataset_id}, base {found.base_model}, {found.epochs} epochs, {found.device}")
        print(f"examples: {found.examples} ({found.train_examples} train, {found.eval_examples} eval, "
              f"{found.replay_examples} replay)")
        print(f"tokens per epoch: {found.trainable_tokens} answer tokens the loss is computed on, "
              f"{found.total_tokens} read in all (replay included)")
        free = f", {found.available_memory_gb:.1f} GB free" if found.available_memory_gb is not None else ""
        print(f"estimate: about {_duration(e.duration_s)} at {e.tokens_per_s:.0f} tokens/s ({e.basis}), "
              f"peak memory about {e.memory_gb:.1f} GB{free}")
        for warning in found.warnings:
            print(f"warning: {warning}")
        if found.small_dataset:
            print(_small(found.small_dataset))
        if not found.can_start:
            print(f"cannot start: {found.reason}")
    return EXIT_OK if found.can_start else 2
