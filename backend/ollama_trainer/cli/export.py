"""`ollama-trainer export`: hand a finished run's trained model to Ollama, as the window does."""

from __future__ import annotations

import argparse
import json
import sys

from ollama_trainer import settings
from ollama_trainer.errors import EXIT_FAILED, EXIT_OK, DomainError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="create an Ollama model from a finished run",
                       description="Upload a finished run's trained model (the base with the LoRA merged in, "
                                   "runs/<id>/model.gguf) to Ollama and create a model from it, then check that "
                                   "Ollama answers as the trained model. Also writes runs/<id>/Modelfile for "
                                   "building it by hand (and adapter.gguf, the LoRA alone, for llama.cpp).")
    p.add_argument("--run", required=True, metavar="ID", help="the training run to export")
    p.add_argument("--model", metavar="NAME", help="the Ollama model name (default: <dataset>-<short id>)")
    p.add_argument("--host", metavar="URL", help="Ollama's address (default: OLLAMA_HOST or http://127.0.0.1:11434)")
    p.add_argument("--quantize", choices=["f16", "q8_0", "q4_K_M"],
                   help="the model file's type, quantized here by llama.cpp before the upload (works with every "
                        "Ollama version); default: q4_K_M for a base of 1 B parameters or more, f16 below")
    p.add_argument("--accept-different", action="store_true",
                   help="exit 0 even when the check finds Ollama answering differently from the trained model")
    p.add_argument("--json", action="store_true", help="print statuses and the result as JSON lines")
    p.set_defaults(handler=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    from ollama_trainer.ollama.export import export_run

    def on_status(text: str) -> None:
        if args.json:
            print(json.dumps({"event": "status", "status": text}), flush=True)
        else:
            print(text, file=sys.stderr, flush=True)

    try:
        result = export_run(args.run, model_name=args.model, host=settings.ollama_host(args.host),
                            quantize=args.quantize, on_status=on_status)
    except DomainError as exc:
        command = _manual_command(args.run)
        if command:
            exc.hint = f"To build it by hand on a machine with Ollama: {command}"
        raise
    differs = result.check is not None and "differs" in (result.check.rendered, result.check.answer)
    if args.json:
        print(json.dumps({"event": "done", **result.model_dump(mode="json")}), flush=True)
    else:
        print(f"Model: {result.ollama_model} (at {result.host}); try it: ollama run {result.ollama_model}")
        if result.check is not None:
            print(f"{'Warning' if differs else 'Check'}: {result.check.message}")
            if differs:
                for line in check_details(result.check):
                    print(f"  {line}")
        print(f"Model file: {result.model_file}")
        print(f"Modelfile: {result.modelfile}")
        print(f"To build it by hand: {result.command}")
    if differs and not getattr(args, "accept_different", False):
        print("ollama-trainer: the model in Ollama does not answer as the trained model (see above); "
              "--accept-different exits 0 anyway", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def check_details(check) -> list[str]:
    """What differs, side by side: the prompts as rendered, the answers."""
    out = []
    if check.rendered == "differs":
        out += [f"prompt as trained:  {check.expected_prompt!r}", f"prompt in Ollama:   {check.rendered_prompt!r}"]
    if check.answer == "differs":
        out += [f"question:           {check.prompt}", f"the app's answer:   {check.app_answer!r}",
                f"Ollama's answer:    {check.ollama_answer!r}"]
    return out


def _manual_command(training_id: str) -> str | None:
    """The `ollama create` command, when the export got as far as writing the Modelfile."""
    from ollama_trainer.ollama.export import export_state

    try:
        state = export_state(training_id)
    except DomainError:
        return None
    return state.command if state.modelfile else None
