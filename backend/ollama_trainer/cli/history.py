"""`ollama-trainer history`: the training runs, newest first (the window's History)."""

from __future__ import annotations

import argparse

from ollama_trainer.cli.common import listing
from ollama_trainer.training import history


def register(sub: argparse._SubParsersAction) -> None:
    listing(sub, "history", help="list training runs, newest first",
            description="List training runs, newest first: the one running now (and any waiting in line), then "
                    "the finished ones.",
            fetch=lambda args: history.running() + history.recent(args.limit), show=show_history, limit=True)


def show_history(runs) -> None:
    if not runs:
        print("No training runs yet. Start one with: ollama-trainer train --profile quick-demo --dataset identity-demo")
    for r in runs:
        # the kept adapter's eval loss is the result; without an eval split, the last training loss
        loss = (f"eval {r.eval_loss:.4f}" if r.eval_loss is not None
                else f"train {r.final_loss:.4f}" if r.final_loss is not None else "-")
        dur = f"{r.duration_s:.0f}s" if r.duration_s is not None else ("now" if not r.finished_at else "-")
        print(f"{r.started_at}  {r.training_id}  {r.profile_id:<14} {r.dataset_id:<16} {r.status:<11} {loss:<12} {dur}")
