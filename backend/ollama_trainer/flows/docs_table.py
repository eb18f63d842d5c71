"""docs/flows.md's table of steps, generated from the steps' declarations (flows/steps/).

`python -m ollama_trainer.flows.docs_table --write` refreshes the table between
`<!-- steps table ... -->` and `<!-- /steps table -->`; `--check` (and a test) fails when the docs
and the steps drift apart. A row lists the arguments (required, then *optional* in italics)
with each one's note (its `doc`, else its default) and the outputs with theirs.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from pydantic.fields import FieldInfo

from ollama_trainer.flows.step import Step
from ollama_trainer.flows.steps import STEPS
from ollama_trainer.paths import REPO_ROOT

DOCS = REPO_ROOT / "docs" / "flows.md"
BLOCK = re.compile(r"(<!-- steps table[^>]*-->\n).*?(<!-- /steps table -->)", re.S)
HEADER = "| cmd | args (required, *optional*) | outputs |\n| --- | --- | --- |\n"


def _note(field: FieldInfo) -> str:
    if field.description:
        return f" ({field.description})"
    if not field.is_required() and field.default is not None:
        return f" ({field.default})"
    return ""


def _cell(fields: dict[str, FieldInfo], *, italic_optional: bool) -> str:
    ordered = sorted(fields.items(), key=lambda item: not item[1].is_required())  # stable: declared order
    names = []
    for name, field in ordered:
        shown = f"`{name}`"
        if italic_optional and not field.is_required():
            shown = f"*{shown}*"
        names.append(shown + _note(field))
    return ", ".join(names)


def row(step: Step) -> str:
    return (f"| {step.command} | {_cell(step.args.model_fields, italic_optional=True)} "
            f"| {_cell(step.outputs.model_fields, italic_optional=False)} |")


def table(steps: dict[str, Step] = STEPS) -> str:
    return HEADER + "".join(row(step) + "\n" for step in steps.values())


def render(text: str) -> str:
    """The docs text with its steps table generated; ValueError when it has no table block."""
    if not BLOCK.search(text):
        raise ValueError(f"{DOCS.name} has no <!-- steps table ... --> ... <!-- /steps table --> block")
    return BLOCK.sub(lambda m: m.group(1) + table() + m.group(2), text)


def main(argv: list[str] | None = None, path: Path = DOCS) -> int:
    args = argv if argv is not None else sys.argv[1:]
    text = path.read_text(encoding="utf-8")
    fresh = render(text)
    if "--write" in args:
        path.write_text(fresh, encoding="utf-8")
        print(f"{path.name}: steps table refreshed")
        return 0
    if fresh != text:
        print(f"{path.name}: the steps table is stale: run python -m ollama_trainer.flows.docs_table --write")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
