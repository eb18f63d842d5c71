"""The help text of every command, as the README shows it.

`python -m ollama_trainer.cli.help --write` refreshes the README's blocks between
`<!-- help: ollama-trainer ... -->` and `<!-- /help -->`; `--check` (and a test) fails when the
README and the real help text drift apart. Help is rendered at a fixed width so it does not
depend on the terminal.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from ollama_trainer.paths import REPO_ROOT

WIDTH = "100"
BLOCK = re.compile(r"(<!-- help: (?P<cmd>[^>]+?) -->\n)(?P<body>.*?)(<!-- /help -->)", re.S)


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def help_texts() -> dict[str, str]:
    """{"ollama-trainer": ..., "ollama-trainer train": ..., "ollama-trainer dataset check": ...}"""
    from ollama_trainer.cli.parser import build_parser

    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = WIDTH
    try:
        texts = {}
        stack = [("ollama-trainer", build_parser())]
        while stack:
            name, parser = stack.pop()
            texts[name] = parser.format_help()
            stack.extend((f"{name} {sub}", p) for sub, p in _subparsers(parser).items())
        return texts
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old


def render(readme: str, texts: dict[str, str]) -> str:
    def block(match: re.Match) -> str:
        cmd = match.group("cmd").strip()
        if cmd not in texts:
            raise KeyError(f"README names a help block for unknown command '{cmd}'")
        return f"{match.group(1)}```text\n{texts[cmd].rstrip()}\n```\n{match.group(4)}"

    return BLOCK.sub(block, readme)


def documented(readme: str) -> set[str]:
    return {m.group("cmd").strip() for m in BLOCK.finditer(readme)}


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    path = Path(REPO_ROOT / "README.md")
    readme = path.read_text(encoding="utf-8")
    texts = help_texts()
    fresh = render(readme, texts)
    missing = sorted(set(texts) - documented(readme))
    if "--write" in args:
        path.write_text(fresh, encoding="utf-8")
        print(f"README help blocks refreshed; not in the README: {missing or 'none'}")
        return 0
    if fresh != readme or missing:
        print(f"README help text is stale or missing ({missing}): run python -m ollama_trainer.cli.help --write")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
