"""The house's rules, checked. First: torch, transformers and peft live in the worker process
only (importing the app, the bridge, the CLI, the flow runner and the export in a fresh
interpreter leaves them out of sys.modules). Then, read from the source with every
function-level import: no module imports a floor above its own (tests/unit/layering.py), the
worker and the app side share only the run folder's layout, and no import circle."""

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


# -- the floors, read from the source (function-level imports included) -------------------------
from tests.unit import layering  # noqa: E402


def test_no_module_imports_a_floor_above_its_own():
    upward = [f"{a} -> {b} (line {line}): {layering.FLOORS[layering.floor(a)][0]} imports "
              f"{layering.FLOORS[layering.floor(b)][0]}"
              for a, b, line in layering.own_edges() if layering.floor(b) > layering.floor(a)]
    assert upward == [], "\n".join(upward)


def test_the_worker_uses_only_the_shared_parts_of_the_app_side():
    crossing = [f"{a} -> {b} (line {line})" for a, b, line in layering.own_edges()
                if layering.in_worker(a) and b.startswith("ollama_trainer.training.")
                and not layering.in_worker(b) and b not in layering.WORKER_MAY_USE]
    app_side_into_worker = [f"{a} -> {b} (line {line})" for a, b, line in layering.own_edges()
                            if not layering.in_worker(a) and layering.in_worker(b)]
    assert crossing == [] and app_side_into_worker == [], "\n".join(crossing + app_side_into_worker)


def test_the_training_stack_is_imported_only_in_the_worker_even_inside_functions():
    known = layering.modules()
    found = [f"{name} imports {target} (line {line})"
             for name, path in known.items() if not layering.in_worker(name)
             for target, line in layering.imports(name, path, known)
             if target.split(".")[0] in layering.TRAINING_STACK]
    assert found == [], "\n".join(found)


def test_no_import_circle_even_through_function_level_imports():
    assert layering.cycles([(a, b) for a, b, _ in layering.own_edges()]) == []


def test_the_floor_rule_sees_a_function_level_import():
    """The check itself: an upward import hidden in a function is found."""
    import ast

    tree = "def f():\n    from ollama_trainer.bridge import commands\n"
    path = layering.PACKAGE / "training" / "_probe_for_the_test.py"
    known = {**layering.modules(), "ollama_trainer.bridge.commands": path}
    path.write_text(tree, encoding="utf-8")
    try:
        targets = [t for t, _ in layering.imports("ollama_trainer.training._probe_for_the_test", path, known)]
    finally:
        path.unlink()
    assert targets == ["ollama_trainer.bridge.commands"]
    assert layering.floor(targets[0]) > layering.floor("ollama_trainer.training._probe_for_the_test")
    assert ast  # the module parses as Python


def test_no_hand_written_module_over_400_lines():
    """A module that grows past 400 lines is split along a seam it already has (DESIGN.md);
    generated files (contracts.gen.ts) do not count."""
    client = layering.PACKAGE.parents[1] / "client" / "src"
    files = [*layering.PACKAGE.rglob("*.py"), *client.rglob("*.svelte"), *client.rglob("*.ts")]
    too_long = [f"{path.relative_to(layering.PACKAGE.parents[1])}: {count} lines" for path in sorted(files)
                if not path.name.endswith(".gen.ts") and "__pycache__" not in path.parts
                and (count := len(path.read_text(encoding="utf-8").splitlines())) > 400]
    assert too_long == [], "\n".join(too_long)
