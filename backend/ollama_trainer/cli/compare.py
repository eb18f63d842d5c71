"""`ollama-trainer compare ID ID ...`: runs side by side, as the History's compare page."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare", help="compare two or more runs: settings, losses, scores, answers",
                       description="Show runs side by side: the settings that differ (marked *), final and eval "
                                   "loss, the learned and kept scores, and each run's answers to its held-out "
                                   "prompts.")
    p.add_argument("ids", nargs="+", metavar="ID", help="training ids (see `ollama-trainer history`)")
    p.add_argument("--all", action="store_true", help="list every setting, not only those that differ")
    p.add_argument("--json", action="store_true", help="print the comparison as JSON")
    p.set_defaults(handler=cmd_compare)


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _fit(text: str, width: int) -> str:
    """`text` in `width` characters, cut with an ellipsis when longer."""
    return text if len(text) <= width else text[:width - 1] + "…"


def cmd_compare(args: argparse.Namespace) -> int:
    from ollama_trainer.training.compare import compare

    result = compare(args.ids)
    if args.json:
        print(result.model_dump_json(indent=2))
        return 0
    runs = result.runs
    width = max(14, *(len(r.training_id) for r in runs))
    rows: list[tuple[str, list[str]]] = [("run", [r.training_id for r in runs])]
    rows.append(("name", [(r.summary.name if r.summary else "") or "-" for r in runs]))
    rows.append(("status", [r.summary.status if r.summary else "running" for r in runs]))
    rows.append(("last train loss", [_cell(r.summary.final_loss if r.summary else None) for r in runs]))
    rows.append(("eval loss, kept", [_cell(r.summary.eval_loss if r.summary else None) for r in runs]))
    rows.append(("learned", [_cell(r.scores.learned if r.scores else None) for r in runs]))
    rows.append(("kept", [_cell(r.scores.kept if r.scores else None) for r in runs]))
    rows.append(("duration s", [_cell(r.summary.duration_s if r.summary else None) for r in runs]))
    for key in (result.settings if args.all else result.differing):
        mark = "*" if key in result.differing else " "
        rows.append((f"{mark}{key}", [_cell(r.settings.get(key)) for r in runs]))
    label = max(len(name) for name, _ in rows) + 2
    for name, cells in rows:
        print(name.ljust(label) + "  ".join(_fit(c, width).ljust(width) for c in cells))
    prompts = list(dict.fromkeys(s.prompt for r in runs for s in r.samples))
    for prompt in prompts:
        print(f"\n{prompt}")
        for r in runs:
            answer = next((s.after for s in r.samples if s.prompt == prompt), "-")
            print(f"  {r.training_id}: {_fit(answer, 120)}")
    if not args.all and not result.differing:
        print("\n(the runs' settings are the same; --all lists them)")
    return 0
