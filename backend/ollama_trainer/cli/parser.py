"""`ollama-trainer`: the desktop app by default, browser mode, and the subcommands (one module each in
this package); every subcommand runs through `run`, which turns a domain error into a line and an
exit code."""

from __future__ import annotations

import argparse
import errno
import json
import sys

from ollama_trainer import __version__

DESCRIPTION = "Fine-tune local models with LoRA and hand them to Ollama."
UNWRITABLE = (errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM)  # a data folder it cannot write


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ollama-trainer", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--browser", action="store_true", help="serve the UI on 127.0.0.1 instead of opening a window")
    parser.add_argument("--port", type=int, default=0, help="port for --browser (default: a free one)")
    parser.add_argument("--no-open", action="store_true", help="with --browser: do not open a web browser")
    parser.add_argument("--debug", action="store_true", help="open the window with developer tools")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    from ollama_trainer.cli import (
        ask, bases, chat, compare, datasets, export, flow, history, preview, profiles, train,
    )

    for command in (train, ask, chat, bases, preview, profiles, datasets, history, compare, export, flow):
        command.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from ollama_trainer import app

    problem = app.setup_logging(console=args.command is None)
    if problem and args.command is None:
        print(f"ollama-trainer: {problem}", file=sys.stderr)
    if args.command is None:
        if args.browser:
            return app.run_browser(port=args.port, open_browser=not args.no_open)
        return app.run_desktop(debug=args.debug)
    return run(args)


def run(args: argparse.Namespace) -> int:
    """Every subcommand runs here: a DomainError becomes one line on stderr (or one JSON
    object on stdout with --json) and its code's exit code (errors.py)."""
    from ollama_trainer.app import unwritable_message
    from ollama_trainer.errors import DomainError

    try:
        return args.handler(args)
    except DomainError as exc:
        report(exc, as_json=getattr(args, "json", False))
        return exc.exit_code
    except OSError as exc:
        if exc.errno not in UNWRITABLE:
            raise
        report(DomainError(unwritable_message(exc), code="data_folder_unwritable"), as_json=getattr(args, "json", False))
        return 1


def report(exc, *, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"event": "error", "code": exc.code, "message": exc.message, "hint": exc.hint}), flush=True)
        return
    print(f"ollama-trainer: {exc.code}: {exc.message}", file=sys.stderr)
    if exc.hint:
        print(exc.hint, file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
