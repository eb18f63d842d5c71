"""Every test runs against its own empty data folder; base models are converted once into a
shared cache (.cache/models) so tests don't each pay for the conversion; the tiny models of
each architecture (tests/fakes/tiny_models.py) are made once a session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("OLLAMA_TRAINER_MODELS_CACHE", str(REPO / ".cache" / "models"))


def _share_the_cores() -> None:
    """Under pytest-xdist (`make test` runs two workers) the trainers each worker starts get
    that worker's share of the cores, less one: the trainer's own rule (all cores but one,
    devices.cpu_threads) is for one job on the machine. OMP_NUM_THREADS, when set, decides."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1 and "OMP_NUM_THREADS" not in os.environ:
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        os.environ["OMP_NUM_THREADS"] = str(max(1, cpus // workers - 1))


_share_the_cores()


@pytest.fixture(autouse=True)
def data_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("OLLAMA_TRAINER_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def models_cache(tmp_path_factory) -> Path:
    override = os.environ.get("OLLAMA_TRAINER_MODELS_CACHE")
    path = Path(override) if override else tmp_path_factory.mktemp("models")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def builtin_model(models_cache) -> Path:
    """The converted SmolLM2 folder (converted once, ~20 s, then cached)."""
    from ollama_trainer.training.worker import base_models

    return base_models.ensure_builtin(models_cache)


class TinyModels:
    """The tiny models of tests/fakes/tiny_models.py, made on first use and kept for the session:
    `.gguf(arch)` the GGUF (what an Ollama store or a .gguf base holds), `.folder(arch)` the
    same model as a safetensors folder, by the app's own conversion."""

    def __init__(self, root: Path, tokenizers: Path):
        self.root, self.tokenizers = root, tokenizers
        self._made: dict[tuple[str, str], Path] = {}

    def gguf(self, arch: str = "llama") -> Path:
        from tests.fakes import tiny_models

        key = ("gguf", arch)
        if key not in self._made:
            self._made[key] = tiny_models.write_gguf(self.root / f"tiny-{arch}.gguf", arch)
        return self._made[key]

    def folder(self, arch: str = "llama") -> Path:
        from tests.fakes import tiny_models

        key = ("folder", arch)
        if key not in self._made:
            self._made[key] = tiny_models.folder(self.gguf(arch), self.root / f"tiny-{arch}", self.tokenizers)
        return self._made[key]


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory, models_cache) -> TinyModels:
    return TinyModels(tmp_path_factory.mktemp("tiny-models"), models_cache / "tokenizers")


@pytest.fixture(scope="session")
def tiny_model(tiny_models) -> Path:
    """A tiny llama (hidden 64, 2 layers, 4 heads) with SmolLM2's tokenizer and chat template,
    as a safetensors folder: a worker run on it takes seconds."""
    return tiny_models.folder("llama")


# -- the suite's time by folder, printed after pytest's slowest tests (CONTRIBUTING.md keeps it) --
_FOLDER_SECONDS: dict[str, float] = {}


def pytest_runtest_logreport(report) -> None:
    parts = report.nodeid.split("::")[0].split("/")
    folder = "/".join(parts[:2]) if len(parts) > 2 else parts[0]
    _FOLDER_SECONDS[folder] = _FOLDER_SECONDS.get(folder, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter) -> None:
    if not _FOLDER_SECONDS:
        return
    terminalreporter.section("time by folder (setup + call + teardown, summed over the workers)")
    for folder, seconds in sorted(_FOLDER_SECONDS.items(), key=lambda kv: -kv[1]):
        terminalreporter.write_line(f"{seconds:8.1f} s  {folder}")
    terminalreporter.write_line(f"{sum(_FOLDER_SECONDS.values()):8.1f} s  in all")
