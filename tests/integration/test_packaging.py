"""The wheel carries what ships with the app (profiles, datasets, flows, the guide) and reads it
from the installed package: `pip install` of the wheel into a fresh venv, run from outside the
checkout, trains the quick demo's profile and dataset (on a tiny base model: the claim is the
packaging, not the model)."""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import zipfile

import pytest

from tests.integration.conftest import REPO

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    root = tmp_path_factory.mktemp("packaging")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(root),
                    str(REPO)], check=True, timeout=600, cwd=root)
    (wheel,) = root.glob("ollama_trainer-*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    # The dependencies are the checkout's (no download); the app itself only from the wheel.
    target = next(venv.glob("lib/python*/site-packages"))
    (target / "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
                   check=True, timeout=300)
    return {"root": root, "wheel": wheel, "venv": venv}


def test_the_wheel_carries_the_shipped_files(installed):
    names = zipfile.ZipFile(installed["wheel"]).namelist()
    for path in ("ollama_trainer/_shipped/config/training_profiles.json", "ollama_trainer/_shipped/config/datasets.json",
                 "ollama_trainer/_shipped/config/datasets/identity_demo.jsonl",
                 "ollama_trainer/_shipped/automation/flows/train_default.json",
                 "ollama_trainer/_shipped/docs/guide/01-what-it-does.md"):
        assert path in names, path


def test_an_installed_app_outside_the_checkout_trains_the_demo(installed, models_cache, tiny_models):
    root, venv = installed["root"], installed["venv"]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "OLLAMA_TRAINER_CONFIG")}
    env.update(OLLAMA_TRAINER_HOME=str(root / "home"), OLLAMA_TRAINER_MODELS_CACHE=str(models_cache))
    run = lambda *args: subprocess.run([str(venv / "bin" / "ollama-trainer"), *args], cwd=root, env=env,  # noqa: E731
                                       capture_output=True, text=True, timeout=900)
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import ollama_trainer, sys; print(ollama_trainer.__file__)"],
                           cwd=root, env=env, capture_output=True, text=True, check=True).stdout
    assert str(venv) in where and str(REPO) not in where  # the wheel's copy, not the checkout
    profiles = json.loads(run("profiles", "--json").stdout)
    assert "quick-demo" in [p["id"] for p in profiles]
    flows = run("flow", "list").stdout
    assert "train_default" in flows and "index_and_train" in flows
    done = run("train", "--profile", "quick-demo", "--dataset", "identity-demo", "--epochs", "1",
               "--base", str(tiny_models.gguf("llama")), "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert last["event"] == "done"
