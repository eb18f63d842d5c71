"""The real pywebview + Qt window under Xvfb renders the UI and round-trips a command."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts"
XVFB = ["xvfb-run", "-a", "-s", "-screen 0 1280x900x24"]


def non_blank(png: Path) -> float:
    """Standard deviation of the screenshot's pixels (0 for a blank screen)."""
    out = subprocess.run(["convert", str(png), "-colorspace", "Gray", "-format", "%[fx:standard_deviation]", "info:"],
                         capture_output=True, text=True, check=True).stdout
    return float(out)


def run_probe(data_home: Path, *extra: str) -> dict:
    env = {**os.environ, "QTWEBENGINE_CHROMIUM_FLAGS": "--no-sandbox --disable-gpu", "OLLAMA_TRAINER_HOME": str(data_home)}
    proc = subprocess.run([*XVFB, sys.executable, str(Path(__file__).with_name("window_probe.py")), str(ARTIFACTS), *extra],
                          capture_output=True, text=True, timeout=300, env=env, cwd=REPO)
    lines = [l for l in proc.stdout.splitlines() if l.startswith("{")]
    assert proc.returncode == 0 and lines, f"window probe failed:\n{proc.stdout}\n{proc.stderr[-3000:]}"
    report = json.loads(lines[-1])
    assert "error" not in report, report
    return report


@pytest.mark.slow
def test_window_renders_and_calls_python(data_home):
    if shutil.which("xvfb-run") is None:
        pytest.fail("xvfb-run is missing: `make test` installs Debian's xvfb")
    ARTIFACTS.mkdir(exist_ok=True)
    report = run_probe(data_home)
    assert report["title"] == "Ollama Trainer"
    assert report["heading"] == "Training"
    assert report["profiles_shown"] == "yes"
    assert report["js_api"]["ok"] is True
    assert {p["id"] for p in report["js_api"]["result"]} >= {"quick-demo", "standard-lora"}
    assert non_blank(Path(report["screenshot"])) > 0.02


def test_no_display_gives_a_clear_message(data_home):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    proc = subprocess.run([sys.executable, "-m", "ollama_trainer"], capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 2
    assert "--browser" in proc.stderr and "xvfb-run" in proc.stderr
    assert "Aborted" not in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.slow
def test_start_training_in_the_window(data_home, tiny_model, tmp_path):
    """Click Start Training in the real window and watch the status pill move to done."""
    from tests.e2e.conftest import write_tiny_catalog

    write_tiny_catalog(data_home, tiny_model, tmp_path)
    report = run_probe(data_home, "--train")
    assert report["picked"] == ["ok", "ok"] and report["start"] == "clicked"
    assert report["states"][-1] == "done", report["states"]
    assert any(s in report["states"] for s in ("preparing", "running"))
