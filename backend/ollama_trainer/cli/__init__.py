"""The command line: `ollama-trainer` opens the window; each subcommand lives in a module of its
own here (train.py, ask.py, bases.py, preview.py, profiles.py, datasets.py with documents.py,
history.py, compare.py, export.py, flow.py) with `register(sub)` and its handler; parser.py
puts them together; common.py holds what several share; help.py keeps the README's help blocks
true. Everything a command does goes through the same parts as the window (wiring.py)."""

from ollama_trainer.cli.parser import build_parser, main, run

__all__ = ["build_parser", "main", "run"]
