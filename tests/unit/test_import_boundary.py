"""The design's first rule: torch, transformers and peft live in the worker process only.

Importing the app, the bridge, the CLI, the flow runner and the export in a fresh interpreter
must leave them out of sys.modules."""

from __future__ import annotations

import json
import subprocess
import sys

APP_MODULES = [
    "ollama_trainer.app", "ollama_trainer.cli", "ollama_trainer.bridge.commands", "ollama_trainer.bridge.http",
    "ollama_trainer.bridge.desktop", "ollama_trainer.flows.runner", "ollama_trainer.flows.steps",
    "ollama_trainer.training.manager", "ollama_trainer.training.details", "ollama_trainer.ollama.export",
]
WORKER_ONLY = ("torch", "transformers", "peft")


def test_app_process_never_imports_the_training_stack():
    code = (
        "import importlib, json, sys\n"
        f"for name in {APP_MODULES!r}: importlib.import_module(name)\n"
        "from ollama_trainer.bridge.commands import Commands\n"
        "from ollama_trainer import cli\n"
        "cli.build_parser()\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {WORKER_ONLY!r})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    leaked = json.loads(out.stdout.strip().splitlines()[-1])
    assert leaked == [], f"imported in the app process: {leaked}"


def test_the_worker_package_is_where_torch_is():
    code = "import ollama_trainer.training.worker.recipe, sys; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "True", out.stderr
