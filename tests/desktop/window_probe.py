"""Run inside a virtual screen by test_desktop_smoke: open the real window, wait for the UI,
call a command through js_api from the page, take a screenshot, close. Prints one JSON line."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from ollama_trainer.bridge.commands import Commands
from ollama_trainer.bridge.desktop import run_window

out_dir = Path(sys.argv[1])
train = "--train" in sys.argv
report: dict = {}


def poll(window, expression: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = window.evaluate_js(expression)
        if value:
            return value
        time.sleep(0.25)
    return value


def drive(window) -> None:
    try:
        report["title"] = window.title
        report["heading"] = poll(window, "document.querySelector('h1') && document.querySelector('h1').textContent")
        report["profiles_shown"] = poll(
            window, "document.body.innerText.includes('Quick demo (CPU)') ? 'yes' : ''")
        window.run_js(
            "window.__probe = null; window.pywebview.api.list_training_profiles({})"
            ".then(r => { window.__probe = JSON.stringify(r); })"
            ".catch(e => { window.__probe = JSON.stringify({error: String(e)}); });")
        report["js_api"] = json.loads(poll(window, "window.__probe") or "null")
        if train:
            click = ("(() => { const r = [...document.querySelectorAll('input[type=radio]')]"
                     ".find(e => e.labels && [...e.labels].some(l => l.textContent.includes(%s)));"
                     " if (!r) return ''; r.click(); return 'ok'; })()")
            report["picked"] = [poll(window, click % json.dumps("Tiny test model")),
                                poll(window, click % json.dumps("Colours"))]
            report["start"] = poll(window, "(() => { const b = [...document.querySelectorAll('button')]"
                                           ".find(e => e.textContent.trim() === 'Start Training');"
                                           " if (!b || b.disabled) return ''; b.click(); return 'clicked'; })()")
            states = []
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                state = window.evaluate_js(
                    "(() => { const p = document.querySelector('[role=status][data-state]');"
                    " return p ? p.dataset.state : ''; })()")
                if state and (not states or states[-1] != state):
                    states.append(state)
                if state in ("done", "error", "cancelled"):
                    break
                time.sleep(0.2)
            report["states"] = states
        time.sleep(0.5)
        shot = out_dir / ("desktop-window-trained.png" if train else "desktop-window.png")
        subprocess.run(["import", "-window", "root", str(shot)], check=True, timeout=30)
        report["screenshot"] = str(shot)
    except Exception as exc:  # reported to the test, which fails with it
        report["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        window.destroy()


run_window(Commands(transport="desktop"), on_shown=drive)
print(json.dumps(report))
