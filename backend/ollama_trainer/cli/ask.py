"""`ollama-trainer ask`: one question to a trained model (or a base), through the local worker."""

from __future__ import annotations

import argparse

from ollama_trainer.errors import EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ask", help="ask a trained model (or a base model) one question",
                       description="Answer a prompt greedily with a run's adapter or a profile's base model.")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--run", metavar="ID", help="a training run whose adapter to use")
    group.add_argument("--base", metavar="PROFILE", help="a profile whose base model to use, without adapter")
    p.add_argument("prompt", help="the question")
    p.add_argument("--max-new-tokens", type=int, default=96)
    p.set_defaults(handler=cmd_ask)


def cmd_ask(args: argparse.Namespace) -> int:
    from ollama_trainer.training.ask import ask

    answer = ask(run=args.run, base=args.base, prompt=args.prompt, max_new_tokens=args.max_new_tokens)
    print(answer)
    return EXIT_OK
