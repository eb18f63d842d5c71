"""The house's floors, read from the source: every import of every module (function-level ones
included) as (importer, imported, line), and the floor each module lives on. Used by
test_import_boundary.py; kept apart so the picture is written once."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "backend" / "ollama_trainer"

# Lowest first. A module may import its own floor and the floors below, never one above
# (docs/CONTRIBUTING.md "Where a change goes" draws the same picture).
FLOORS: list[tuple[str, tuple[str, ...]]] = [
    ("ground", ("ollama_trainer", "atomic", "errors", "paths", "timestamps", "file_lock", "jsonl_log",
                "settings", "chat_formats", "contracts", "protocol", "estimate")),
    ("domain", ("weights", "datasets", "evaluation", "bases", "catalog", "user_profiles")),
    ("training", ("training",)),
    ("ollama", ("ollama",)),
    ("documents", ("documents",)),
    ("flows", ("flows",)),
    ("bridge", ("bridge", "wiring")),
    ("entry", ("app", "cli", "schema", "__main__")),
]
WORKER = "ollama_trainer.training.worker"
# What the worker process may use of the app side of training: the run folder's layout and
# how a run's end is told (both torch-free, shared by the two processes).
WORKER_MAY_USE = ("ollama_trainer.training.run_folder", "ollama_trainer.training.outcome")
TRAINING_STACK = ("torch", "transformers", "peft", "bitsandbytes", "accelerate", "trl")


def in_worker(module: str) -> bool:
    return module == WORKER or module.startswith(WORKER + ".")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts}


def floor(module: str) -> int:
    parts = module.split(".")
    area = parts[1] if len(parts) > 1 else parts[0]
    for index, (_, areas) in enumerate(FLOORS):
        if area in areas:
            return index
    raise AssertionError(f"{module} is on no floor: add its area to FLOORS in tests/unit/layering.py")


def imports(module: str, path: Path, known: dict[str, Path]):
    """(imported module, line) for each import in the file; `from pkg import name` counts as
    pkg.name when that is a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")[: len(module.split(".")) - node.level + (path.name == "__init__.py")]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                full = f"{source}.{alias.name}"
                yield (full if full in known else source), node.lineno


def own_edges():
    """(importer, imported, line) between the package's own modules."""
    known = modules()
    for name, path in sorted(known.items()):
        for target, line in imports(name, path, known):
            if target.split(".")[0] == "ollama_trainer":
                yield name, target, line


def cycles(edges: list[tuple[str, str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found
