"""llama.cpp's converter run in the worker's own process (`hf_to_gguf.convert_here`, what a
run on a folder base writes its model.gguf with) and in a child (`convert`, the app's export):
the same file, each tensor counted, the converter's own reason when it cannot write a folder,
and the child when another copy of the gguf package is loaded already."""

from __future__ import annotations

import json
import shutil
import subprocess

import gguf

from ollama_trainer.weights import hf_to_gguf
from tests.integration.conftest import PYTHON, REPO, worker_env

HERE = """
import json, sys
from pathlib import Path
from ollama_trainer.weights import hf_to_gguf
counted = []
try:
    done = hf_to_gguf.convert_here(Path(sys.argv[1]), Path(sys.argv[2]), on_tensor=counted.append)
    print(json.dumps({"bytes": done.bytes, "counted": counted, "gguf": "gguf" in sys.modules and
                      sys.modules["gguf"].__file__}))
except hf_to_gguf.ConvertError as exc:
    print(json.dumps({"error": str(exc), "counted": counted}))
"""


def _here(folder, out, home) -> dict:
    """convert_here in a fresh Python (as in a worker: no gguf package loaded before)."""
    done = subprocess.run([PYTHON, "-c", HERE, str(folder), str(out)], capture_output=True, text=True, timeout=300,
                          cwd=REPO, env=worker_env(home))
    assert done.returncode == 0 and done.stdout.strip(), done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_in_the_process_and_in_a_child_the_same_file(tiny_models, tmp_path):
    folder = tiny_models.folder("llama")
    here = _here(folder, tmp_path / "here.gguf", tmp_path / "home")
    assert here["gguf"].startswith(str(hf_to_gguf.converter_dir())), here  # the converter's own gguf-py
    child = hf_to_gguf.convert(folder, tmp_path / "child.gguf")
    assert (tmp_path / "here.gguf").read_bytes() == (tmp_path / "child.gguf").read_bytes()
    tensors = len(gguf.GGUFReader(str(tmp_path / "here.gguf")).tensors)
    assert here["bytes"] == child.bytes and here["counted"] == list(range(1, tensors + 1))
    assert not list(tmp_path.glob(".*tmp*"))


def test_with_another_gguf_package_loaded_it_runs_in_a_child(tiny_models, tmp_path):
    """This test process has PyPI's gguf loaded (the import above): the converter's own cannot
    be imported beside it, so convert_here runs it in a child, with the same result."""
    assert not gguf.__file__.startswith(str(hf_to_gguf.converter_dir()))
    counted: list[int] = []
    done = hf_to_gguf.convert_here(tiny_models.folder("llama"), tmp_path / "model.gguf", on_tensor=counted.append)
    assert done.path.is_file() and counted and counted == list(range(1, len(counted) + 1))


def test_a_folder_it_cannot_write_fails_with_the_converters_reason_and_leaves_nothing(tiny_models, tmp_path):
    folder = tmp_path / "unknown"
    shutil.copytree(tiny_models.folder("llama"), folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "architectures": ["NoSuchModelForCausalLM"]}))
    failed = _here(folder, tmp_path / "model.gguf", tmp_path / "home")
    assert failed["error"].startswith(f"llama.cpp's converter could not write {folder} as a GGUF: ")
    assert "NoSuchModelForCausalLM" in failed["error"], failed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["unknown"]
